/**
 * The sentence head (sentence-head.ts) as an ONNX graph: a message's intent probabilities from its
 * sentence vector. On tfjs the head cost ~0.45 ms a message here, a tenth of the latency budget;
 * onnxruntime runs it in a few hundredths.
 */
import type * as Ort from 'onnxruntime-node';
import { SENTENCE_VECTOR_SIZE } from '../sentence-encoder.js';
import { INPUT_SCALE, type SentenceHeadWeights } from '../sentence-head.js';
import { loadOnnxRuntime, type OrtModule } from './onnx-backbone.js';
import { DataType, encodeModel, GraphBuilder } from './onnx-proto.js';

export class OnnxSentenceHead {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
  ) {}

  static async create(weights: SentenceHeadWeights, hidden: number, options: { importer?: () => Promise<unknown> } = {}): Promise<OnnxSentenceHead> {
    const ort = await loadOnnxRuntime(options.importer);
    const intents = weights['sentence_head.b2'].length;
    const g = new GraphBuilder();
    const vectors = g.input('sentence_vectors', DataType.FLOAT, ['batch', SENTENCE_VECTOR_SIZE]);
    const scaled = g.op1('Mul', [vectors, g.floats([INPUT_SCALE])]);
    const h = g.op1('Gemm', [scaled, g.weight('w1', [SENTENCE_VECTOR_SIZE, hidden], weights['sentence_head.w1']), g.weight('b1', [hidden], weights['sentence_head.b1'])]);
    const logits = g.op1('Gemm', [g.op1('Relu', [h]), g.weight('w2', [hidden, intents], weights['sentence_head.w2']), g.weight('b2', [intents], weights['sentence_head.b2'])]);
    g.output('intent_probs', g.op1('Softmax', [logits], { axis: -1 }), DataType.FLOAT, ['batch', intents]);
    const session = await ort.InferenceSession.create(encodeModel(g, { name: 'sentence-head' }), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new OnnxSentenceHead(ort, session);
  }

  /** Intent probabilities [B × intents] of sentence vectors [B × 512], row-major. */
  async probs(vectors: Float32Array, B: number): Promise<Float32Array> {
    const out = await this.session.run({ sentence_vectors: new this.ort.Tensor('float32', vectors, [B, SENTENCE_VECTOR_SIZE]) });
    return out.intent_probs.data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
