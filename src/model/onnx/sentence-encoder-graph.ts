/**
 * The sentence encoder (USE-lite, sentence-encoder.ts) as an ONNX graph, run by onnxruntime-node.
 * The same math as `SentenceEncoder.embed` on tfjs, op for op; onnxruntime runs one short
 * sentence ~4× faster than the tfjs wasm backend does (its matrix kernels are faster and it has
 * no per-op dispatch cost), which is most of a small-talk turn's time (docs/pretraining.md).
 */
import type * as Ort from 'onnxruntime-node';
import type { LayerWeights, Matrix, SentenceEncoderWeights } from '../sentence-encoder.js';
import { loadOnnxRuntime, type OrtModule } from './onnx-backbone.js';
import { DataType, encodeModel, float, GraphBuilder } from './onnx-proto.js';

/** Graph input and output names. */
export const SENTENCE_GRAPH_NAMES = { ids: 'piece_ids', mask: 'piece_mask', vectors: 'sentence_vectors' } as const;

/** Longest input the graph's timing table covers (the encoder keeps 128 pieces). */
const MAX_POSITIONS = 128;

/**
 * The graph: `piece_ids` int64 [batch, sequence] and `piece_mask` float [batch, sequence] (1 for a
 * piece, 0 for padding) in, unit-length `sentence_vectors` [batch, 512] out.
 */
export function exportSentenceEncoderGraph(w: SentenceEncoderWeights): Uint8Array {
  const g = new GraphBuilder();
  let counter = 0;
  const weight = (data: Float32Array, dims: number[]) => g.weight(`w${counter++}`, dims, data);
  const matrix = (m: Matrix) => weight(m.data, [m.rows, m.cols]);
  const vector = (v: Float32Array) => weight(v, [v.length]);
  const linear = (x: string, m: Matrix, bias: Float32Array) => g.op1('Add', [g.op1('MatMul', [x, matrix(m)]), vector(bias)]);
  const layerNorm = (x: string, scale: Float32Array, bias: Float32Array) =>
    g.op1('LayerNormalization', [x, vector(scale), vector(bias)], { axis: -1, epsilon: float(1e-6) }, 'layer_norm');

  const ids = g.input(SENTENCE_GRAPH_NAMES.ids, DataType.INT64, ['batch', 'sequence']);
  const mask = g.input(SENTENCE_GRAPH_NAMES.mask, DataType.FLOAT, ['batch', 'sequence']);
  const mask3 = g.op1('Unsqueeze', [mask, g.ints([2])]); // [B, T, 1]
  // Attention never reads padding: -1e9 on padded keys.
  const keyBias = g.op1('Unsqueeze', [g.op1('Mul', [g.op1('Sub', [mask, g.floats([1])]), g.floats([1e9])]), g.ints([1, 2])]); // [B, 1, 1, T]

  // The timing signal of every position the encoder reads, sliced to the input's length.
  const T = g.op1('Shape', [ids], { start: 1, end: 2 }, 'T');
  const timing = g.op1('Slice', [weight(timingTable(w.invTimescales), [MAX_POSITIONS, 2 * w.invTimescales.length]), g.ints([0]), T, g.ints([0])], {}, 'timing');
  // As in the tfjs pass: the stream starts as 2 × embedding + timing, padding zeroed.
  const embedded = g.op1('Gather', [matrix(w.embeddings), ids], { axis: 0 });
  let x = g.op1('Mul', [g.op1('Add', [g.op1('Mul', [embedded, g.floats([2])]), timing]), mask3]);

  const layer = (input: string, l: LayerWeights<Matrix, Float32Array>): string => {
    const inner = l.qkv.cols / 3;
    const headSize = inner / l.heads;
    const y = layerNorm(input, l.lnScale, l.lnBias);
    const [q, k, v] = g.op('Split', [linear(y, l.qkv, l.qkvBias), g.ints([inner, inner, inner])], { axis: -1 }, 3, 'qkv');
    const heads = (t: string) => g.op1('Transpose', [g.op1('Reshape', [t, g.ints([0, 0, l.heads, headSize])])], { perm: [0, 2, 1, 3] }); // [B, H, T, D]
    const kT = g.op1('Transpose', [heads(k)], { perm: [0, 1, 3, 2] });
    const scores = g.op1('Add', [g.op1('MatMul', [g.op1('Mul', [heads(q), g.floats([headSize ** -0.5])]), kT]), keyBias]);
    const attended = g.op1('MatMul', [g.op1('Softmax', [scores], { axis: -1 }), heads(v)]);
    const merged = g.op1('Reshape', [g.op1('Transpose', [attended], { perm: [0, 2, 1, 3] }), g.ints([0, 0, inner])]);
    const residual = l.residual ? linear(input, l.residual.kernel, l.residual.bias) : input;
    const h = g.op1('Add', [linear(merged, l.out, l.outBias), residual]);
    const z = layerNorm(h, l.ffnScale, l.ffnBias);
    return g.op1('Add', [h, linear(g.op1('Relu', [linear(z, l.ffn1, l.ffn1Bias)]), l.ffn2, l.ffn2Bias)]);
  };
  for (const l of w.layers) x = layer(x, l);

  // Mean over the real pieces, the tanh layer, unit length.
  const lengths = g.op1('Max', [g.op1('ReduceSum', [mask, g.ints([1])], { keepdims: 1 }), g.floats([1])]); // [B, 1]
  const mean = g.op1('Div', [g.op1('ReduceSum', [g.op1('Mul', [x, mask3]), g.ints([1])], { keepdims: 0 }), lengths]); // [B, 512]
  const pooled = g.op1('Tanh', [linear(mean, w.pooler.kernel, w.pooler.bias)]);
  const norm = g.op1('Sqrt', [g.op1('Max', [g.op1('ReduceSum', [g.op1('Mul', [pooled, pooled]), g.ints([1])], { keepdims: 1 }), g.floats([1e-12])])]);
  g.output(SENTENCE_GRAPH_NAMES.vectors, g.op1('Div', [pooled, norm]), DataType.FLOAT, ['batch', w.pooler.kernel.cols]);
  return encodeModel(g, { name: 'use-lite-en', docString: 'Universal Sentence Encoder lite (Apache-2.0), exported by Duet' });
}

/**
 * The sinusoidal timing signal [MAX_POSITIONS, 2K]: sin of position × inverse timescale, then cos,
 * the product rounded to float32 first as the tfjs pass computes it.
 */
function timingTable(invTimescales: Float32Array): Float32Array {
  const K = invTimescales.length;
  const table = new Float32Array(MAX_POSITIONS * 2 * K);
  for (let t = 0; t < MAX_POSITIONS; t++) {
    for (let k = 0; k < K; k++) {
      const angle = Math.fround(t * invTimescales[k]);
      table[t * 2 * K + k] = Math.sin(angle);
      table[t * 2 * K + K + k] = Math.cos(angle);
    }
  }
  return table;
}

/** The encoder's graph in an onnxruntime session. */
export class OnnxSentenceEncoder {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly width: number,
  ) {}

  /**
   * Build the graph and its session (`threads` inside one operator, default 1: a server answers
   * several conversations at once, one per core, better than one conversation on every core).
   */
  static async create(weights: SentenceEncoderWeights, options: { threads?: number; importer?: () => Promise<unknown> } = {}): Promise<OnnxSentenceEncoder> {
    const ort = await loadOnnxRuntime(options.importer);
    const session = await ort.InferenceSession.create(exportSentenceEncoderGraph(weights), {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
    });
    return new OnnxSentenceEncoder(ort, session, weights.pooler.kernel.cols);
  }

  /** Unit-length sentence vectors of piece id lists, row-major [lists.length × 512]. */
  async embed(pieceLists: readonly (readonly number[])[]): Promise<Float32Array> {
    const B = pieceLists.length;
    const T = Math.max(...pieceLists.map((p) => p.length));
    const ids = new BigInt64Array(B * T);
    const mask = new Float32Array(B * T);
    pieceLists.forEach((p, b) => p.forEach((id, t) => ((ids[b * T + t] = BigInt(id)), (mask[b * T + t] = 1))));
    const outputs = await this.session.run({
      [SENTENCE_GRAPH_NAMES.ids]: new this.ort.Tensor('int64', ids, [B, T]),
      [SENTENCE_GRAPH_NAMES.mask]: new this.ort.Tensor('float32', mask, [B, T]),
    });
    const vectors = outputs[SENTENCE_GRAPH_NAMES.vectors];
    const data = vectors.data as Float32Array;
    if (data.length !== B * this.width) throw new Error(`the sentence graph returned ${data.length} values for ${B} sentences`);
    return data;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
