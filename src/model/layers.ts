/** Small building blocks that read like the math. Every function expects to run inside tf.tidy. */
import * as tf from '@tensorflow/tfjs';
import type { GeluKind } from './config.js';
import type { ParameterStore } from './params.js';

export const INIT_STD = 0.02;

/** y = x W + b over the last axis, for any leading shape. */
export function linear(p: ParameterStore, name: string, x: tf.Tensor, outDim: number, activation?: 'relu'): tf.Tensor {
  const inDim = x.shape[x.rank - 1];
  const w = p.get(`${name}.weight`, [inDim, outDim], { kind: 'normal', std: INIT_STD });
  const b = p.get(`${name}.bias`, [outDim], { kind: 'zeros' });
  const lead = x.shape.slice(0, -1);
  const flat = x.reshape([-1, inDim]); // [N, in]
  // Plain matMul + add, not tf.fused.matMul: the fused op's gradient uses matMul's transpose
  // flags, which wasm runs many times slower than the explicit transposes of backend.ts.
  let y = tf.matMul(flat, w).add(b); // [N, out]
  if (activation === 'relu') y = tf.relu(y);
  return y.reshape([...lead, outDim]);
}

/** Layer normalisation over the last axis. */
export function layerNorm(p: ParameterStore, name: string, x: tf.Tensor, eps = 1e-12): tf.Tensor {
  const dim = x.shape[x.rank - 1];
  const gamma = p.get(`${name}.weight`, [dim], { kind: 'ones' });
  const beta = p.get(`${name}.bias`, [dim], { kind: 'zeros' });
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation (as in BERT and GPT-2 implementations): ½x(1 + tanh(u)) with
 * u = √(2/π)(x + 0.044715x³), computed as the equal x·σ(2u), since wasm's Tanh is about 8x
 * slower than its Sigmoid (the two forms differ by float rounding, ~2e-7).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const twiceU = x.mul(x).mul(2 * GELU_C * 0.044715).add(2 * GELU_C).mul(x);
  return x.mul(tf.sigmoid(twiceU));
}

/** GELU, exact form x·Φ(x) = ½x(1 + erf(x/√2)), as BERT's "gelu" computes it. */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
}

/** The GELU variant a backbone was trained with. */
export function activate(kind: GeluKind, x: tf.Tensor): tf.Tensor {
  return kind === 'gelu_erf' ? geluErf(x) : gelu(x);
}

/** Embedding lookup: ids [...] → [..., dim]. */
export function embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const flat = tf.gather(table, ids.reshape([-1]));
  return flat.reshape([...ids.shape, table.shape[1] as number]);
}

/** Dropout that is a no-op outside training and reproducible within it (seeded per call). */
export function dropout(x: tf.Tensor, rate: number, training: boolean, seed: () => number): tf.Tensor {
  if (!training || rate === 0) return x;
  return tf.dropout(x, rate, undefined, seed());
}
