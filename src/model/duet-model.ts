/**
 * A trained Duet NLU model: tokenizer + network + calibration, with the inference API
 * (`understand`) and a checkpoint folder format (safetensors + config.json + tokenizer.json).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelInputError, ModelLoadError } from '../errors.js';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { initTensorBackend } from './backend.js';
import { decodeBio, decodeBioRequiring, tagsToSpans, transitionPriorProblem } from './bio.js';
import { contextSettings, MODEL_FORMAT_VERSION, resolveBackboneConfig, resolveHeadConfig, type ContextMode, type ModelConfig } from './config.js';
import { appendContext, contextInputSettings, tokenizeHistory, utteranceTokenLimit, type UnderstandContext } from './context-encoding.js';
import { encodeUtterance, type EncodedUtterance, type FeatureSettings } from './encode-utterance.js';
import { condenseEnumerations, ownerWindows, planWindows } from './long-input.js';
import { NluNetwork } from './nlu-network.js';
import { ParameterStore } from './params.js';
import { createRng } from '../util/random.js';
import { CONFIG_FILE, readModelFolder, TOKENIZER_FILE, WEIGHTS_FILE, writeFolderAtomically, type PretrainedInfo, type SpecialTokenIds } from './model-folder.js';
import { PRETRAINED_PREFIX } from './pretrained-heads.js';
import { roundToHalfInPlace } from './half-precision.js';
import { encodeSafetensors, type NamedTensor } from './safetensors.js';
import { engineFromEnvironment, startOnnx, type InferenceEngine } from './onnx/engine-choice.js';
import { OnnxNluNetwork } from './onnx/onnx-nlu.js';
import { OnnxSentenceHead } from './onnx/sentence-head-graph.js';
import { SENTENCE_ENCODER_NAME, SENTENCE_VECTOR_SIZE, sharedSentenceEncoder, type SentenceEncoder } from './sentence-encoder.js';
import { mixInto, SentenceHead, type MixRule, type SentenceHeadConfig, type SentenceHeadWeights } from './sentence-head.js';

/**
 * Most log-probability (nats) a reading may lose against the model's best one to hold a value a
 * request cannot go without: e^-4 ≈ 2%, so a word the model thought at least that likely to be
 * the value ("beer") is taken, a word it clearly read as something else ("to", "my") is not.
 */
export const REQUIRED_SLOT_MAX_COST = 4;

/** Intent returned when an utterance is rejected as out of scope and the model has no OOS label. */
export const OUT_OF_SCOPE = 'out_of_scope';

export interface RankedIntent {
  intent: string;
  confidence: number;
}

export interface ExtractedSlot {
  slot: string;
  /** Canonical value (an enumeration's value for a synonym), else the text. */
  value: string;
  text: string;
  start: number;
  end: number;
}

export type { ConversationTurn, UnderstandContext } from './context-encoding.js';

/** What the model understood of one utterance. */
export interface Understanding {
  intent: string;
  confidence: number;
  ranking: RankedIntent[];
  slots: ExtractedSlot[];
  /** Memory mode: the memory after this turn (k × C values), to pass with the conversation's next turn. */
  memory?: Float32Array;
}

/** Raw network outputs for one utterance, before calibration (used by training and evaluation). */
export interface RawPrediction {
  probs: Float32Array;
  /** Per kept word: log-probabilities over slot tags. */
  wordTagLogProbs: number[][];
  /** Memory mode: the memory after this utterance [k × C]. */
  memory?: Float32Array;
  /** The slot tags' best path, when decoded already (while the sentence encoder's thread was busy). */
  slotPath?: number[];
}

/** Everything besides weights that a checkpoint carries. */
export interface ModelMetadata {
  formatVersion: number;
  config: ModelConfig;
  /** Reject as out-of-scope when the top probability is below this (0 = never). */
  oosThreshold: number;
  /** Slot → lower-cased synonym → canonical value. */
  slotValues: Record<string, Record<string, string>>;
  createdAt: string;
  training?: Record<string, unknown>;
  /** Set when the backbone was fine-tuned from an imported checkpoint (`duet train --base`). */
  pretrained?: PretrainedInfo;
  /** Framing tokens of the imported tokenizer; absent for Duet's own tokenizer ([CLS] = 2, no end token). */
  specialTokens?: SpecialTokenIds;
  /** Set when an intent head over the pretrained sentence encoder is mixed in (sentence-head.ts). */
  sentenceHead?: SentenceHeadConfig;
}

export class DuetModel {
  private fingerprintCache?: string;
  /** The pretrained sentence encoder and the intent head over it, when the model has one. */
  private sentence?: { encoder: SentenceEncoder; head: SentenceHead };
  /**
   * Messages `predict` has read, and how many of them the sentence head was mixed into (all, for a
   * model without `networkAloneAbove`; none without a mixed-in head): what `duet eval` and
   * `duet bench nlu` report beside the latency. Callers may reset it.
   */
  readonly sentenceHeadUse = { messages: 0, mixed: 0 };
  /** The engine `understand` runs on; tfjs until `useEngine` (a model being trained changes under it). */
  private engine: InferenceEngine = 'tfjs';
  private onnx?: Promise<OnnxNluNetwork | null>;
  /** The sentence head on onnxruntime, when the network runs there too. */
  private onnxHead?: Promise<OnnxSentenceHead | null>;

  constructor(
    readonly metadata: ModelMetadata,
    readonly tokenizer: WordPieceTokenizer,
    readonly network: NluNetwork,
    readonly idf: Float32Array,
    /** Tensors kept unchanged from an imported checkpoint (its pretrained heads), saved with the model. */
    readonly carried: Record<string, NamedTensor> = {},
  ) {}

  get config(): ModelConfig {
    return this.metadata.config;
  }

  /** How the model reads the conversation (config backbone.contextMode; "none" for models without it). */
  get contextMode(): ContextMode {
    return contextSettings(this.config.backbone).mode;
  }

  /** Memory mode: the shape [k, C] of the memory `understand` returns and takes; else undefined. */
  get memoryShape(): [number, number] | undefined {
    const { memoryTokens } = contextSettings(this.config.backbone);
    return memoryTokens > 0 ? [memoryTokens, this.config.backbone.dModel] : undefined;
  }

  /**
   * Identifies these weights: 16 hex digits of a SHA-256 over the config, every dense weight and
   * the token feature table (the sentence table cannot touch a memory), as they are when first
   * asked. A conversation's stored memory carries it, so a memory written by another model is
   * never fed to this one. A saved and loaded model keeps it (weights are rounded to half
   * precision before saving).
   */
  get fingerprint(): string {
    if (!this.fingerprintCache) {
      const hash = createHash('sha256').update(JSON.stringify(this.config));
      const bytes = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      for (const name of [...this.network.params.variables.keys()].sort()) {
        hash.update(name).update(bytes(this.network.params.variables.get(name)!.dataSync() as Float32Array));
      }
      if (this.network.tokenBag) hash.update('sparse.token').update(bytes(this.network.tokenBag.table));
      this.fingerprintCache = hash.digest('hex').slice(0, 16);
    }
    return this.fingerprintCache;
  }

  /**
   * Mix an intent head over the pretrained sentence encoder into the intent probabilities with
   * `weight` (0 keeps the network alone) by `mix` (absent: linear, as models trained before the
   * geometric mix were calibrated), skipping messages of network confidence `networkAloneAbove` or
   * more when it is given; the head is saved with the model.
   */
  attachSentenceHead(encoder: SentenceEncoder, head: SentenceHead, weight: number, mix?: MixRule, networkAloneAbove?: number): void {
    this.sentence?.head.dispose();
    this.sentence = { encoder, head };
    this.dropOnnxHead();
    this.metadata.sentenceHead = {
      encoder: SENTENCE_ENCODER_NAME,
      hidden: head.hidden,
      weight,
      ...(mix && { mix }),
      ...(networkAloneAbove !== undefined && { networkAloneAbove }),
    };
  }

  /**
   * Run `understand` on `engine` from now on (onnxruntime under `auto` when it loads; see
   * onnx/engine-choice.ts). Only for weights that no longer change: the graph holds a copy of them.
   * Context modes other than "none" always run on tfjs.
   */
  useEngine(engine: InferenceEngine): void {
    this.engine = engine;
    const previous = this.onnx;
    this.onnx = undefined;
    void previous?.then((n) => n?.dispose());
    this.dropOnnxHead();
  }

  private dropOnnxHead(): void {
    const previous = this.onnxHead;
    this.onnxHead = undefined;
    void previous?.then((h) => h?.dispose());
  }

  /** The engine `understand` runs on now: "onnx" or "tfjs" (starts onnxruntime on first call). */
  async engineInUse(): Promise<'onnx' | 'tfjs'> {
    return (await this.onnxNetwork()) ? 'onnx' : 'tfjs';
  }

  private onnxNetwork(): Promise<OnnxNluNetwork | null> {
    if (this.contextMode !== 'none') return Promise.resolve(null);
    this.onnx ??= startOnnx(this.engine, () => {
      const weights: Record<string, NamedTensor> = {};
      for (const [name, v] of this.network.params.variables) weights[name] = { shape: v.shape, data: v.dataSync() as Float32Array };
      return OnnxNluNetwork.create(this.config, weights);
    });
    return this.onnx;
  }

  private onnxSentenceHead(): Promise<OnnxSentenceHead | null> {
    const sentence = this.sentence!;
    this.onnxHead ??= startOnnx(this.engine, () => OnnxSentenceHead.create(sentence.head.weights, sentence.head.hidden));
    return this.onnxHead;
  }

  /** Whether the sentence head is mixed in (at weight 0, where validation found no use for it, the encoder never runs). */
  private get sentenceMixed(): boolean {
    return this.sentence !== undefined && this.metadata.sentenceHead!.weight > 0;
  }

  /**
   * `predictEncoded` on the model's engine. The sentence encoder (when its head is mixed in) reads
   * all the items' texts in one call, batched by length, rather than one text per `encode`;
   * `vectors`, when given, are the items' sentence vectors already asked for (see `understandBatch`).
   *
   * On onnxruntime the encoder runs on its own thread (onnx/sentence-encoder-thread.ts) while this
   * one runs the network and, when the vectors are still on their way, decodes the slots.
   */
  async predict(items: EncodedUtterance[], batchSize = 64, vectors?: Promise<Float32Array[]>): Promise<RawPrediction[]> {
    this.sentenceHeadUse.messages += items.length;
    const aloneAbove = this.networkAloneAbove;
    if (aloneAbove !== undefined) return this.predictNetworkFirst(items, batchSize, aloneAbove);
    if (this.sentenceMixed) this.sentenceHeadUse.mixed += items.length;
    let vectorsArrived = false;
    const vectorsReady = (vectors ? vectors.then((v) => v.forEach((vector, i) => (items[i].sentenceVector ??= vector))) : this.attachSentenceVectors(items)).then(
      () => void (vectorsArrived = true),
    );
    // Awaited below; a failure that comes while the network runs must not count as unhandled.
    vectorsReady.catch(() => undefined);
    const onnx = items.length > 0 ? await this.onnxNetwork() : null;
    if (!onnx) {
      await vectorsReady;
      return this.predictEncoded(items, batchSize);
    }
    const raw = await this.onnxPredictions(onnx, items, batchSize);
    if (!this.sentenceMixed) return raw;
    if (!vectorsArrived) {
      // The time would be spent waiting; a message the mixed intent rejects wastes its decoding.
      const { slotTags, slotTransitions } = this.config.heads;
      for (const r of raw) r.slotPath = decodeBio(r.wordTagLogProbs, slotTags, slotTransitions);
    }
    await vectorsReady;
    await this.mixSentenceHead(items, raw);
    return raw;
  }

  /**
   * The network first; the sentence head is mixed only into the predictions whose network
   * confidence is below `aloneAbove`, so the encoder reads only those messages. Validation chose
   * the level so that no validation decision differs from mixing every message
   * (`chooseNetworkAloneAbove`); most messages then cost the network alone.
   */
  private async predictNetworkFirst(items: EncodedUtterance[], batchSize: number, aloneAbove: number): Promise<RawPrediction[]> {
    const onnx = items.length > 0 ? await this.onnxNetwork() : null;
    const raw = onnx ? await this.onnxPredictions(onnx, items, batchSize) : this.predictEncoded(items, batchSize, false);
    const unsure = raw.flatMap((r, i) => (Math.max(...r.probs) < aloneAbove ? [i] : []));
    this.sentenceHeadUse.mixed += unsure.length;
    if (unsure.length > 0) {
      const unsureItems = unsure.map((i) => items[i]);
      await this.attachSentenceVectors(unsureItems);
      await this.mixSentenceHead(unsureItems, unsure.map((i) => raw[i]));
    }
    return raw;
  }

  /** The network's predictions on onnxruntime, in batches; no sentence head. */
  private async onnxPredictions(onnx: OnnxNluNetwork, items: EncodedUtterance[], batchSize: number): Promise<RawPrediction[]> {
    const raw: RawPrediction[] = [];
    for (let start = 0; start < items.length; start += batchSize) {
      const chunk = items.slice(start, start + batchSize);
      const batch = this.network.batchArrays(chunk);
      const { probs, slotLogProbs } = await onnx.run(batch);
      raw.push(...this.rawPredictions(chunk, probs, slotLogProbs, batch.T));
    }
    return raw;
  }

  /** The network confidence from which the head is skipped, when the model has one mixed in and recorded it. */
  private get networkAloneAbove(): number | undefined {
    return this.sentenceMixed ? this.metadata.sentenceHead!.networkAloneAbove : undefined;
  }

  /**
   * The sentence vectors of `texts` when the sentence head is mixed in, asked for now so that the
   * encoder's thread reads them while this thread tokenizes and runs the network.
   */
  private sentenceVectors(texts: string[]): Promise<Float32Array[]> | undefined {
    // A model that skips the head for sure messages asks for the vectors it needs after the network.
    if (!this.sentenceMixed || this.networkAloneAbove !== undefined) return undefined;
    const vectors = this.sentence!.encoder.embedTexts(texts);
    // `predict` awaits it; until then (or if tokenizing fails first) a failure is not unhandled.
    vectors.catch(() => undefined);
    return vectors;
  }

  /** Computes the sentence vector of every item that lacks one, when the sentence head is mixed in. */
  private async attachSentenceVectors(items: EncodedUtterance[]): Promise<void> {
    if (!this.sentenceMixed) return;
    const missing = items.filter((u) => !u.sentenceVector);
    if (missing.length === 0) return;
    const vectors = await this.sentence!.encoder.embedTexts(missing.map((u) => u.text));
    missing.forEach((u, i) => (u.sentenceVector = vectors[i]));
  }

  /** Mix the sentence head's probabilities into `raw` (one per item, every item with its vector), on onnxruntime or else tfjs. */
  private async mixSentenceHead(items: EncodedUtterance[], raw: RawPrediction[]): Promise<void> {
    const head = await this.onnxSentenceHead();
    const B = items.length;
    let headProbs: Float32Array | undefined;
    if (head) {
      const vectors = new Float32Array(B * SENTENCE_VECTOR_SIZE);
      items.forEach((u, b) => vectors.set(u.sentenceVector!, b * SENTENCE_VECTOR_SIZE));
      headProbs = await head.probs(vectors, B);
    } else headProbs = this.sentenceHeadProbs(items);
    if (headProbs) this.mixHeadInto(raw.map((r) => r.probs), headProbs);
  }

  /** `probs` [B × I] mixed in place with the sentence head's, when it is mixed in and every item has its vector. */
  private withSentenceHead(chunk: EncodedUtterance[], probs: Float32Array): Float32Array {
    const head = this.sentenceHeadProbs(chunk);
    if (head) {
      const I = probs.length / chunk.length;
      this.mixHeadInto(chunk.map((_, b) => probs.subarray(b * I, (b + 1) * I)), head);
    }
    return probs;
  }

  /** Mixes head probabilities [B × I] into each of the B rows in place, by the model's mix rule and weight. */
  private mixHeadInto(rows: Float32Array[], head: Float32Array): void {
    // Models saved before the rule was recorded were calibrated on the linear mix.
    const { weight, mix = 'linear' } = this.metadata.sentenceHead!;
    rows.forEach((row, b) => mixInto(row, row, head.subarray(b * row.length, (b + 1) * row.length), weight, mix));
  }

  /** The sentence-encoder head's intent probabilities [B × I], when it is mixed in and every item has its vector. */
  private sentenceHeadProbs(chunk: EncodedUtterance[]): Float32Array | undefined {
    const sentence = this.sentence;
    if (!sentence || !this.sentenceMixed || !chunk.every((u) => u.sentenceVector)) return undefined;
    const vectors = new Float32Array(chunk.length * SENTENCE_VECTOR_SIZE);
    chunk.forEach((u, b) => vectors.set(u.sentenceVector!, b * SENTENCE_VECTOR_SIZE));
    const probs = tf.tidy(() => sentence.head.probs(tf.tensor2d(vectors, [chunk.length, SENTENCE_VECTOR_SIZE])));
    const data = probs.dataSync() as Float32Array;
    probs.dispose();
    return data;
  }

  get featureSettings(): FeatureSettings {
    return {
      maxTokens: utteranceTokenLimit(this.config.backbone),
      tokenFeatureBuckets: this.config.backbone.tokenFeatureBuckets,
      neighbourFeatures: this.config.backbone.tokenNeighbourFeatures,
      idf: this.idf,
      frame: this.metadata.specialTokens,
      wordVectors: this.network.wordVectors,
    };
  }

  /**
   * Understand one utterance; a context-mode model also reads `context` (the earlier turns, the
   * previous turn's memory), which mode "none" ignores. Spans refer to `text` in every mode.
   */
  async understand(text: string, context?: UnderstandContext): Promise<Understanding> {
    const [result] = await this.understandBatch([text], 64, context && [context]);
    return result;
  }

  /** Understand several utterances in batches, each with its own optional context. */
  async understandBatch(texts: string[], batchSize = 64, contexts?: readonly (UnderstandContext | undefined)[]): Promise<Understanding[]> {
    const vectors = this.sentenceVectors(texts);
    const encoded = await Promise.all(texts.map((t, i) => this.encode(t, contexts?.[i])));
    const raw = await this.predict(encoded, batchSize, vectors);
    return Promise.all(
      raw.map(async (r, i) => (encoded[i].truncated ? this.understandLong(texts[i], contexts?.[i]) : withMemory(this.interpret(encoded[i], r), r.memory))),
    );
  }

  /**
   * An utterance longer than the window, read in overlapping windows (see long-input.ts). Each
   * window reads the context; the memory after the message is the last window's.
   */
  private async understandLong(text: string, context?: UnderstandContext): Promise<Understanding> {
    const { words, wordIds } = await this.tokenizer.encode(text);
    const pieces = new Array<number>(words.length).fill(0);
    for (const w of wordIds) pieces[w]++;
    // The window holds the word pieces between the framing tokens ([CLS], and [SEP] for an imported BERT).
    const windows = planWindows(pieces, this.featureSettings.maxTokens - (this.metadata.specialTokens?.end === undefined ? 1 : 2));
    const encoded = await Promise.all(windows.map((w) => this.encode(text.slice(words[w.first][0], words[w.last][1]), context)));
    const raw = await this.predict(encoded);
    const owners = ownerWindows(windows, words.length);
    const nTags = this.config.heads.slotTags.length;
    const wordTagLogProbs = words.map(([start], w) => {
      const window = owners[w];
      const base = words[windows[window].first][0];
      const local = encoded[window].words.findIndex(([s]) => s + base === start);
      // A word the window could not align (or cut) reads as outside every slot.
      return local >= 0 ? raw[window].wordTagLogProbs[local] : Array.from({ length: nTags }, (_, t) => (t === 0 ? 0 : -Infinity));
    });
    // The intent: of the message with long enumerations shortened when that fits one window,
    // else the mean of the windows that hold its start and its end.
    const condensed = await this.encode(condenseEnumerations(text), context);
    const first = raw[0].probs;
    const last = raw[raw.length - 1].probs;
    const probs = condensed.truncated ? first.map((p, i) => (p + last[i]) / 2) : (await this.predict([condensed]))[0].probs;
    const whole: EncodedUtterance = { ...encoded[0], text, words, truncated: false };
    return withMemory(this.interpret(whole, { probs, wordTagLogProbs }), raw[raw.length - 1].memory);
  }

  /** What the network reads of `text`: in a context mode, with the earlier turns and memory of `context`. */
  async encode(text: string, context?: UnderstandContext): Promise<EncodedUtterance> {
    const u = await encodeUtterance(text, this.tokenizer, this.featureSettings);
    const mode = this.contextMode;
    if (mode === 'none' || !context) return u;
    const settings = contextInputSettings(this.config.backbone);
    const history = await tokenizeHistory(this.tokenizer, context.history ?? [], mode, settings.maxTokens - u.ids.length);
    const read = history.length > 0 ? appendContext(u, history, settings) : u;
    if (mode !== 'memory' || !context.memory) return read;
    const [k, C] = this.memoryShape!;
    if (context.memory.length !== k * C) throw new ModelInputError(`a memory of ${context.memory.length} values does not fit this model's ${k} × ${C}`);
    return { ...read, memory: context.memory };
  }

  /**
   * Network probabilities for encoded utterances (no thresholding, no decoding), on tfjs; the
   * sentence head is mixed in for items that carry their sentence vector (`predict` adds them),
   * unless `mixHead` is false.
   */
  predictEncoded(items: EncodedUtterance[], batchSize = 64, mixHead = true): RawPrediction[] {
    const out: RawPrediction[] = [];
    for (let start = 0; start < items.length; start += batchSize) {
      const chunk = items.slice(start, start + batchSize);
      const [probsT, slotT, memoryT] = tf.tidy(() => {
        const batch = this.network.makeBatch(chunk);
        const outputs = this.network.forward(batch, { training: false, seed: () => 0 });
        return [tf.softmax(outputs.intentLogits), tf.logSoftmax(outputs.slotLogits), ...(outputs.memory ? [outputs.memory] : [])];
      });
      const probs = probsT.dataSync() as Float32Array;
      const slots = slotT.dataSync() as Float32Array;
      const memory = memoryT?.dataSync() as Float32Array | undefined;
      const T = slotT.shape[1];
      tf.dispose([probsT, slotT, memoryT ?? []]);
      out.push(...this.rawPredictions(chunk, mixHead ? this.withSentenceHead(chunk, probs) : probs, slots, T, memory));
    }
    return out;
  }

  /** Per-utterance predictions from a batch's intent probabilities [B × I], slot log-probabilities [B × T × S] and memory. */
  private rawPredictions(chunk: EncodedUtterance[], probs: Float32Array, slots: Float32Array, T: number, memory?: Float32Array): RawPrediction[] {
    const nTags = this.config.heads.slotTags.length;
    const B = chunk.length;
    const nIntents = probs.length / B;
    const memorySize = memory ? memory.length / B : 0;
    return chunk.map((u, b) => {
      const wordTagLogProbs = u.firstTokenOfWord.map((t) => Array.from(slots.subarray((b * T + t) * nTags, (b * T + t + 1) * nTags)));
      const raw: RawPrediction = { probs: probs.slice(b * nIntents, (b + 1) * nIntents), wordTagLogProbs };
      if (memory) raw.memory = memory.slice(b * memorySize, (b + 1) * memorySize);
      return raw;
    });
  }

  /** Apply the out-of-scope threshold and BIO decoding to raw outputs. */
  interpret(u: EncodedUtterance, raw: RawPrediction): Understanding {
    const { intentLabels, slotTags, outOfScopeIntent, slotTransitions } = this.config.heads;
    const order = Array.from(raw.probs.keys()).sort((a, b) => raw.probs[b] - raw.probs[a]);
    const ranking = order.slice(0, 10).map((i) => ({ intent: intentLabels[i], confidence: raw.probs[i] }));
    const best = ranking[0];
    const rejected = best.confidence < this.metadata.oosThreshold;
    const intent = rejected ? (outOfScopeIntent ?? OUT_OF_SCOPE) : best.intent;
    if (intent === outOfScopeIntent || intent === OUT_OF_SCOPE) {
      // A rejection's confidence is how far the best in-scope guess fell short of certainty.
      return { intent, confidence: rejected ? 1 - best.confidence : best.confidence, ranking, slots: [] };
    }
    const slots = this.spansOf(u, raw.slotPath ?? decodeBio(raw.wordTagLogProbs, slotTags, slotTransitions));
    return { intent, confidence: best.confidence, ranking, slots };
  }

  /**
   * The slots of `text` read with at least one span of `slot`, when reading one costs at most
   * `maxCost` nats of log-probability against the model's own best reading: for a value a
   * request cannot go without ("add beer to my list" with "beer" left untagged). Null otherwise.
   */
  async understandRequiring(text: string, slot: string, context?: UnderstandContext, maxCost = REQUIRED_SLOT_MAX_COST): Promise<ExtractedSlot[] | null> {
    const encoded = await this.encode(text, context);
    if (encoded.truncated) return null;
    const [raw] = await this.predict([encoded]);
    const { slotTags, slotTransitions } = this.config.heads;
    const forced = decodeBioRequiring(raw.wordTagLogProbs, slotTags, slot, slotTransitions);
    if (!forced || forced.best - forced.score > maxCost) return null;
    return this.spansOf(encoded, forced.path);
  }

  /** Spans, with character offsets and canonical values, of a tag path over the words of `u`. */
  private spansOf(u: EncodedUtterance, path: number[]): ExtractedSlot[] {
    const { slotTags } = this.config.heads;
    return tagsToSpans(path.map((i) => slotTags[i])).map((span) => {
      const start = u.words[span.firstWord][0];
      const end = u.words[span.lastWord][1];
      const text = u.text.slice(start, end);
      const value = this.metadata.slotValues[span.slot]?.[text.toLowerCase()] ?? text;
      return { slot: span.slot, value, text, start, end };
    });
  }

  /** Round every weight to half precision in place, so the saved model predicts exactly like this one. */
  roundToHalfPrecision(): void {
    this.fingerprintCache = undefined;
    const round = roundToHalfInPlace;
    for (const v of this.network.params.variables.values()) {
      const copy = Float32Array.from(v.dataSync() as Float32Array);
      round(copy);
      tf.tidy(() => v.assign(tf.tensor(copy, v.shape)));
    }
    if (this.network.tokenBag) round(this.network.tokenBag.table);
    round(this.network.sentenceBag.table);
    // The idf table is saved as F16 too; sentence features computed from it must not change on load.
    round(this.idf);
  }

  /** Write the checkpoint folder atomically: a half-written folder is never left at `dir`. */
  save(dir: string, extraFiles: Record<string, string> = {}): void {
    writeFolderAtomically(dir, (staging) => {
      const tensors: Record<string, NamedTensor> = { ...this.carried };
      for (const [name, v] of this.network.params.variables) tensors[name] = { shape: v.shape, data: v.dataSync() as Float32Array };
      const { tokenBag, sentenceBag } = this.network;
      if (tokenBag) tensors['sparse.token'] = { shape: [tokenBag.buckets, tokenBag.dim], data: tokenBag.table };
      tensors['sparse.sentence'] = { shape: [sentenceBag.buckets, sentenceBag.dim], data: sentenceBag.table };
      tensors['features.idf'] = { shape: [this.idf.length], data: this.idf };
      if (this.sentence) {
        const { weights, hidden } = this.sentence.head;
        const nIntents = weights['sentence_head.b2'].length;
        tensors['sentence_head.w1'] = { shape: [weights['sentence_head.w1'].length / hidden, hidden], data: weights['sentence_head.w1'] };
        tensors['sentence_head.b1'] = { shape: [hidden], data: weights['sentence_head.b1'] };
        tensors['sentence_head.w2'] = { shape: [hidden, nIntents], data: weights['sentence_head.w2'] };
        tensors['sentence_head.b2'] = { shape: [nIntents], data: weights['sentence_head.b2'] };
      }
      writeFileSync(join(staging, WEIGHTS_FILE), encodeSafetensors(tensors, 'F16', { format: 'duet', formatVersion: String(MODEL_FORMAT_VERSION) }));
      writeFileSync(join(staging, CONFIG_FILE), JSON.stringify(this.metadata, null, 2));
      this.tokenizer.save(join(staging, TOKENIZER_FILE));
      for (const [name, content] of Object.entries(extraFiles)) writeFileSync(join(staging, name), content);
    });
  }

  dispose(): void {
    this.network.params.dispose();
    this.sentence?.head.dispose();
    void this.onnx?.then((n) => n?.dispose());
  }
}

/** `u` with the memory after its turn, when there is one (memory mode). */
function withMemory(u: Understanding, memory: Float32Array | undefined): Understanding {
  return memory ? { ...u, memory } : u;
}

/** Load a model folder written by `DuetModel.save`; `understand` runs on `engine` (by default `DUET_ENGINE`'s, else onnxruntime when it loads). */
export async function loadModel(dir: string, engine: InferenceEngine = engineFromEnvironment()): Promise<DuetModel> {
  await initTensorBackend();
  const { folder, metadata: stored, tensors } = readModelFolder(dir);
  if (!stored.config.heads) {
    const origin = stored.pretrained ? ` (imported ${stored.pretrained.family} checkpoint)` : '';
    throw new ModelLoadError(
      `${folder} is a backbone without intent and slot heads${origin}: fine-tune it with \`duet train <definition> --base ${dir} --out <model-dir>\``,
    );
  }
  const metadata = stored as unknown as ModelMetadata;
  const config: ModelConfig = {
    formatVersion: metadata.formatVersion,
    backbone: resolveBackboneConfig(metadata.config.backbone),
    heads: resolveHeadConfig(metadata.config.heads),
  };
  const priorProblem = config.heads.slotTransitions && transitionPriorProblem(config.heads.slotTransitions, config.heads.slotTags.length);
  if (priorProblem) throw new ModelLoadError(`${join(folder, CONFIG_FILE)}: ${priorProblem}: retrain the model`);
  const take = (name: string): Float32Array => {
    const t = tensors[name];
    if (!t) throw new ModelLoadError(`${join(folder, WEIGHTS_FILE)} has no tensor ${name}: it was written by another model layout; retrain it`);
    return t.data;
  };
  const params = new ParameterStore(createRng(0));
  const network = new NluNetwork(config, params, createRng(0), {
    token: config.backbone.tokenFeatureBuckets > 0 ? take('sparse.token') : undefined,
    sentence: take('sparse.sentence'),
  });
  network.build();
  for (const [name, variable] of params.variables) {
    const data = take(name);
    if (data.length !== variable.size) throw new ModelLoadError(`tensor ${name} has ${data.length} values, the config needs ${variable.size}: retrain the model`);
    tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
  }
  const carried: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith(PRETRAINED_PREFIX)) carried[name] = { shape: t.shape, data: t.data };
  const tokenizer = WordPieceTokenizer.load(join(folder, TOKENIZER_FILE));
  const model = new DuetModel({ ...metadata, config }, tokenizer, network, take('features.idf'), carried);
  if (metadata.sentenceHead) {
    const names = ['sentence_head.w1', 'sentence_head.b1', 'sentence_head.w2', 'sentence_head.b2'] as const;
    const weights = Object.fromEntries(names.map((n) => [n, take(n)])) as SentenceHeadWeights;
    const { hidden, weight, mix, networkAloneAbove } = metadata.sentenceHead;
    if (mix !== undefined && mix !== 'linear' && mix !== 'geometric') {
      throw new ModelLoadError(`${join(folder, CONFIG_FILE)}: sentenceHead.mix is "${String(mix)}"; this version knows "linear" and "geometric": upgrade Duet or retrain the model`);
    }
    if (networkAloneAbove !== undefined && !(typeof networkAloneAbove === 'number' && networkAloneAbove >= 0 && networkAloneAbove <= 1)) {
      throw new ModelLoadError(`${join(folder, CONFIG_FILE)}: sentenceHead.networkAloneAbove is ${JSON.stringify(networkAloneAbove)}; it must be a number from 0 to 1: retrain the model`);
    }
    model.attachSentenceHead(sharedSentenceEncoder(), new SentenceHead(weights, hidden), weight, mix, networkAloneAbove);
  }
  model.useEngine(engine);
  return model;
}
