/**
 * Train and run the schema-guided SGD network in one context mode, and score it with SGD's
 * metrics through the rule tracker of src/data/sgd/dst.ts.
 *
 * Training per mode (docs/context-modes.md):
 * - none and concat: shuffled batches of user turns (each turn's input already holds its context);
 * - memory: streams of dialogues read in order, `batchSize / unroll` of them side by side. A step
 *   covers `unroll` consecutive turns of each stream with gradients flowing through the memory
 *   between them; the memory entering the first of them is a constant (detached), so the cost of a
 *   step never depends on the dialogue's length. A stream whose dialogue ends goes on with the next
 *   dialogue from the learned initial memory.
 */
import * as tf from '@tensorflow/tfjs';
import { trackSplit, type TrackerTurnInput } from '../data/sgd/dst.js';
import { sgdTurnExamples, turnKey, type SgdTurnExample } from '../data/sgd/examples.js';
import { DONTCARE, NO_INTENT, type SgdSplitData } from '../data/sgd/load-sgd.js';
import { evaluateSgd, type SgdMetrics, type SgdTurnPrediction } from '../data/sgd/metrics.js';
import { initTensorBackend } from '../model/backend.js';
import { contextSettings, resolveBackboneConfig, type BackboneConfig, type ContextMode } from '../model/config.js';
import { ParameterStore } from '../model/params.js';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { AdamW, DEFAULT_ADAMW } from '../train/adamw.js';
import { WeightAverage } from '../train/weight-average.js';
import { createRng, shuffle } from '../util/random.js';
import type { ContextInputSettings } from './context-input.js';
import { SgdNetwork, type SgdBatch, type SgdOutputs } from './sgd-network.js';
import { buildSchemaCatalog, prepareTurn, TokenCache, VALUE_DONTCARE, type PreparedTurn, type SchemaCatalog } from './sgd-task.js';

export interface SgdTrainOptions {
  mode: ContextMode;
  /** Backbone size (defaults: 2 layers, width 128, 4 heads, feed-forward 256). */
  backbone?: Partial<Pick<BackboneConfig, 'dModel' | 'nLayers' | 'nHeads' | 'dFF' | 'dropout' | 'memoryTokens' | 'maxTurnDistance'>>;
  /** Longest input sequence in tokens (concat mode's history cap). */
  maxTokens: number;
  maxUtteranceTokens: number;
  vocabSize: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  /** Stop after this many minutes of training (the learning rate decays over it). */
  maxMinutes: number;
  /** Stop after this many passes over train's user turns as well (default: no limit). */
  maxEpochs?: number;
  /** Stop after this many steps as well (tests; default: no limit). */
  maxSteps?: number;
  /** Memory mode: consecutive turns per step with gradients through the memory. */
  unroll: number;
  /** Hashed sparse word features of the current turn (0: none). */
  featureBuckets: number;
  /**
   * From this share of training on (0 to 1), a frame's previous intent is the model's own latest
   * answer for the turn it comes from, recorded from the training steps themselves, instead of the
   * gold one (1: gold throughout). At run time the previous intent is the model's own earlier
   * answer; a head that only ever saw gold ones keeps a wrong one to the end of the dialogue.
   */
  ownAnswersFrom: number;
  /**
   * From this share of training on (0 to 1; 1: never), keep an exponential moving average of the
   * weights beside them (`WeightAverage`); `chooseWeights` then picks the last or the averaged
   * weights on validation data.
   */
  averageFrom: number;
  /** Weight of the old average at each step (0.998: about the last 500 steps count). */
  averageDecay: number;
  seed: number;
  /** Called every few steps. */
  onProgress?: (p: { step: number; turns: number; loss: number; elapsedMinutes: number }) => void;
}

export const DEFAULT_SGD_TRAIN: Readonly<Omit<SgdTrainOptions, 'mode' | 'onProgress'>> = Object.freeze({
  // Concat's history cap: about the message and the three or four turns before it. Its cost per
  // turn grows with the cap (128 tokens trained at a sixth of mode none's speed here).
  maxTokens: 64,
  maxUtteranceTokens: 48,
  vocabSize: 6000,
  batchSize: 32,
  learningRate: 1e-3,
  warmupSteps: 200,
  maxMinutes: 10,
  unroll: 2,
  // The NLU model's table size; on dev (1,200 steps) the features lifted span F1 (docs/context-modes.md).
  featureBuckets: 16384,
  // Against gold previous intents throughout, dev active intent + joint goal rose in every mode
  // (concat's active intent 94.3 -> 95.5, memory's 93.9 -> 95.6; docs/context-modes.md).
  ownAnswersFrom: 0.25,
  // Two epochs are about 3,900 steps: the average spans the last half, dominated by its last ~500.
  averageFrom: 0.5,
  averageDecay: 0.998,
  seed: 7,
});

export interface SgdTurnOutput extends TrackerTurnInput {
  requestedSlots: Record<string, string[]>;
  spans: { service: string; slot: string; start: number; end: number; value: string }[];
  /** Per service: the intent head's logits without the previous-intent input, and what that input adds (`filterIntents`). */
  intentScores?: Record<string, IntentScores>;
}

/** One frame's intent logits, candidate 0 = NONE, split into the part the previous intent does not change and its own part. */
export interface IntentScores {
  base: number[];
  previous: number;
  /** The candidate the frame was given as previous intent, if any. */
  given?: number;
}

/** A trained model of one mode, with what it needs to read turns. */
export class SgdModel {
  readonly tokens: TokenCache;
  /**
   * Undefined: each turn's intent is the argmax given the previous turn's argmax. A number: the
   * previous intent is a belief, the last turn's probabilities at this temperature
   * (`filterIntents`); chosen on dev by `chooseIntentFilter`.
   */
  intentTemperature: number | undefined = undefined;
  private inUse: SgdWeights = 'last';
  constructor(
    readonly network: SgdNetwork,
    readonly tokenizer: WordPieceTokenizer,
    readonly input: ContextInputSettings,
    readonly training: { steps: number; turns: number; epochs: number; minutes: number; parameters: number; averagedSteps: number },
    /** The moving average of the weights over the end of training, when it was kept. */
    private readonly average?: WeightAverage,
  ) {
    this.tokens = new TokenCache(tokenizer);
  }

  /** Which weights the model reads with: the last step's (the default) or their average. */
  get weights(): SgdWeights {
    return this.inUse;
  }

  get hasAverage(): boolean {
    return this.average !== undefined;
  }

  /** Read with the last step's weights or with their average (an error when no average was kept). */
  useWeights(which: SgdWeights): void {
    if (which === this.inUse) return;
    if (!this.average) throw new Error('this model kept no weight average (training option averageFrom)');
    this.average.swap();
    this.inUse = which;
  }

  get mode(): ContextMode {
    return this.input.mode;
  }

  get catalog(): SchemaCatalog {
    return this.network.catalog;
  }

  /** Read a batch of turns (memory mode: `memory` is theirs, [B, k, C], or undefined for first turns). */
  run(turns: PreparedTurn[], memory?: tf.Tensor3D): { outputs: SgdTurnOutput[]; memory?: tf.Tensor3D } {
    const batch = this.network.makeBatch(turns);
    try {
      let outputs: SgdTurnOutput[] = [];
      const next = tf.tidy(() => {
        const out = this.network.forward(batch, { training: false, seed: () => 0 }, memory);
        outputs = decodeOutputs(this.catalog, turns, batch, out);
        return out.memory;
      });
      return { outputs, memory: next };
    } finally {
      this.network.disposeBatch(batch);
    }
  }

  /**
   * Per-turn outputs for every user turn of a split, keyed by turnKey. Dialogues are read in
   * order, a batch of them a turn at a time, as a deployed assistant meets them: each turn gets
   * the model's own previous answers (its intents; in memory mode its memory), never gold ones.
   */
  async predictSplit(data: SgdSplitData, batchDialogues = 64): Promise<Map<string, SgdTurnOutput>> {
    const results = new Map<string, SgdTurnOutput>();
    const dialogues = [...groupByDialogue(sgdTurnExamples(data.dialogues)).values()];
    for (let start = 0; start < dialogues.length; start += batchDialogues) {
      await this.readDialogues(dialogues.slice(start, start + batchDialogues), (e, output) => results.set(turnKey(e.dialogueId, e.turnIndex), output));
      this.tokens.clear();
    }
    return results;
  }

  /** Advance dialogues turn by turn, each carrying its own intents (and memory, in memory mode). */
  async readDialogues(dialogues: SgdTurnExample[][], each: (example: SgdTurnExample, output: SgdTurnOutput) => void): Promise<void> {
    const k = contextSettings(this.network.config).memoryTokens;
    const C = this.network.config.dModel;
    const memories: (Float32Array | undefined)[] = dialogues.map(() => undefined);
    const intents: Record<string, string>[] = dialogues.map(() => ({}));
    const beliefs: Record<string, number[]>[] = dialogues.map(() => ({}));
    const longest = Math.max(...dialogues.map((d) => d.length));
    const buckets = this.network.tokenBag?.buckets ?? 0;
    for (let t = 0; t < longest; t++) {
      const rows = dialogues.map((_, i) => i).filter((i) => t < dialogues[i].length);
      const turns = await Promise.all(rows.map((i) => prepareTurn(dialogues[i][t], this.catalog, this.tokens, this.input, false, intents[i], buckets)));
      const memory = k > 0 && t > 0 ? stackMemory(rows.map((i) => memories[i]!), k, C) : undefined;
      const { outputs, memory: next } = this.run(turns, memory);
      memory?.dispose();
      const values = next?.dataSync() as Float32Array | undefined;
      next?.dispose();
      rows.forEach((i, j) => {
        if (values) memories[i] = values.slice(j * k * C, (j + 1) * k * C);
        if (this.intentTemperature !== undefined) filterIntents(this.catalog, outputs[j], beliefs[i], this.intentTemperature);
        Object.assign(intents[i], outputs[j].activeIntents);
        each(dialogues[i][t], outputs[j]);
      });
    }
  }

  dispose(): void {
    this.network.params.dispose();
    this.average?.dispose();
  }
}

export type SgdWeights = 'last' | 'averaged';

/** Memories [k × C] of several conversations as one tensor [B, k, C]. */
export function stackMemory(memories: Float32Array[], k: number, C: number): tf.Tensor3D {
  const values = new Float32Array(memories.length * k * C);
  memories.forEach((m, i) => values.set(m, i * k * C));
  return tf.tensor3d(values, [memories.length, k, C]);
}

/** User turns by dialogue, each in turn order (examples come in dialogue order). */
export function groupByDialogue(examples: readonly SgdTurnExample[]): Map<string, SgdTurnExample[]> {
  const out = new Map<string, SgdTurnExample[]>();
  for (const e of examples) {
    const list = out.get(e.dialogueId);
    if (list) list.push(e);
    else out.set(e.dialogueId, [e]);
  }
  return out;
}

/** Turn the heads' outputs into labels: argmax intents and values, requested above 0.5, BIO spans. */
export function decodeOutputs(catalog: SchemaCatalog, turns: PreparedTurn[], batch: SgdBatch, out: SgdOutputs): SgdTurnOutput[] {
  const intentLogits = out.intentLogits.arraySync();
  const previousScores = out.previousScores.arraySync();
  const selectLogits = out.selectLogits.arraySync();
  const requested = out.requestedLogits.arraySync();
  const valueLogits = out.valueLogits.arraySync();
  const tags = out.tagLogits.argMax(2).arraySync() as number[][];
  const results: SgdTurnOutput[] = turns.map((t) => ({ services: t.frames.map((f) => f.service), activeIntents: {}, requestedSlots: {}, spans: [], values: [], selected: [] }));
  // Frames, slots and value rows were laid out by makeBatch in this same order.
  let frame = 0;
  let slotCursor = 0;
  turns.forEach((turn, b) => {
    for (const { service, previousIntent: given } of turn.frames) {
      const elements = catalog.services.get(service)!;
      if (selectLogits[frame] > 0) results[b].selected!.push(service);
      const logits = intentLogits[frame].slice(0, elements.intents.length + 1);
      const base = logits.map((x, j) => (j === given ? x - previousScores[frame] : x));
      (results[b].intentScores ??= {})[service] = { base, previous: previousScores[frame], given };
      frame++;
      const best = argmax(logits);
      results[b].activeIntents[service] = best === 0 ? NO_INTENT : elements.intents[best - 1].name;
      results[b].requestedSlots[service] = [];
      for (const slot of elements.slots) {
        if (requested[slotCursor] > 0) results[b].requestedSlots[service].push(slot.name);
        const value = argmax(valueLogits[slotCursor].slice(0, 2 + slot.values.length));
        if (value === VALUE_DONTCARE) results[b].values!.push({ service, slot: slot.name, value: DONTCARE });
        else if (value >= 2) results[b].values!.push({ service, slot: slot.name, value: slot.values[value - 2].value });
        slotCursor++;
      }
    }
  });
  const S = batch.spans.width;
  turns.forEach((turn, b) => {
    let open: { slot: number; start: number; end: number } | undefined;
    const close = () => {
      if (!open) return;
      const s = turn.spanSlots[open.slot];
      results[b].spans.push({ service: s.service, slot: s.slot, start: open.start, end: open.end, value: turn.text.slice(open.start, open.end) });
      open = undefined;
    };
    for (let t = 0; t < turn.tokens.utteranceTokens; t++) {
      const tag = tags[b][t];
      const [start, end] = turn.tokens.utteranceOffsets[t];
      if (tag === 0) close();
      else if (tag <= S) {
        close();
        open = { slot: tag - 1, start, end };
      } else if (open && open.slot === tag - 1 - S) open.end = end;
      else {
        close();
        open = { slot: tag - 1 - S, start, end };
      }
    }
    close();
  });
  return results;
}

/**
 * Intents as a filter over the dialogue rather than a chain of hard picks: the previous intent is
 * the belief left by the last turn (its probabilities at `temperature`), and this turn's
 * probability of each intent is its probability given each previous one, weighted by that belief.
 * With gold previous intents the head reaches 96.3 on dev against 93.2 with its own hard picks
 * (mode none, 1,200 steps): a close call taken wrongly was otherwise carried on as certain. Where
 * the turn was given a previous intent other than the belief's best (the system served another
 * intent, `prepareTurn`), that one is taken as certain. Rewrites `output.activeIntents`; `beliefs`
 * is the dialogue's, per service.
 */
export function filterIntents(catalog: SchemaCatalog, output: SgdTurnOutput, beliefs: Record<string, number[]>, temperature: number): void {
  for (const [service, scores] of Object.entries(output.intentScores ?? {})) {
    const elements = catalog.services.get(service)!;
    const K = scores.base.length;
    const belief = beliefs[service];
    let prior: number[] | undefined;
    if (scores.given !== undefined) prior = belief && argmax(belief) === scores.given ? belief : scores.base.map((_, j) => (j === scores.given ? 1 : 0));
    const probabilities = new Array<number>(K).fill(0);
    const addGiven = (previous: number | undefined, weight: number) => {
      const p = softmax(scores.base.map((x, j) => (j === previous ? x + scores.previous : x) / temperature));
      p.forEach((x, j) => (probabilities[j] += weight * x));
    };
    if (prior) prior.forEach((w, previous) => w > 0 && addGiven(previous, w));
    else addGiven(undefined, 1);
    beliefs[service] = probabilities;
    const best = argmax(probabilities);
    output.activeIntents[service] = best === 0 ? NO_INTENT : elements.intents[best - 1].name;
  }
}

function softmax(values: number[]): number[] {
  const top = Math.max(...values);
  const e = values.map((x) => Math.exp(x - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** What a choice made on dev maximises (`chooseIntentFilter`, `chooseWeights`): active-intent accuracy plus joint goal accuracy. */
function devWorth(m: SgdMetrics): number {
  return (m.activeIntentAccuracy ?? 0) + (m.jointGoalAccuracy ?? 0);
}

/** Temperatures `chooseIntentFilter` tries (undefined: hard picks, as before the filter). */
export const INTENT_TEMPERATURES: readonly (number | undefined)[] = [undefined, 1, 2, 4];

/**
 * Score dev with each intent temperature and keep the one with the best active-intent accuracy
 * plus joint goal accuracy (ties keep the earlier one, hard picks first). Returns every trial, and
 * leaves the model set to the choice.
 */
export async function chooseIntentFilter(
  model: SgdModel,
  dev: SgdSplitData,
  temperatures: readonly (number | undefined)[] = INTENT_TEMPERATURES,
): Promise<{ chosen: number | undefined; trials: { temperature: number | undefined; metrics: SgdMetrics }[] }> {
  const trials: { temperature: number | undefined; metrics: SgdMetrics }[] = [];
  for (const temperature of temperatures) {
    model.intentTemperature = temperature;
    trials.push({ temperature, metrics: scoreSplit(dev, await model.predictSplit(dev)) });
  }
  const best = trials.reduce((a, b) => (devWorth(b.metrics) > devWorth(a.metrics) ? b : a));
  model.intentTemperature = best.temperature;
  return { chosen: best.temperature, trials };
}

/**
 * Score dev with the last step's weights and with their average (at the model's current intent
 * temperature) and keep the one with the better active-intent accuracy plus joint goal accuracy
 * (a tie keeps the last weights). Without an average there is nothing to choose.
 */
export async function chooseWeights(model: SgdModel, dev: SgdSplitData): Promise<{ chosen: SgdWeights; trials: { weights: SgdWeights; metrics: SgdMetrics }[] }> {
  if (!model.hasAverage) return { chosen: model.weights, trials: [] };
  const trials: { weights: SgdWeights; metrics: SgdMetrics }[] = [];
  for (const weights of ['last', 'averaged'] as const) {
    model.useWeights(weights);
    trials.push({ weights, metrics: scoreSplit(dev, await model.predictSplit(dev)) });
  }
  const chosen = devWorth(trials[1].metrics) > devWorth(trials[0].metrics) ? 'averaged' : 'last';
  model.useWeights(chosen);
  return { chosen, trials };
}

/** Score per-turn outputs on a split: SGD's metrics, the state from the rule tracker (partial data). */
export function scoreSplit(data: SgdSplitData, outputs: ReadonlyMap<string, SgdTurnOutput>): SgdMetrics {
  const examples = sgdTurnExamples(data.dialogues);
  const states = trackSplit(data, outputs);
  const predictions = new Map<string, SgdTurnPrediction>();
  for (const e of examples) {
    const key = turnKey(e.dialogueId, e.turnIndex);
    const o = outputs.get(key);
    predictions.set(key, { activeIntents: o?.activeIntents, requestedSlots: o?.requestedSlots, spans: o?.spans, state: states.get(key) });
  }
  return evaluateSgd(examples, predictions);
}

/**
 * Train a model of `options.mode` on the train split. The tokenizer learns from train's text;
 * the catalog holds the schemas of every split given (a schema is an input, not a label: an
 * assistant meets a new service through its schema).
 */
export async function trainSgdModel(train: SgdSplitData, schemas: SgdSplitData['schema'][], options: SgdTrainOptions): Promise<SgdModel> {
  // Without it tfjs falls back to its plain-JavaScript backend, many times slower.
  await initTensorBackend();
  const rng = createRng(options.seed);
  const examples = sgdTurnExamples(train.dialogues);
  const texts = [...new Set(examples.map((e) => e.utterance).concat(train.dialogues.flatMap((d) => d.turns.map((t) => t.utterance))))];
  for (const service of train.schema) {
    texts.push(service.description, ...service.intents.map((i) => i.description), ...service.slots.map((s) => s.description));
  }
  const tokenizer = WordPieceTokenizer.train(texts, options.vocabSize);
  const catalog = await buildSchemaCatalog([train.schema, ...schemas], tokenizer);
  const mode = options.mode;
  const memoryTokens = mode === 'memory' ? (options.backbone?.memoryTokens ?? 4) : undefined;
  const maxTokens = mode === 'memory' ? Math.min(options.maxTokens, 2 * options.maxUtteranceTokens + 3) : options.maxTokens;
  const config = resolveBackboneConfig({
    vocabSize: tokenizer.vocabSize,
    maxPositions: maxTokens,
    nLayers: 2,
    dModel: 128,
    nHeads: 4,
    dFF: 256,
    tokenFeatureBuckets: options.featureBuckets,
    tokenNeighbourFeatures: options.featureBuckets > 0,
    ...options.backbone,
    contextMode: mode,
    memoryTokens,
  });
  const input: ContextInputSettings = { mode, maxTokens, maxUtteranceTokens: options.maxUtteranceTokens, maxTurnDistance: contextSettings(config).maxTurnDistance };
  const tokens = new TokenCache(tokenizer);
  // Each turn with the gold intents its services had after their previous frames (examples are in dialogue order).
  const previous = new Map<string, Record<string, string>>();
  const prepared = await Promise.all(
    examples.map((e) => {
      const before = { ...(previous.get(e.dialogueId) ?? {}) };
      previous.set(e.dialogueId, { ...before, ...e.activeIntents });
      return prepareTurn(e, catalog, tokens, input, true, before, config.tokenFeatureBuckets);
    }),
  );
  tokens.clear();
  const ownAnswers = new OwnAnswers(examples, prepared);
  const params = new ParameterStore(rng);
  const network = new SgdNetwork(config, params, catalog, rng);
  const run = { training: true, seed: () => Math.floor(rng() * 2 ** 31) };
  // Create every parameter before the optimiser sees them.
  const probe = network.makeBatch(prepared.slice(0, 4));
  tf.tidy(() => network.loss(probe, network.forward(probe, { training: false, seed: () => 0 })));
  network.disposeBatch(probe);
  const adam = new AdamW(params.variables, DEFAULT_ADAMW, (name) => !name.endsWith('.bias') && !name.includes('norm'));
  const parameters = [...params.variables.values()].reduce((n, v) => n + v.size, 0);
  let average: WeightAverage | undefined;

  let step = 0;
  let turnsSeen = 0;
  const started = performance.now();
  const elapsedMinutes = () => (performance.now() - started) / 60000;
  const done = () => progress() >= 1 || step >= (options.maxSteps ?? Infinity);
  const plannedTurns = (options.maxEpochs ?? Infinity) * prepared.length;
  // Linear decay over whichever budget (time or epochs) runs out first.
  const progress = () => Math.max(elapsedMinutes() / options.maxMinutes, turnsSeen / plannedTurns, step / (options.maxSteps ?? Infinity));
  const rate = (step: number) => options.learningRate * Math.min(1, (step + 1) / options.warmupSteps) * Math.max(0.05, 1 - progress());
  let lossSum = 0;
  let lossCount = 0;
  const report = () => {
    options.onProgress?.({ step, turns: turnsSeen, loss: lossCount > 0 ? lossSum / lossCount : NaN, elapsedMinutes: elapsedMinutes() });
    lossSum = 0;
    lossCount = 0;
  };
  const applyStep = (lossFn: () => tf.Scalar, batches: SgdBatch[]) => {
    for (const batch of batches) network.trainableFeatures(batch);
    const { value, grads } = tf.variableGrads(lossFn);
    const learningRate = rate(step);
    adam.apply(grads, learningRate);
    const sparseAdam = { learningRate, beta1: DEFAULT_ADAMW.beta1, beta2: DEFAULT_ADAMW.beta2, epsilon: DEFAULT_ADAMW.epsilon, weightDecay: 0 };
    for (const batch of batches) network.updateFeatures(batch, grads, sparseAdam);
    if (average) average.update();
    else if (progress() >= options.averageFrom) {
      average = new WeightAverage(params.variables.values(), network.tokenBag ? [network.tokenBag.table] : [], options.averageDecay);
    }
    lossSum += (value.dataSync() as Float32Array)[0];
    lossCount++;
    tf.dispose([value, ...Object.values(grads)]);
    step++;
    if (step % 25 === 0) report();
  };

  outer: for (;;) {
    if (mode !== 'memory') {
      for (const batchTurns of bucketedBatches(prepared, options.batchSize, rng)) {
        if (done()) break outer;
        const answering = progress() >= options.ownAnswersFrom;
        const batch = network.makeBatch(answering ? ownAnswers.apply(batchTurns) : batchTurns);
        let intents: tf.Tensor2D | undefined;
        applyStep(() => {
          const out = network.forward(batch, run);
          if (answering) intents = tf.keep(out.intentLogits);
          return network.loss(batch, out);
        }, [batch]);
        if (intents) ownAnswers.record(batchTurns, intents);
        network.disposeBatch(batch);
        turnsSeen += batchTurns.length;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } else {
      // Streams of dialogues, as recurrent language models are trained: each of `batchSize / unroll`
      // streams reads its dialogue window by window and, when the dialogue ends, goes on with the next
      // one from a fresh memory. Every step then holds the same number of turns from mixed positions;
      // batches of whole dialogues advanced in lockstep put only first turns in a step, then only
      // second ones, and shrank to a few rows at the tail of the longest dialogues.
      const dialogues = [...groupPrepared(prepared).values()];
      const queue: PreparedTurn[][] = [];
      const nextDialogue = () => {
        if (queue.length === 0) queue.push(...shuffle([...dialogues], rng));
        return queue.pop()!;
      };
      const k = memoryTokens!;
      const C = config.dModel;
      const streams = Array.from({ length: Math.max(1, Math.round(options.batchSize / options.unroll)) }, () => ({
        turns: nextDialogue(),
        at: 0,
        memory: undefined as Float32Array | undefined,
      }));
      const emptyMemory = new Float32Array(k * C);
      for (;;) {
        if (done()) break outer;
        const answering = progress() >= options.ownAnswersFrom;
        const incoming = stackMemory(streams.map((s) => (s.at === 0 ? emptyMemory : s.memory!)), k, C);
        const windows: { batch: SgdBatch; turns: PreparedTurn[]; fresh: tf.Tensor3D; intents?: tf.Tensor2D }[] = [];
        for (let u = 0; u < options.unroll; u++) {
          const fresh = streams.map((s) => {
            if (s.at >= s.turns.length) {
              s.turns = nextDialogue();
              s.at = 0;
            }
            return s.at === 0 ? 1 : 0;
          });
          const turns = streams.map((s) => s.turns[s.at++]);
          windows.push({ batch: network.makeBatch(answering ? ownAnswers.apply(turns) : turns), turns, fresh: tf.tensor3d(fresh, [streams.length, 1, 1]) });
        }
        let last: tf.Tensor3D | undefined;
        applyStep(() => {
          let memory = incoming;
          const losses: tf.Scalar[] = [];
          for (const entry of windows) {
            const out = network.forward(entry.batch, run, memory, entry.fresh);
            if (answering) entry.intents = tf.keep(out.intentLogits);
            losses.push(network.loss(entry.batch, out));
            memory = out.memory!;
          }
          last = tf.keep(memory.clone());
          return tf.addN(losses) as tf.Scalar;
        }, windows.map((w) => w.batch));
        // The memory leaving the window enters the next one as a constant (no backpropagation
        // through the whole dialogue); a stream whose dialogue has just ended starts fresh anyway.
        const values = last!.dataSync() as Float32Array;
        streams.forEach((s, i) => (s.memory = values.slice(i * k * C, (i + 1) * k * C)));
        tf.dispose([last!, incoming]);
        for (const { batch, turns, fresh, intents } of windows) {
          if (intents) ownAnswers.record(turns, intents);
          network.disposeBatch(batch);
          fresh.dispose();
          turnsSeen += turns.length;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  if (lossCount > 0) report();
  adam.dispose();
  return new SgdModel(
    network,
    tokenizer,
    input,
    { steps: step, turns: turnsSeen, epochs: turnsSeen / prepared.length, minutes: elapsedMinutes(), parameters, averagedSteps: average?.updates ?? 0 },
    average,
  );
}

/**
 * The model's own latest intent answers during training (`SgdTrainOptions.ownAnswersFrom`): each
 * frame knows the turn its previous intent comes from (its service's previous frame in the
 * dialogue), and takes that turn's recorded answer in place of the gold one once there is one.
 * A previous intent read from the system's acts (`previousServed`) stays: it is not an answer.
 */
export class OwnAnswers {
  /** Per prepared turn, per frame: the key of the turn the frame's previous intent comes from. */
  private readonly sources = new Map<PreparedTurn, (string | undefined)[]>();
  /** `${turn key} ${service}` -> the candidate the intent head last picked. */
  private readonly answers = new Map<string, number>();

  /** `examples[i]` is the example `prepared[i]` was made from; both in dialogue order. */
  constructor(examples: readonly SgdTurnExample[], prepared: readonly PreparedTurn[]) {
    const lastFrame = new Map<string, Record<string, string>>();
    examples.forEach((e, i) => {
      const turn = prepared[i];
      const seen = lastFrame.get(e.dialogueId) ?? {};
      this.sources.set(
        turn,
        turn.frames.map((f) => (f.previousServed || f.previousIntent === undefined ? undefined : seen[f.service])),
      );
      const next = { ...seen };
      for (const service of Object.keys(e.activeIntents)) next[service] = turn.key;
      lastFrame.set(e.dialogueId, next);
    });
  }

  /** The turns with every previous intent that has a recorded answer replaced by it (copies; the originals stay gold). */
  apply(turns: readonly PreparedTurn[]): PreparedTurn[] {
    return turns.map((turn) => {
      const from = this.sources.get(turn);
      if (!from) return turn;
      let changed = false;
      const frames = turn.frames.map((f, j) => {
        const answer = from[j] === undefined ? undefined : this.answers.get(`${from[j]} ${f.service}`);
        if (answer === undefined || answer === f.previousIntent) return f;
        changed = true;
        return { ...f, previousIntent: answer };
      });
      return changed ? { ...turn, frames } : turn;
    });
  }

  /** Record the intent head's picks for `turns` (frames in batch order, as `makeBatch` lays them out) and dispose the logits. */
  record(turns: readonly PreparedTurn[], intentLogits: tf.Tensor2D): void {
    const rows = intentLogits.arraySync();
    intentLogits.dispose();
    let i = 0;
    for (const turn of turns) {
      for (const f of turn.frames) this.answers.set(`${turn.key} ${f.service}`, argmax(rows[i++].slice(0, f.intentCandidates.length)));
    }
  }
}

function groupPrepared(turns: PreparedTurn[]): Map<string, PreparedTurn[]> {
  const out = new Map<string, PreparedTurn[]>();
  for (const t of turns) {
    const dialogue = t.key.slice(0, t.key.lastIndexOf('/'));
    const list = out.get(dialogue);
    if (list) list.push(t);
    else out.set(dialogue, [t]);
  }
  return out;
}

/** Shuffled batches of similar length (less padding), in shuffled order. */
function* bucketedBatches(turns: PreparedTurn[], batchSize: number, rng: () => number): Generator<PreparedTurn[]> {
  const order = shuffle(turns.slice(), rng);
  const pool = batchSize * 16;
  for (let start = 0; start < order.length; start += pool) {
    const chunk = order.slice(start, start + pool).sort((a, b) => a.tokens.ids.length - b.tokens.ids.length);
    const batches: PreparedTurn[][] = [];
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
    yield* shuffle(batches, rng);
  }
}
