/**
 * The schema-guided multi-turn network: the shared backbone (in any context mode) and heads that
 * compare the turn's encoding with embeddings of schema elements (docs/context-modes.md):
 *
 * - active intent: the [CLS] state against each intent of the frame's service, and a learned NONE;
 * - taking an offer: a yes/no per frame from [CLS] (SGD's SELECT act, which the tracker acts on);
 * - requested slots: the [CLS] state against each slot (a yes/no per slot);
 * - spanless values: per slot, the [CLS] state and the message's tokens attended by the slot,
 *   against "not stated", "dontcare" and each categorical value, plus a feature for values the
 *   message names word for word;
 * - spans: each current-turn token against the begin and inside vectors of each non-categorical
 *   slot of the turn's services, and a learned outside score (BIO tags).
 *
 * An element's embedding is the mean of its description's token embeddings (the backbone's own
 * table) through a small MLP: cheap enough to recompute every step, and shared words ("city",
 * "restaurant", "date") carry what was learned on train's services to unseen ones.
 */
import * as tf from '@tensorflow/tfjs';
import { Backbone, type RunOptions } from '../model/backbone.js';
import { contextSettings, type BackboneConfig } from '../model/config.js';
import { activate, embed, INIT_STD, linear } from '../model/layers.js';
import type { ParameterStore } from '../model/params.js';
import { SparseEmbeddingBag, type AdamSettings } from '../model/sparse-embedding.js';
import type { SparseVector } from '../model/sparse-features.js';
import type { SchemaCatalog, PreparedTurn } from './sgd-task.js';

const MASKED = -1e9;
/** Starting weight of the value-mention feature (see forward). */
const MENTION_START = 2;

/** Padded tensors of a batch of prepared turns. */
export interface SgdBatch {
  size: number;
  ids: tf.Tensor2D;
  speakers: tf.Tensor2D;
  distances: tf.Tensor2D;
  padMask: tf.Tensor2D;
  /** The sparse word features of every token [B, T, C] (models with a feature table). */
  tokenSparse?: tf.Tensor3D;
  /** The feature vectors behind `tokenSparse`, row-major [B × T]. */
  tokenRows?: (SparseVector | undefined)[];
  /** Longest current-turn token count (the span head's length). */
  utteranceLength: number;
  /** Schema elements used by the batch (catalog indices); local index = position here. */
  elements: number[];
  frames: {
    row: Int32Array;
    candidates: Int32Array;
    candidateMask: Float32Array;
    previous: Float32Array;
    /** 1 where the system's previous turn offered the candidate intent [F × width]. */
    offered: Float32Array;
    /** The message's use of each candidate's distinctive words [F × width] (`intentWordMatch`). */
    words: Float32Array;
    /** 1 for a transactional candidate [F × width]. */
    transactional: Float32Array;
    /** 1 where the system's previous turn named one of the candidate's own slots [F × width]. */
    systemNamed: Float32Array;
    /** +1 / -1 where the system's previous turn fits / rules out the candidate (`servedIntents`) [F × width]. */
    systemServes: Float32Array;
    width: number;
    count: number;
    gold?: Int32Array;
    /** 1 where the user takes the service's offer [F]. */
    goldSelected?: Float32Array;
  };
  requested: { row: Int32Array; element: Int32Array; count: number; gold?: Float32Array };
  values: {
    row: Int32Array;
    slot: Int32Array;
    candidates: Int32Array;
    candidateMask: Float32Array;
    /** 1 where the message names the candidate value [V × width]. */
    mentions: Float32Array;
    /** 1 in the "not stated" column where the message names some value of the slot [V × width]. */
    slotMentioned: Float32Array;
    /** 1 where the system's previous turn asked for the slot [V]. */
    asked: Float32Array;
    width: number;
    count: number;
    gold?: Int32Array;
  };
  /** `asked`: 1 where the system's previous turn asked for the span slot [B × width]. */
  spans: { slots: Int32Array; slotMask: Float32Array; asked: Float32Array; width: number; gold?: Int32Array; tokenMask: Float32Array };
}

export interface SgdOutputs {
  /** Memory for the next turn [B, k, C] (memory mode only). */
  memory?: tf.Tensor3D;
  intentLogits: tf.Tensor2D; // [F, K]
  /** What the previous-intent input adds to its candidate's logit, per frame [F] (the rest of a logit does not depend on it). */
  previousScores: tf.Tensor1D;
  /** Whether the user takes the frame's pending offer [F]. */
  selectLogits: tf.Tensor1D;
  requestedLogits: tf.Tensor1D; // [R]
  valueLogits: tf.Tensor2D; // [V, Kv]
  tagLogits: tf.Tensor3D; // [B, L, 1 + 2S]
}

export class SgdNetwork {
  readonly backbone: Backbone;
  /** Table of the current turn's sparse word features (DIET), when `config.tokenFeatureBuckets` > 0. */
  readonly tokenBag?: SparseEmbeddingBag;
  private readonly memoryTokens: number;

  constructor(
    readonly config: BackboneConfig,
    readonly params: ParameterStore,
    readonly catalog: SchemaCatalog,
    /** Seeds the feature table (the run's generator: same seed, same model). */
    rng: () => number,
  ) {
    this.backbone = new Backbone(config, params);
    this.memoryTokens = contextSettings(config).memoryTokens;
    if (config.tokenFeatureBuckets > 0) this.tokenBag = new SparseEmbeddingBag(config.tokenFeatureBuckets, config.dModel, rng);
  }

  /** In training: make a batch's feature input a variable, so that its gradient reaches the table. */
  trainableFeatures(batch: SgdBatch): void {
    if (!batch.tokenSparse) return;
    const input = batch.tokenSparse;
    // The variable shares the tensor's data (reference-counted): disposing the tensor keeps it.
    batch.tokenSparse = tf.variable(input, true) as unknown as tf.Tensor3D;
    input.dispose();
  }

  /** A lazy Adam step on the feature rows a batch used, from the gradients of a step. */
  updateFeatures(batch: SgdBatch, grads: Record<string, tf.Tensor>, adam: AdamSettings): void {
    const variable = batch.tokenSparse as unknown as tf.Variable | undefined;
    const grad = variable && grads[variable.name];
    if (!grad || !this.tokenBag || !batch.tokenRows) return;
    this.tokenBag.backward(batch.tokenRows, grad.dataSync() as Float32Array, adam);
  }

  /** Pad prepared turns into tensors. Labels are included when every turn has them. */
  makeBatch(turns: readonly PreparedTurn[]): SgdBatch {
    const B = turns.length;
    const T = Math.max(...turns.map((t) => t.tokens.ids.length));
    const L = Math.max(1, ...turns.map((t) => t.tokens.utteranceTokens));
    const ids = new Int32Array(B * T);
    const speakers = new Int32Array(B * T);
    const distances = new Int32Array(B * T);
    const padMask = new Float32Array(B * T);
    turns.forEach((t, b) => {
      ids.set(t.tokens.ids, b * T);
      speakers.set(t.tokens.speakers, b * T);
      distances.set(t.tokens.distances, b * T);
      padMask.fill(1, b * T, b * T + t.tokens.ids.length);
    });
    const labelled = turns.every((t) => t.goldTags !== undefined);
    const local = new Map<number, number>();
    const elements: number[] = [];
    const at = (element: number): number => {
      let i = local.get(element);
      if (i === undefined) {
        i = elements.length;
        local.set(element, i);
        elements.push(element);
      }
      return i;
    };

    // Intents: candidate -1 (NONE) maps to the row after the batch's elements, filled in forward().
    const frameList = turns.flatMap((t, b) => t.frames.map((f) => ({ b, f })));
    const services = (name: string) => this.catalog.services.get(name)!;
    const K = Math.max(1, ...frameList.map(({ f }) => f.intentCandidates.length));
    const frames = {
      row: new Int32Array(frameList.length),
      candidates: new Int32Array(frameList.length * K),
      candidateMask: new Float32Array(frameList.length * K),
      previous: new Float32Array(frameList.length * K),
      offered: new Float32Array(frameList.length * K),
      words: new Float32Array(frameList.length * K),
      transactional: new Float32Array(frameList.length * K),
      systemNamed: new Float32Array(frameList.length * K),
      systemServes: new Float32Array(frameList.length * K),
      width: K,
      count: frameList.length,
      gold: labelled ? new Int32Array(frameList.length) : undefined,
      goldSelected: labelled ? new Float32Array(frameList.length) : undefined,
    };
    const requestedRows: number[] = [];
    const requestedElements: number[] = [];
    const requestedGold: number[] = [];
    const valueList: { b: number; slot: number; candidates: number[]; mentions: number[]; asked: number; gold: number }[] = [];
    frameList.forEach(({ b, f }, i) => {
      frames.row[i] = b;
      f.intentCandidates.forEach((c, j) => {
        frames.candidates[i * K + j] = c < 0 ? -1 : at(c);
        frames.candidateMask[i * K + j] = 1;
        frames.offered[i * K + j] = f.offeredIntents[j] ?? 0;
        frames.words[i * K + j] = f.intentWords[j] ?? 0;
        frames.transactional[i * K + j] = f.transactional[j] ?? 0;
        frames.systemNamed[i * K + j] = f.systemNamed[j] ?? 0;
        frames.systemServes[i * K + j] = f.systemServes[j] ?? 0;
      });
      if (f.previousIntent !== undefined) frames.previous[i * K + f.previousIntent] = 1;
      if (frames.gold) frames.gold[i] = f.goldIntent ?? -1;
      if (frames.goldSelected) frames.goldSelected[i] = f.goldSelected ? 1 : 0;
      services(f.service).slots.forEach((slot, s) => {
        requestedRows.push(b);
        requestedElements.push(at(slot.element));
        requestedGold.push(f.goldRequested?.[s] ? 1 : 0);
        valueList.push({
          b,
          slot: at(slot.element),
          candidates: slot.values.map((v) => at(v.element)),
          mentions: f.valueMentions[s] ?? [],
          asked: f.askedSlots[s] ?? 0,
          gold: f.goldValues?.[s] ?? 0,
        });
      });
    });
    const Kv = 2 + Math.max(0, ...valueList.map((v) => v.candidates.length));
    const values = {
      row: Int32Array.from(valueList.map((v) => v.b)),
      slot: Int32Array.from(valueList.map((v) => v.slot)),
      candidates: new Int32Array(valueList.length * Kv),
      candidateMask: new Float32Array(valueList.length * Kv),
      mentions: new Float32Array(valueList.length * Kv),
      slotMentioned: new Float32Array(valueList.length * Kv),
      asked: Float32Array.from(valueList.map((v) => v.asked)),
      width: Kv,
      count: valueList.length,
      gold: labelled ? Int32Array.from(valueList.map((v) => v.gold)) : undefined,
    };
    valueList.forEach((v, i) => {
      // 0 and 1 (not stated, dontcare) point at the two learned rows, placed by forward().
      values.candidates[i * Kv] = -1;
      values.candidates[i * Kv + 1] = -2;
      values.candidateMask.fill(1, i * Kv, i * Kv + 2 + v.candidates.length);
      v.candidates.forEach((c, j) => (values.candidates[i * Kv + 2 + j] = c));
      v.mentions.forEach((m, j) => {
        values.mentions[i * Kv + 2 + j] = m;
        if (m > 0) values.slotMentioned[i * Kv] = 1;
      });
    });

    const S = Math.max(1, ...turns.map((t) => t.spanSlots.length));
    const spans = {
      slots: new Int32Array(B * S),
      slotMask: new Float32Array(B * S),
      asked: new Float32Array(B * S),
      width: S,
      gold: labelled ? new Int32Array(B * L) : undefined,
      tokenMask: new Float32Array(B * L),
    };
    turns.forEach((t, b) => {
      t.spanSlots.forEach((s, j) => {
        spans.slots[b * S + j] = at(s.element);
        spans.slotMask[b * S + j] = 1;
        spans.asked[b * S + j] = s.asked ? 1 : 0;
      });
      spans.tokenMask.fill(1, b * L, b * L + t.tokens.utteranceTokens);
      if (spans.gold && t.goldTags) {
        // Tags were numbered against the turn's own slot count; renumber I tags for the batch's S.
        const own = t.spanSlots.length;
        t.goldTags.forEach((tag, i) => (spans.gold![b * L + i] = tag > own ? tag - own + S : tag));
      }
    });

    let tokenRows: (SparseVector | undefined)[] | undefined;
    let tokenSparse: tf.Tensor3D | undefined;
    if (this.tokenBag) {
      tokenRows = turns.flatMap((t) => Array.from({ length: T }, (_, i) => t.tokenFeatures?.[i]));
      tokenSparse = tf.tensor3d(this.tokenBag.forward(tokenRows), [B, T, this.tokenBag.dim]);
    }

    return {
      size: B,
      tokenSparse,
      tokenRows,
      ids: tf.tensor2d(ids, [B, T], 'int32'),
      speakers: tf.tensor2d(speakers, [B, T], 'int32'),
      distances: tf.tensor2d(distances, [B, T], 'int32'),
      padMask: tf.tensor2d(padMask, [B, T]),
      utteranceLength: L,
      elements,
      frames,
      requested: {
        row: Int32Array.from(requestedRows),
        element: Int32Array.from(requestedElements),
        count: requestedRows.length,
        gold: labelled ? Float32Array.from(requestedGold) : undefined,
      },
      values,
      spans,
    };
  }

  disposeBatch(batch: SgdBatch): void {
    tf.dispose([batch.ids, batch.speakers, batch.distances, batch.padMask, batch.tokenSparse ?? []]);
  }

  /** Element embeddings [N, C] of the catalog elements given. */
  private embedElements(elements: number[]): tf.Tensor2D {
    const C = this.config.dModel;
    const N = elements.length;
    const width = Math.max(1, ...elements.map((e) => this.catalog.ids[e].length));
    const ids = new Int32Array(N * width);
    const weights = new Float32Array(N * width);
    elements.forEach((e, i) => {
      const tokens = this.catalog.ids[e];
      ids.set(tokens, i * width);
      if (tokens.length > 0) weights.fill(1 / tokens.length, i * width, i * width + tokens.length);
    });
    const table = this.params.get('embeddings.token', [this.config.vocabSize, C], { kind: 'normal', std: INIT_STD });
    const tokens = embed(table, tf.tensor2d(ids, [N, width], 'int32')); // [N, W, C]
    const mean = tokens.mul(tf.tensor3d(weights, [N, width, 1])).sum(1); // [N, C]
    const hidden = activate('gelu_tanh', linear(this.params, 'sgd.schema.up', mean, 2 * C));
    return mean.add(linear(this.params, 'sgd.schema.down', hidden, C)) as tf.Tensor2D;
  }

  /** `memoryFresh` [B, 1, 1]: 1 for rows that start their dialogue (they take the initial memory, not `memory`'s row). */
  forward(batch: SgdBatch, run: RunOptions, memory?: tf.Tensor3D, memoryFresh?: tf.Tensor3D): SgdOutputs {
    const C = this.config.dModel;
    const k = this.memoryTokens;
    const B = batch.size;
    const all = this.backbone.encode(
      { ids: batch.ids, speakers: batch.speakers, turnDistances: batch.distances, padMask: batch.padMask, memory, memoryFresh, extraEmbeddings: batch.tokenSparse },
      run,
    ); // [B, k + T, C]
    const nextMemory = k > 0 ? (all.slice([0, 0, 0], [B, k, C]) as tf.Tensor3D) : undefined;
    const cls = all.slice([0, k, 0], [B, 1, C]).reshape([B, C]);
    const L = batch.utteranceLength;
    const utterance = all.slice([0, k + 1, 0], [B, Math.min(L, all.shape[1] - k - 1), C]);
    const E = this.embedElements(batch.elements.length > 0 ? batch.elements : [0]); // [N, C]
    const N = E.shape[0];
    const p = this.params;

    // Active intent: E plus a learned NONE row at index N.
    const none = p.get('sgd.intent.none', [1, C], { kind: 'normal', std: INIT_STD });
    const intentTable = tf.concat([E, none], 0);
    const { frames } = batch;
    const intentQuery = tf.gather(linear(p, 'sgd.intent.query', cls, C), tf.tensor1d(frames.row, 'int32')); // [F, C]
    const intentIds = frames.candidates.map((c) => (c < 0 ? N : c));
    // The candidate that was active after the service's previous frame gets a learned vector
    // added to its key and a learned bias: most frames keep their intent (69% of train's).
    const previous = tf.tensor3d(frames.previous, [frames.count, frames.width, 1]);
    const previousVector = p.get('sgd.intent.previous', [C], { kind: 'normal', std: INIT_STD });
    const previousBias = p.get('sgd.intent.previous_bias', [1], { kind: 'zeros' });
    // An intent the system has just offered ("shall I book it?") gets its own vector and bias: the
    // user's "yes" or "no" decides, which a message alone cannot say (61% of offers are taken on
    // train, and 37% of intent changes follow an offer).
    const offered = tf.tensor3d(frames.offered, [frames.count, frames.width, 1]);
    const offeredVector = p.get('sgd.intent.offered', [C], { kind: 'normal', std: INIT_STD });
    const offeredBias = p.get('sgd.intent.offered_bias', [1], { kind: 'zeros' });
    // Sibling intents of one service (search vs. reserve) made most errors: whether an intent is
    // transactional is said the same way in every schema, so a learned vector for it carries what
    // train's services teach ("book it" → the transactional one) to unseen services, and the
    // message's use of an intent's own words ("round trip") is a feature that starts counting.
    const transactional = tf.tensor3d(frames.transactional, [frames.count, frames.width, 1]);
    const transactionalVector = p.get('sgd.intent.transactional', [C], { kind: 'normal', std: INIT_STD });
    const wordsWeight = p.get('sgd.intent.words', [1], { kind: 'ones' }).mul(MENTION_START);
    // The system asking for, confirming or offering an intent's own slot ("when do you return?")
    // says which intent it is serving; this also mends a wrong intent carried from earlier turns.
    const namedWeight = p.get('sgd.intent.system_named', [1], { kind: 'ones' }).mul(MENTION_START);
    // So does what the system asked for and whether it confirmed: it asks only for the served
    // intent's required slots and confirms only transactional intents ("how many tickets?" is a
    // purchase even when the user first said "find me a bus").
    const servesWeight = p.get('sgd.intent.system_serves', [1], { kind: 'ones' }).mul(MENTION_START);
    const intentKeys = tf
      .gather(intentTable, tf.tensor1d(intentIds, 'int32'))
      .reshape([frames.count, frames.width, C])
      .add(previous.mul(previousVector))
      .add(offered.mul(offeredVector))
      .add(transactional.mul(transactionalVector));
    const intentLogits = intentKeys
      .mul(intentQuery.expandDims(1))
      .sum(2)
      .add(previous.squeeze([2]).mul(previousBias))
      .add(offered.squeeze([2]).mul(offeredBias))
      .add(tf.tensor2d(frames.words, [frames.count, frames.width]).mul(wordsWeight))
      .add(tf.tensor2d(frames.systemNamed, [frames.count, frames.width]).mul(namedWeight))
      .add(tf.tensor2d(frames.systemServes, [frames.count, frames.width]).mul(servesWeight))
      .add(tf.tensor2d(frames.candidateMask, [frames.count, frames.width]).sub(1).mul(-MASKED)) as tf.Tensor2D;

    // Taking an offer ("that one works"): the tracker then moves the offered values into the state.
    const selectLogits = tf.gather(linear(p, 'sgd.select', cls, 1).reshape([B]), tf.tensor1d(frames.row, 'int32')) as tf.Tensor1D;

    // Requested slots.
    const { requested } = batch;
    const requestedQuery = tf.gather(linear(p, 'sgd.requested.query', cls, C), tf.tensor1d(requested.row, 'int32'));
    const requestedBias = p.get('sgd.requested.bias', [1], { kind: 'zeros' });
    const requestedLogits = requestedQuery
      .mul(tf.gather(E, tf.tensor1d(requested.element, 'int32')))
      .sum(1)
      .add(requestedBias) as tf.Tensor1D;

    const { spans } = batch;
    const padded = utterance.shape[1] < L ? tf.pad(utterance, [[0, 0], [0, L - utterance.shape[1]], [0, 0]]) : utterance; // [B, L, C]
    const tokenMask = tf.tensor2d(spans.tokenMask, [B, L]);

    // Spanless values: per slot, the [CLS] query and the message's tokens attended by the slot,
    // against not-stated, dontcare and the categorical values (rows N and N + 1 are the two
    // learned classes). [CLS] alone missed nearly every value users state: the slot must look
    // for its value in the message, and a value the message names word for word says so directly.
    const { values } = batch;
    const special = p.get('sgd.value.special', [2, C], { kind: 'normal', std: INIT_STD });
    const valueTable = tf.concat([E, special], 0);
    const valueRows = tf.tensor1d(values.row, 'int32');
    const valueQuery = tf.gather(linear(p, 'sgd.value.query', cls, C), valueRows); // [V, C]
    // A slot the system has just asked for ("how many people?") is what a bare "4" answers.
    const valueAsked = tf.tensor2d(values.asked, [values.count, 1]).mul(p.get('sgd.value.asked', [C], { kind: 'normal', std: INIT_STD }));
    const slotVectors = tf.gather(E, tf.tensor1d(values.slot, 'int32')).add(valueAsked); // [V, C]
    const rowTokens = tf.gather(padded, valueRows); // [V, L, C]
    const attention = rowTokens
      .mul(linear(p, 'sgd.value.attend', slotVectors, C).expandDims(1))
      .sum(2)
      .div(Math.sqrt(C))
      .add(tf.gather(tokenMask, valueRows).sub(1).mul(-MASKED))
      .softmax(); // [V, L]
    const attended = rowTokens.mul(attention.expandDims(2)).sum(1); // [V, C]
    const conditioned = linear(p, 'sgd.value.mix', activate('gelu_tanh', linear(p, 'sgd.value.join', tf.concat([valueQuery, slotVectors, attended], 1), 2 * C)), C);
    const valueIds = values.candidates.map((c) => (c === -1 ? N : c === -2 ? N + 1 : c));
    // Both start where a named value already counts (+2 for it, -2 for "not stated"): from zero, a
    // scalar moves about one learning rate per step, too slowly to matter within an epoch.
    const mentionWeight = p.get('sgd.value.mention', [1], { kind: 'ones' }).mul(MENTION_START);
    const mentionedSlot = p.get('sgd.value.mentioned_slot', [1], { kind: 'ones' }).mul(-MENTION_START);
    const valueLogits = tf
      .gather(valueTable, tf.tensor1d(valueIds, 'int32'))
      .reshape([values.count, values.width, C])
      .mul(conditioned.expandDims(1))
      .sum(2)
      .add(tf.tensor2d(values.mentions, [values.count, values.width]).mul(mentionWeight))
      .add(tf.tensor2d(values.slotMentioned, [values.count, values.width]).mul(mentionedSlot))
      .add(tf.tensor2d(values.candidateMask, [values.count, values.width]).sub(1).mul(-MASKED)) as tf.Tensor2D;

    // Spans: [B, L, 1 + 2S] = outside score, begin scores, inside scores.
    const S = spans.width;
    // Each token is read with its neighbours' states: a 2-layer encoder trained from scratch
    // barely tells which word stands next to which ("from X to Y"), see docs/architecture.md.
    const before = tf.pad(padded, [[0, 0], [1, 0], [0, 0]]).slice([0, 0, 0], [B, L, C]);
    const after = tf.pad(padded, [[0, 0], [0, 1], [0, 0]]).slice([0, 1, 0], [B, L, C]);
    const local = tf.concat([before, padded, after], 2); // [B, L, 3C]
    const tokenQuery = linear(p, 'sgd.span.token', local, C); // [B, L, C]
    const outside = linear(p, 'sgd.span.outside', local, 1); // [B, L, 1]
    const spanAsked = tf.tensor2d(spans.asked, [B * S, 1]).mul(p.get('sgd.span.asked', [C], { kind: 'normal', std: INIT_STD }));
    const slotRows = tf.gather(E, tf.tensor1d(spans.slots, 'int32')).add(spanAsked); // [B*S, C]
    const begin = linear(p, 'sgd.span.begin', slotRows, C).reshape([B, S, C]);
    const inside = linear(p, 'sgd.span.inside', slotRows, C).reshape([B, S, C]);
    const slotMask = tf.tensor2d(spans.slotMask, [B, S]).sub(1).mul(-MASKED).expandDims(1); // [B, 1, S]
    const beginLogits = tf.matMul(tokenQuery, begin, false, true).add(slotMask); // [B, L, S]
    const insideLogits = tf.matMul(tokenQuery, inside, false, true).add(slotMask);
    const tagLogits = tf.concat([outside, beginLogits, insideLogits], 2) as tf.Tensor3D;

    const previousScores = intentQuery.matMul(previousVector.reshape([C, 1])).reshape([frames.count]).add(previousBias) as tf.Tensor1D;

    return { memory: nextMemory, intentLogits, previousScores, selectLogits, requestedLogits, valueLogits, tagLogits };
  }

  /** The sum of the heads' losses over a labelled batch. */
  loss(batch: SgdBatch, out: SgdOutputs): tf.Scalar {
    const { frames, requested, values, spans } = batch;
    const terms: tf.Tensor[] = [];
    // Frames whose gold intent is missing from the schema (gold -1) are left out of the intent loss.
    const intentRows = [...frames.gold!.keys()].filter((i) => frames.gold![i] >= 0);
    if (intentRows.length > 0) {
      const logits = tf.gather(out.intentLogits, tf.tensor1d(intentRows, 'int32'));
      const gold = tf.oneHot(tf.tensor1d(intentRows.map((i) => frames.gold![i]), 'int32'), frames.width);
      terms.push(tf.losses.softmaxCrossEntropy(gold, logits));
    }
    if (frames.count > 0) terms.push(tf.losses.sigmoidCrossEntropy(tf.tensor1d(frames.goldSelected!), out.selectLogits));
    if (requested.count > 0) terms.push(tf.losses.sigmoidCrossEntropy(tf.tensor1d(requested.gold!), out.requestedLogits));
    if (values.count > 0) terms.push(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(values.gold!, 'int32'), values.width), out.valueLogits));
    const B = batch.size;
    const L = batch.utteranceLength;
    const width = out.tagLogits.shape[2];
    const tagLoss = tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.tensor1d(spans.gold!, 'int32'), width),
      out.tagLogits.reshape([B * L, width]),
      tf.tensor1d(spans.tokenMask),
    );
    terms.push(tagLoss);
    return tf.addN(terms) as tf.Scalar;
  }
}
