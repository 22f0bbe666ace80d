/**
 * Vectors of contexts and responses from a backbone pretrained with `duet pretrain`, read exactly
 * as its ranking objective read them (src/train/pretrain.ts): a context is its last turns joined by
 * [SEP] with alternating speaker segments, a response is [CLS] … [SEP]; each is mean-pooled over its
 * tokens and scaled to unit length, so a dot product is the cosine the model was trained on.
 */
import * as tf from '@tensorflow/tfjs';
import { encodeContext, frame } from '../train/pretrain-batches.js';
import { PAD_ID } from '../tokenizer/wordpiece.js';
import { loadPretrainedModel, type PretrainedModel } from './pretrained-model.js';
import { meanPool, normalizeRows } from './ranking-head.js';

/** Turns of context the ranking objective saw (see src/data/corpora/pretraining.ts). */
export const CONTEXT_TURNS = 3;

export class ResponseEncoder {
  private constructor(
    readonly model: PretrainedModel,
    private readonly maxTokens: number,
  ) {}

  static async load(dir: string): Promise<ResponseEncoder> {
    const model = await loadPretrainedModel(dir);
    return new ResponseEncoder(model, model.config.maxPositions);
  }

  /** Unit vectors of responses, in order. */
  async encodeResponses(texts: string[], batchSize = 64): Promise<Float32Array[]> {
    const ids = await Promise.all(texts.map(async (t) => frame(await this.pieces(t), this.maxTokens, 'head')));
    return this.pool(ids.map((i) => ({ ids: i })), batchSize);
  }

  /** Unit vectors of contexts (earlier turns, oldest first; the last `CONTEXT_TURNS` are read). */
  async encodeContexts(contexts: string[][], batchSize = 64): Promise<Float32Array[]> {
    const encoded = await Promise.all(
      contexts.map(async (turns) => {
        const { context, contextSegments } = encodeContext(await Promise.all(turns.slice(-CONTEXT_TURNS).map((t) => this.pieces(t))), this.maxTokens);
        return { ids: context, segments: contextSegments };
      }),
    );
    return this.pool(encoded, batchSize);
  }

  dispose(): void {
    this.model.params.dispose();
  }

  private async pieces(text: string): Promise<Int32Array> {
    return Int32Array.from((await this.model.tokenizer.encode(text)).ids);
  }

  private pool(items: { ids: Int32Array; segments?: Int32Array }[], batchSize: number): Float32Array[] {
    const C = this.model.config.dModel;
    const out: Float32Array[] = [];
    for (let start = 0; start < items.length; start += batchSize) {
      const chunk = items.slice(start, start + batchSize);
      const B = chunk.length;
      const T = Math.max(...chunk.map((c) => c.ids.length));
      const ids = new Int32Array(B * T).fill(PAD_ID);
      const segments = new Int32Array(B * T);
      const mask = new Float32Array(B * T);
      chunk.forEach((c, b) => {
        ids.set(c.ids, b * T);
        if (c.segments) segments.set(c.segments, b * T);
        mask.fill(1, b * T, b * T + c.ids.length);
      });
      const vectors = tf.tidy(() => {
        const padMask = tf.tensor2d(mask, [B, T]);
        const hidden = this.model.backbone.encode(
          { ids: tf.tensor2d(ids, [B, T], 'int32'), segments: chunk.some((c) => c.segments) ? tf.tensor2d(segments, [B, T], 'int32') : undefined, padMask },
          { training: false, seed: () => 0 },
        );
        return normalizeRows(meanPool(hidden, padMask));
      });
      const values = vectors.dataSync() as Float32Array;
      vectors.dispose();
      for (let b = 0; b < B; b++) out.push(values.slice(b * C, (b + 1) * C));
    }
    return out;
  }
}
