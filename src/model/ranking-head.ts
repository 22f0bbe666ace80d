/**
 * Response ranking as a dual encoder over the shared backbone: context and response are encoded
 * separately, mean-pooled over their real tokens, L2-normalised, and scored by scaled cosine
 * similarity. Mean pooling rather than [CLS]: every position then gets gradient from the
 * ranking loss (a from-scratch backbone learns a usable sentence vector sooner), it is the
 * pooling sentence-embedding work found at least as good for dual encoders, and it is half of
 * what the intent head already reads ([CLS] ‖ mean), so pretraining shapes that feature.
 */
import * as tf from '@tensorflow/tfjs';

/** Similarity scale (inverse temperature) of the in-batch softmax: cosines in [-1, 1] times 20, as in sentence-transformers. */
export const DEFAULT_RANKING_SCALE = 20;

/** Mean of the hidden states over real tokens: hidden [B, T, C], padMask [B, T] → [B, C]. */
export function meanPool(hidden: tf.Tensor3D, padMask: tf.Tensor2D): tf.Tensor2D {
  const [B, T, C] = hidden.shape;
  if (padMask.shape[0] !== B || padMask.shape[1] !== T) throw new Error(`padMask [${padMask.shape}] does not match hidden states [${hidden.shape}]`);
  const counts = padMask.sum(1, true).maximum(1); // [B, 1]
  const pooled = hidden.mul(padMask.expandDims(2)).sum(1).div(counts) as tf.Tensor2D; // [B, C]
  if (pooled.shape[1] !== C) throw new Error('pooled width mismatch');
  return pooled;
}

/** Unit-length rows: x [B, C] → x / ‖x‖. */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return x.div(x.square().sum(1, true).add(1e-12).sqrt()) as tf.Tensor2D;
}

/** Scores [Bc, Br]: scale · cos(context i, response j). */
export function rankingLogits(contexts: tf.Tensor2D, responses: tf.Tensor2D, scale = DEFAULT_RANKING_SCALE): tf.Tensor2D {
  if (contexts.shape[1] !== responses.shape[1]) throw new Error(`context width ${contexts.shape[1]} differs from response width ${responses.shape[1]}`);
  // An explicit transpose: wasm runs matMul's transposeB flag several times slower.
  return tf.matMul(normalizeRows(contexts), normalizeRows(responses).transpose()).mul(scale) as tf.Tensor2D; // [Bc, Br]
}
