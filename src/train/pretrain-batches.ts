/**
 * Pretraining data as token ids, and the batches of every step. A step's batch is a pure
 * function of (seed, step): data order, masking and dropout need no saved random state, so a
 * resumed run sees exactly the batches an uninterrupted one would.
 *
 * - Masked LM and next-token LM read one token stream: every corpus text in corpus order (so
 *   neighbouring turns of a dialogue stay neighbours), each followed by [SEP]. The stream is cut
 *   into fixed windows (packing, as GPT-2 and RoBERTa do): every position is a real token, no
 *   compute goes to padding. Masked-LM windows start with [CLS], as a fine-tuned utterance does;
 *   next-token windows start anywhere, so generation can start from any prompt.
 * - Ranking reads (context, response) pairs: the context's turns joined by [SEP] (oldest dropped
 *   first), speakers told apart by segment ids (0: the turn the response answers, 1: the turn
 *   before it, alternating), and the response on its own.
 */
import type { PretrainingCorpus } from '../data/corpora/pretraining.js';
import { CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS, type WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { createRng } from '../util/random.js';

/** The objectives trained together on the shared backbone. */
export const OBJECTIVES = ['mlm', 'lm', 'rank'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** One (context, response) pair as ids. */
export interface EncodedPair {
  /** [CLS] turn [SEP] turn [SEP] …, at most maxTokens. */
  context: Int32Array;
  /** Segment id of each context token. */
  contextSegments: Int32Array;
  /** [CLS] response [SEP], at most maxTokens. */
  response: Int32Array;
  /** Equal keys = identical responses (not negatives of each other within a batch). */
  responseKey: number;
}

/** The corpus as ids, ready to be cut into batches. */
export interface PreparedCorpus {
  /** Every text's ids followed by [SEP], in corpus order. */
  stream: Int32Array;
  pairs: EncodedPair[];
  maxTokens: number;
  vocabSize: number;
}

/** Tokenize the corpus once (texts to the stream, pairs to ids). */
export async function prepareCorpus(
  corpus: Pick<PretrainingCorpus, 'texts' | 'pairs'>,
  tokenizer: WordPieceTokenizer,
  maxTokens: number,
  onProgress?: (done: number, total: number) => void,
): Promise<PreparedCorpus> {
  if (maxTokens < 4) throw new Error(`maxTokens must be at least 4, got ${maxTokens}`);
  const cache = new Map<string, Int32Array>();
  const total = corpus.texts.length + corpus.pairs.length;
  let done = 0;
  const encodeAll = async (texts: string[]): Promise<void> => {
    const todo = [...new Set(texts)].filter((t) => !cache.has(t));
    // Chunks: the tokenizer works in a thread pool; all at once would hold every promise in memory.
    for (let i = 0; i < todo.length; i += 1024) {
      const chunk = todo.slice(i, i + 1024);
      const encoded = await Promise.all(chunk.map((t) => tokenizer.encode(t)));
      chunk.forEach((t, j) => cache.set(t, Int32Array.from(encoded[j].ids)));
    }
  };
  for (let i = 0; i < corpus.texts.length; i += 16384) {
    await encodeAll(corpus.texts.slice(i, i + 16384));
    done = Math.min(corpus.texts.length, i + 16384);
    onProgress?.(done, total);
  }
  let streamLength = 0;
  for (const text of corpus.texts) streamLength += (cache.get(text) as Int32Array).length + 1;
  const stream = new Int32Array(streamLength);
  let at = 0;
  for (const text of corpus.texts) {
    const ids = cache.get(text) as Int32Array;
    stream.set(ids, at);
    at += ids.length;
    stream[at++] = SEP_ID;
  }

  const pairs: EncodedPair[] = [];
  const responseKeys = new Map<string, number>();
  for (let i = 0; i < corpus.pairs.length; i += 4096) {
    const slice = corpus.pairs.slice(i, i + 4096);
    await encodeAll(slice.flatMap((p) => [...p.context, p.response]));
    for (const pair of slice) {
      const response = frame(cache.get(pair.response) as Int32Array, maxTokens, 'head');
      const key = response.join(',');
      let responseKey = responseKeys.get(key);
      if (responseKey === undefined) responseKeys.set(key, (responseKey = responseKeys.size));
      pairs.push({ ...encodeContext(pair.context.map((turn) => cache.get(turn) as Int32Array), maxTokens), response, responseKey });
    }
    done = corpus.texts.length + Math.min(corpus.pairs.length, i + 4096);
    onProgress?.(done, total);
    // The cache only saves work within a stretch of pairs (one dialogue's turns); drop it as we go.
    if (cache.size > 2_000_000) cache.clear();
  }
  return { stream, pairs, maxTokens, vocabSize: tokenizer.vocabSize };
}

/** [CLS] ids [SEP], keeping the head (or tail) of ids when they do not fit (a response: its head). */
export function frame(ids: Int32Array, maxTokens: number, keep: 'head' | 'tail'): Int32Array {
  const room = maxTokens - 2;
  const kept = ids.length <= room ? ids : keep === 'head' ? ids.subarray(0, room) : ids.subarray(ids.length - room);
  const out = new Int32Array(kept.length + 2);
  out[0] = CLS_ID;
  out.set(kept, 1);
  out[kept.length + 1] = SEP_ID;
  return out;
}

/** [CLS] t1 [SEP] t2 [SEP] … with the oldest turns dropped first; segments alternate back from the last turn. */
export function encodeContext(turns: Int32Array[], maxTokens: number): { context: Int32Array; contextSegments: Int32Array } {
  if (turns.length === 0) return { context: Int32Array.from([CLS_ID, SEP_ID]), contextSegments: new Int32Array(2) };
  const last = turns.length - 1;
  const kept: { ids: Int32Array; segment: number }[] = [];
  let room = maxTokens - 1; // after [CLS]
  for (let i = last; i >= 0; i--) {
    let ids = turns[i];
    if (ids.length + 1 > room) {
      // Only the most recent turn is cut (to its tail, nearest the response); older ones are dropped whole.
      if (i !== last) break;
      ids = ids.subarray(ids.length - (room - 1));
    }
    kept.unshift({ ids, segment: (last - i) % 2 });
    room -= ids.length + 1;
  }
  const length = maxTokens - room;
  const context = new Int32Array(length);
  const contextSegments = new Int32Array(length);
  context[0] = CLS_ID;
  let at = 1;
  for (const { ids, segment } of kept) {
    context.set(ids, at);
    context[at + ids.length] = SEP_ID;
    contextSegments.fill(segment, at, at + ids.length + 1);
    at += ids.length + 1;
  }
  // [CLS] takes the segment of the first kept turn.
  contextSegments[0] = kept[0].segment;
  return { context, contextSegments };
}

/** Masked-LM inputs: B windows of T tokens, some replaced, and what the replaced positions held. */
export interface MlmBatch {
  B: number;
  T: number;
  /** [B·T] input ids ([MASK], a random token, or unchanged at chosen positions). */
  ids: Int32Array;
  /** Flat positions (b·T + t) to predict. */
  positions: Int32Array;
  /** The original token at each position. */
  labels: Int32Array;
}

/** Next-token inputs: B windows of T tokens and the T tokens after each. */
export interface LmBatch {
  B: number;
  T: number;
  ids: Int32Array;
  targets: Int32Array;
}

/** Ranking inputs: B contexts and their B responses, each padded to its batch's longest. */
export interface RankBatch {
  B: number;
  contextT: number;
  contextIds: Int32Array;
  contextSegments: Int32Array;
  contextMask: Float32Array;
  responseT: number;
  responseIds: Int32Array;
  responseMask: Float32Array;
  /** [B·B]: 1 where context i's row must not count response j as a negative (same text, j ≠ i). */
  sameResponse: Float32Array;
}

export interface StepBatch {
  mlm?: MlmBatch;
  lm?: LmBatch;
  rank?: RankBatch;
}

export interface MaskingSettings {
  /** Share of tokens chosen for prediction (BERT: 0.15). */
  rate: number;
  /** Of those, replaced by [MASK] (0.8), by a random token (0.1); the rest kept (0.1). */
  maskShare: number;
  randomShare: number;
}

export const BERT_MASKING: Readonly<MaskingSettings> = Object.freeze({ rate: 0.15, maskShare: 0.8, randomShare: 0.1 });

/** A well-mixed 32-bit value from several integers: per-step seeds without saved generator state. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h ^ Math.floor(part / 2 ** 32), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Items in a shuffled order per epoch: item k of the whole run is a function of (seed, k). */
class EpochOrder {
  private epoch = -1;
  private order = new Int32Array(0);

  constructor(
    readonly count: number,
    private readonly seed: number,
  ) {}

  /** The item at global position k (epoch k / count, place k % count). */
  at(k: number): number {
    const epoch = Math.floor(k / this.count);
    if (epoch !== this.epoch) {
      const order = Int32Array.from({ length: this.count }, (_, i) => i);
      const rng = createRng(mixSeed(this.seed, epoch));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.order = order;
      this.epoch = epoch;
    }
    return this.order[k % this.count];
  }
}

/** Which objectives have data, and how many windows or pairs each has. */
export interface PlanSizes {
  mlmWindows: number;
  lmWindows: number;
  pairs: number;
}

/** The batches of every step of a run. */
export class BatchPlan {
  private readonly mlmOrder?: EpochOrder;
  private readonly lmOrder?: EpochOrder;
  private readonly pairOrder?: EpochOrder;
  readonly sizes: PlanSizes;

  constructor(
    private readonly data: PreparedCorpus,
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly objectives: ReadonlySet<Objective>,
    private readonly masking: MaskingSettings = BERT_MASKING,
  ) {
    const T = data.maxTokens;
    const { stream } = data;
    // Masked-LM windows hold T - 1 stream tokens after [CLS]; next-token windows T + 1 (inputs and shifted targets).
    this.sizes = {
      mlmWindows: Math.floor(stream.length / (T - 1)),
      lmWindows: stream.length > T ? Math.floor((stream.length - 1) / T) : 0,
      pairs: data.pairs.length,
    };
    if (objectives.has('mlm') && this.sizes.mlmWindows > 0) this.mlmOrder = new EpochOrder(this.sizes.mlmWindows, mixSeed(seed, 1));
    if (objectives.has('lm') && this.sizes.lmWindows > 0) this.lmOrder = new EpochOrder(this.sizes.lmWindows, mixSeed(seed, 2));
    if (objectives.has('rank') && this.sizes.pairs > 1) this.pairOrder = new EpochOrder(this.sizes.pairs, mixSeed(seed, 3));
  }

  /** The objectives this data can train (ranking needs two pairs, the LMs a window of text). */
  get active(): Objective[] {
    return OBJECTIVES.filter((o) => (o === 'mlm' ? this.mlmOrder : o === 'lm' ? this.lmOrder : this.pairOrder));
  }

  /** Epochs over each objective's data completed by the end of `steps` steps. */
  epochsAfter(steps: number): Partial<Record<Objective, number>> {
    const n = steps * this.batchSize;
    const out: Partial<Record<Objective, number>> = {};
    if (this.mlmOrder) out.mlm = n / this.mlmOrder.count;
    if (this.lmOrder) out.lm = n / this.lmOrder.count;
    if (this.pairOrder) out.rank = n / this.pairOrder.count;
    return out;
  }

  /** The batch of step `step` (0-based). */
  at(step: number): StepBatch {
    const B = this.batchSize;
    const first = step * B;
    const batch: StepBatch = {};
    if (this.mlmOrder) batch.mlm = this.mlmBatch(first, createRng(mixSeed(this.seed, step, 4)));
    if (this.lmOrder) batch.lm = this.lmBatch(first);
    if (this.pairOrder) batch.rank = this.rankBatch(first);
    return batch;
  }

  private mlmBatch(first: number, rng: () => number): MlmBatch {
    const order = this.mlmOrder as EpochOrder;
    const { stream, vocabSize } = this.data;
    const B = this.batchSize;
    const T = this.data.maxTokens;
    const ids = new Int32Array(B * T);
    const positions: number[] = [];
    const labels: number[] = [];
    const { rate, maskShare, randomShare } = this.masking;
    const firstRegular = SPECIAL_TOKENS.length;
    for (let b = 0; b < B; b++) {
      const start = order.at(first + b) * (T - 1);
      ids[b * T] = CLS_ID;
      ids.set(stream.subarray(start, start + T - 1), b * T + 1);
      const chosen: number[] = [];
      for (let t = 1; t < T; t++) {
        const id = ids[b * T + t];
        if (id !== SEP_ID && id !== PAD_ID && id !== CLS_ID && id !== MASK_ID && rng() < rate) chosen.push(t);
      }
      // Every window predicts something, so every window's gradient counts.
      if (chosen.length === 0) {
        const candidates: number[] = [];
        for (let t = 1; t < T; t++) if (ids[b * T + t] !== SEP_ID) candidates.push(t);
        if (candidates.length > 0) chosen.push(candidates[Math.floor(rng() * candidates.length)]);
      }
      for (const t of chosen) {
        const at = b * T + t;
        positions.push(at);
        labels.push(ids[at]);
        const r = rng();
        if (r < maskShare) ids[at] = MASK_ID;
        else if (r < maskShare + randomShare) ids[at] = firstRegular + Math.floor(rng() * (vocabSize - firstRegular));
      }
    }
    return { B, T, ids, positions: Int32Array.from(positions), labels: Int32Array.from(labels) };
  }

  private lmBatch(first: number): LmBatch {
    const order = this.lmOrder as EpochOrder;
    const { stream } = this.data;
    const B = this.batchSize;
    const T = this.data.maxTokens;
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = order.at(first + b) * T;
      ids.set(stream.subarray(start, start + T), b * T);
      targets.set(stream.subarray(start + 1, start + T + 1), b * T);
    }
    return { B, T, ids, targets };
  }

  private rankBatch(first: number): RankBatch {
    const order = this.pairOrder as EpochOrder;
    const B = this.batchSize;
    const pairs = Array.from({ length: B }, (_, b) => this.data.pairs[order.at(first + b)]);
    const contextT = Math.max(...pairs.map((p) => p.context.length));
    const responseT = Math.max(...pairs.map((p) => p.response.length));
    const contextIds = new Int32Array(B * contextT);
    const contextSegments = new Int32Array(B * contextT);
    const contextMask = new Float32Array(B * contextT);
    const responseIds = new Int32Array(B * responseT);
    const responseMask = new Float32Array(B * responseT);
    const sameResponse = new Float32Array(B * B);
    pairs.forEach((p, b) => {
      contextIds.set(p.context, b * contextT);
      contextSegments.set(p.contextSegments, b * contextT);
      contextMask.fill(1, b * contextT, b * contextT + p.context.length);
      responseIds.set(p.response, b * responseT);
      responseMask.fill(1, b * responseT, b * responseT + p.response.length);
      pairs.forEach((q, j) => {
        if (j !== b && q.responseKey === p.responseKey) sameResponse[b * B + j] = 1;
      });
    });
    return { B, contextT, contextIds, contextSegments, contextMask, responseT, responseIds, responseMask, sameResponse };
  }
}
