/**
 * The joint intent + slot network: the shared backbone, a transformer intent head, a sparse
 * (TF-IDF) intent head, and a slot head. The two intent heads are trained with their own losses
 * and a joint one, and predict together (an ensemble of heads, as DIET pairs sparse and dense).
 */
import * as tf from '@tensorflow/tfjs';
import { Backbone, type RunOptions } from './backbone.js';
import { contextSettings, type ModelConfig } from './config.js';
import type { EncodedUtterance } from './encode-utterance.js';
import { dropout, linear } from './layers.js';
import type { ParameterStore } from './params.js';
import { SparseEmbeddingBag } from './sparse-embedding.js';
import { loadWordVectors, WORD_VECTOR_PROJECTION, type WordVectors } from './word-vectors.js';

/** Tensors for one padded batch. */
export interface NluBatch {
  ids: tf.Tensor2D; // [B, T]
  /** Segment ids [B, T]; absent: all 0 (see BackboneInputs). */
  segments?: tf.Tensor2D;
  padMask: tf.Tensor2D; // [B, T]
  tokenSparse?: tf.Tensor3D; // [B, T, C]
  /** Pretrained vector of each token's word [B, T, Dw] (models with word vectors). */
  tokenVectors?: tf.Tensor3D;
  sentenceSparse: tf.Tensor2D; // [B, Ds]
  /** Backbone outputs computed beforehand (frozen backbone) [B, T, C]; the backbone is then skipped. */
  hidden?: tf.Tensor3D;
  // Context modes (see context-encoding.ts); absent in mode "none".
  /** Speaker of each token [B, T]. */
  speakers?: tf.Tensor2D;
  /** Turn distance of each token [B, T]. */
  distances?: tf.Tensor2D;
  /** 1 for the current turn's tokens [B, T]: what the intent head pools (absent: padMask). */
  poolMask?: tf.Tensor2D;
  /** Memory mode: the memory of each row [B, k, C] where `memoryGiven` is 1 (zeros elsewhere). */
  memory?: tf.Tensor3D;
  /** 1 where a row brings its own memory, 0 where it starts from the initial memory [B, 1, 1]. */
  memoryGiven?: tf.Tensor3D;
}

/** A padded batch before it becomes tensors. */
export interface NluBatchArrays {
  B: number;
  T: number;
  /** Token ids [B × T], 0 after each utterance's end. */
  ids: Int32Array;
  /** 1 for real tokens [B × T]. */
  mask: Float32Array;
  /** Hashed word features per token [B × T × C] (models with token features). */
  tokenSparse?: Float32Array;
  /** Pretrained vector of each token's word [B × T × Dw] (models with word vectors; zeros for none). */
  tokenVectors?: Float32Array;
  /** Hashed sentence features [B × Ds]. */
  sentenceSparse: Float32Array;
}

export interface NluOutputs {
  /** Joint intent logits [B, I]. */
  intentLogits: tf.Tensor2D;
  /** Transformer-only intent logits [B, I]. */
  denseIntentLogits: tf.Tensor2D;
  /** Sparse-only intent logits [B, I]. */
  sparseIntentLogits: tf.Tensor2D;
  /** Slot tag logits [B, T, S]. */
  slotLogits: tf.Tensor3D;
  /** Memory mode: the memory for the next turn [B, k, C]. */
  memory?: tf.Tensor3D;
}

export class NluNetwork {
  readonly backbone: Backbone;
  readonly tokenBag?: SparseEmbeddingBag;
  readonly sentenceBag: SparseEmbeddingBag;
  readonly wordVectors?: WordVectors;
  /**
   * While the backbone is frozen, its output per utterance [T × C], computed once: training the
   * heads then costs no backbone pass. Only set during training; keyed by the encoded utterance.
   */
  frozenHidden?: Map<EncodedUtterance, Float32Array>;

  constructor(
    readonly config: ModelConfig,
    readonly params: ParameterStore,
    rng: () => number,
    tables?: { token?: Float32Array; sentence?: Float32Array },
  ) {
    const { backbone, heads } = config;
    this.backbone = new Backbone(backbone, params);
    if (backbone.tokenFeatureBuckets > 0) {
      this.tokenBag = new SparseEmbeddingBag(backbone.tokenFeatureBuckets, backbone.dModel, rng, tables?.token);
    }
    this.sentenceBag = new SparseEmbeddingBag(heads.sentenceFeatureBuckets, heads.sentenceFeatureDim, rng, tables?.sentence);
    if (backbone.wordVectors) this.wordVectors = loadWordVectors();
  }

  /** Create every dense parameter. */
  build(): void {
    tf.tidy(() => {
      const batch = this.makeBatch([
        {
          text: '',
          ids: Int32Array.from([2, 1]),
          firstTokenOfWord: [1],
          words: [[0, 0]],
          tokenFeatures: [undefined, undefined],
          ...(this.wordVectors && { wordVectorRows: Int32Array.from([-1, -1]) }),
          sentence: { ids: new Int32Array(0), weights: new Float32Array(0) },
        },
      ]);
      this.forward(batch, { training: false, seed: () => 0 });
    });
  }

  /** A padded batch as plain arrays, row-major (sparse bags evaluated here, outside any graph). */
  batchArrays(items: EncodedUtterance[]): NluBatchArrays {
    const B = items.length;
    const T = Math.max(...items.map((u) => u.ids.length));
    const ids = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    items.forEach((u, b) => {
      ids.set(u.ids, b * T);
      mask.fill(1, b * T, b * T + u.ids.length);
    });
    const tokenSparse = this.tokenBag?.forward(items.flatMap((u) => Array.from({ length: T }, (_, t) => u.tokenFeatures[t])));
    let tokenVectors: Float32Array | undefined;
    if (this.wordVectors) {
      const vectors = this.wordVectors;
      const dim = vectors.dim;
      tokenVectors = new Float32Array(B * T * dim);
      items.forEach((u, b) => {
        if (!u.wordVectorRows) throw new Error('an utterance of a model with word vectors was encoded without them');
        // Tokens past the rows (a context mode's earlier turns) have no vector.
        u.wordVectorRows.forEach((row, t) => vectors.copyRow(row, tokenVectors!, (b * T + t) * dim));
      });
    }
    return { B, T, ids, mask, tokenSparse, tokenVectors, sentenceSparse: this.sentenceBag.forward(items.map((u) => u.sentence)) };
  }

  /** Pad a list of utterances into batch tensors. */
  makeBatch(items: EncodedUtterance[]): NluBatch {
    const { B, T, ids, mask, tokenSparse, tokenVectors, sentenceSparse } = this.batchArrays(items);
    return {
      ids: tf.tensor2d(ids, [B, T], 'int32'),
      padMask: tf.tensor2d(mask, [B, T]),
      tokenSparse: tokenSparse && tf.tensor3d(tokenSparse, [B, T, this.tokenBag!.dim]),
      tokenVectors: tokenVectors && tf.tensor3d(tokenVectors, [B, T, this.wordVectors!.dim]),
      sentenceSparse: tf.tensor2d(sentenceSparse, [B, this.sentenceBag.dim]),
      hidden: this.precomputedHidden(items, T),
      ...this.contextTensors(items, T),
    };
  }

  /** Speakers, distances, pooling mask and memory of a batch; none in mode "none", so its batches stay as they were. */
  private contextTensors(items: EncodedUtterance[], T: number): Partial<NluBatch> {
    const { mode, memoryTokens: k } = contextSettings(this.config.backbone);
    if (mode === 'none') return {};
    const B = items.length;
    const speakers = new Int32Array(B * T);
    const distances = new Int32Array(B * T);
    const pool = new Float32Array(B * T);
    items.forEach((u, b) => {
      if (u.speakers) speakers.set(u.speakers, b * T);
      if (u.distances) distances.set(u.distances, b * T);
      pool.fill(1, b * T, b * T + (u.currentTokens ?? u.ids.length));
    });
    const out: Partial<NluBatch> = {
      speakers: tf.tensor2d(speakers, [B, T], 'int32'),
      distances: tf.tensor2d(distances, [B, T], 'int32'),
      poolMask: tf.tensor2d(pool, [B, T]),
    };
    if (k > 0 && items.some((u) => u.memory)) {
      const C = this.config.backbone.dModel;
      const memory = new Float32Array(B * k * C);
      const given = new Float32Array(B);
      items.forEach((u, b) => {
        if (!u.memory) return;
        if (u.memory.length !== k * C) throw new Error(`a memory has ${u.memory.length} values, this model's has ${k * C}`);
        memory.set(u.memory, b * k * C);
        given[b] = 1;
      });
      out.memory = tf.tensor3d(memory, [B, k, C]);
      out.memoryGiven = tf.tensor3d(given, [B, 1, 1]);
    }
    return out;
  }

  /**
   * Backbone outputs per utterance [length × C] in inference mode, batched by length: the
   * features the heads train on while the backbone is frozen (see `frozenHidden`).
   */
  backboneOutputs(items: EncodedUtterance[], batchSize = 32, onBatch?: (done: number) => void): Map<EncodedUtterance, Float32Array> {
    // A context mode's input changes with the conversation: there is no fixed output to cache.
    if (contextSettings(this.config.backbone).mode !== 'none') throw new Error('a frozen backbone works in context mode "none" only');
    const C = this.config.backbone.dModel;
    const out = new Map<EncodedUtterance, Float32Array>();
    const order = [...items].sort((a, b) => a.ids.length - b.ids.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const chunk = order.slice(start, start + batchSize);
      const T = Math.max(...chunk.map((u) => u.ids.length));
      const ids = new Int32Array(chunk.length * T);
      const mask = new Float32Array(chunk.length * T);
      chunk.forEach((u, b) => {
        ids.set(u.ids, b * T);
        mask.fill(1, b * T, b * T + u.ids.length);
      });
      const hidden = tf.tidy(() =>
        this.backbone.encode(
          { ids: tf.tensor2d(ids, [chunk.length, T], 'int32'), padMask: tf.tensor2d(mask, [chunk.length, T]) },
          { training: false, seed: () => 0 },
        ),
      ); // [b, T, C]
      const values = hidden.dataSync() as Float32Array;
      hidden.dispose();
      chunk.forEach((u, b) => out.set(u, values.slice(b * T * C, (b * T + u.ids.length) * C)));
      onBatch?.(Math.min(start + batchSize, order.length));
    }
    return out;
  }

  /** Padded frozen-backbone outputs [B, T, C] when every item has them, else undefined. */
  private precomputedHidden(items: EncodedUtterance[], T: number): tf.Tensor3D | undefined {
    const cache = this.frozenHidden;
    if (!cache || !items.every((u) => cache.has(u))) return undefined;
    const C = this.config.backbone.dModel;
    const values = new Float32Array(items.length * T * C);
    items.forEach((u, b) => values.set(cache.get(u) as Float32Array, b * T * C));
    return tf.tensor3d(values, [items.length, T, C]);
  }

  forward(batch: NluBatch, run: RunOptions): NluOutputs {
    const { heads } = this.config;
    const nIntents = heads.intentLabels.length;
    const k = contextSettings(this.config.backbone).memoryTokens;
    const encoded =
      batch.hidden ??
      this.backbone.encode(
        {
          ids: batch.ids,
          segments: batch.segments,
          padMask: batch.padMask,
          extraEmbeddings: this.extraEmbeddings(batch),
          speakers: batch.speakers,
          turnDistances: batch.distances,
          memory: this.incomingMemory(batch),
        },
        run,
      ); // [B, k + T, C] (k = 0 but in memory mode)
    const [B, , C] = encoded.shape;
    const T = batch.ids.shape[1];
    const memory = k > 0 ? (encoded.slice([0, 0, 0], [B, k, C]) as tf.Tensor3D) : undefined; // [B, k, C]
    const hidden = k > 0 ? encoded.slice([0, k, 0], [B, T, C]) : encoded; // [B, T, C]
    const cls = hidden.slice([0, 0, 0], [B, 1, C]).reshape([B, C]); // [B, C]
    // Context modes pool the current turn only: the earlier turns inform it through attention.
    const poolMask = batch.poolMask ?? batch.padMask;
    const maskSum = poolMask.sum(1, true); // [B, 1]
    const meanPool = hidden.mul(poolMask.expandDims(2)).sum(1).div(maskSum); // [B, C]
    const pooled = dropout(tf.concat([cls, meanPool], 1), this.config.backbone.dropout, run.training, run.seed); // [B, 2C]
    const denseIntentLogits = linear(this.params, 'heads.intent.dense', pooled, nIntents) as tf.Tensor2D;
    const sparse = dropout(batch.sentenceSparse, this.config.backbone.dropout, run.training, run.seed); // [B, Ds]
    const sparseIntentLogits = linear(this.params, 'heads.intent.sparse', sparse, nIntents) as tf.Tensor2D;
    const intentLogits = denseIntentLogits.add(sparseIntentLogits) as tf.Tensor2D;
    const slotLogits = linear(this.params, 'heads.slots', hidden, heads.slotTags.length) as tf.Tensor3D; // [B, T, S]
    if (intentLogits.shape[1] !== nIntents || slotLogits.shape[1] !== T) throw new Error('head output shape mismatch');
    return { intentLogits, denseIntentLogits, sparseIntentLogits, slotLogits, ...(memory && { memory }) };
  }

  /** What is added to each token's embedding: its hashed word features and the projection of its word's vector. */
  private extraEmbeddings(batch: NluBatch): tf.Tensor3D | undefined {
    const projected = batch.tokenVectors && (linear(this.params, WORD_VECTOR_PROJECTION, batch.tokenVectors, this.config.backbone.dModel) as tf.Tensor3D);
    if (!projected) return batch.tokenSparse;
    return batch.tokenSparse ? (batch.tokenSparse.add(projected) as tf.Tensor3D) : projected;
  }

  /**
   * Memory mode: each row's own memory, or the learned initial one [B, k, C]; undefined when no
   * row brings one (the backbone then uses the initial memory). Mixing through the mask keeps the
   * initial memory trainable in batches where only some rows bring a memory.
   */
  private incomingMemory(batch: NluBatch): tf.Tensor3D | undefined {
    if (!batch.memory || !batch.memoryGiven) return undefined;
    // Created by the backbone's first pass (build), under the name backbone.ts gives it.
    const initial = this.params.require('embeddings.memory_init').expandDims(0); // [1, k, C]
    return batch.memory.mul(batch.memoryGiven).add(initial.mul(tf.sub(1, batch.memoryGiven))) as tf.Tensor3D;
  }
}
