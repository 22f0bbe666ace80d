/**
 * `duet pretrain`: self-supervised pretraining of the shared backbone with three objectives on
 * one network (UniLM-style; the attention mask decides how the backbone reads):
 *   1. masked-token prediction, bidirectional, through the masked-LM head;
 *   2. next-token prediction, under a causal mask, through the language-model head (tied to the
 *      token embeddings);
 *   3. response ranking, bidirectional dual encoder, mean-pooled, in-batch negatives.
 * Every step computes all three, each on its own batch (see pretrain-batches.ts), and takes one
 * AdamW step on the sum of the losses: no objective waits for its turn, and one learning-rate
 * schedule (linear warm-up, cosine decay to a tenth) serves them all.
 *
 * The output folder is a model folder (`duet train --base`, `duet generate`, `duet inspect` read
 * it) plus a resumable state; see pretrain-checkpoint.ts. A run can stop at a time budget and be
 * resumed with the same result as an uninterrupted one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PretrainingCorpus, PretrainingCorpusOptions } from '../data/corpora/pretraining.js';
import { ConfigError, ModelLoadError } from '../errors.js';
import { initTensorBackend } from '../model/backend.js';
import { Backbone, type RunOptions } from '../model/backbone.js';
import { resolveBackboneConfig, type BackboneConfig } from '../model/config.js';
import { CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from '../model/model-folder.js';
import { ParameterStore } from '../model/params.js';
import { PretrainedHeads } from '../model/pretrained-heads.js';
import { DEFAULT_RANKING_SCALE, meanPool, rankingLogits } from '../model/ranking-head.js';
import type { NamedTensor } from '../model/safetensors.js';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { createRng } from '../util/random.js';
import { AdamW, DEFAULT_ADAMW } from './adamw.js';
import { BatchPlan, mixSeed, OBJECTIVES, prepareCorpus, type LmBatch, type MlmBatch, type Objective, type RankBatch, type StepBatch } from './pretrain-batches.js';
import { renderModelCard } from './pretrain-card.js';
import {
  LOSS_LOG_FILE,
  MODEL_CARD_FILE,
  PRETRAINED_HEADS,
  pretrainedMetadata,
  readRunState,
  RESUME_FILES,
  STATE_FILE,
  truncateLossLog,
  USE_FILES,
  writeFileAtomically,
  writeRunState,
  writeUseFiles,
  type LoadedRunState,
  type LossLogLine,
  type RunState,
} from './pretrain-checkpoint.js';

/** The settings that define a run (a resumed run keeps them; see `runPretraining`). */
export interface PretrainOptions {
  /** Optimiser steps of the whole run (the learning-rate schedule ends here). */
  steps: number;
  /** Sequences per objective per step (ranking: pairs, i.e. B contexts and B responses). */
  batchSize: number;
  /** Sequence length in tokens, and the backbone's position limit. */
  maxTokens: number;
  layers: number;
  dModel: number;
  heads: number;
  ff: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Linear warm-up steps (default: 5% of the steps, at most 1,000). */
  warmupSteps?: number;
  seed: number;
  /** Largest WordPiece vocabulary to learn from the corpus. */
  vocabSize: number;
  dropout: number;
  /** Share of tokens the masked-LM objective predicts. */
  maskRate: number;
  /** Inverse temperature of the ranking softmax. */
  rankingScale: number;
  weightDecay: number;
  /** Weight of each objective in the summed loss; 0 leaves it out. */
  objectiveWeights: Record<Objective, number>;
  /** Cap on (context, response) pairs passed to the corpus loader (quick runs). */
  maxPairs?: number;
  /** Corpus folder passed to the loader (default: its own). */
  dataDir?: string;
}

/**
 * Defaults sized for a 2-core CPU: 4 layers of width 128 (0.8 M parameters in the blocks, 1 M in
 * the token table) train at about 0.3 steps/s with batch 16 × 64 tokens per objective on one
 * wasm thread; 10,000 steps, about 9 hours, are a few epochs of the corpus's text. Width 256
 * costs about 3× as much per step, and a fine-tuned assistant pays for the width at every turn.
 */
export const DEFAULT_PRETRAIN_OPTIONS: Readonly<PretrainOptions> = Object.freeze({
  steps: 10_000,
  batchSize: 16,
  maxTokens: 64,
  layers: 4,
  dModel: 128,
  heads: 4,
  ff: 512,
  learningRate: 5e-4,
  seed: 42,
  vocabSize: 8000,
  dropout: 0.1,
  maskRate: 0.15,
  rankingScale: DEFAULT_RANKING_SCALE,
  weightDecay: DEFAULT_ADAMW.weightDecay,
  objectiveWeights: Object.freeze({ mlm: 1, lm: 1, rank: 1 }),
});

/** How often to write a checkpoint: every n steps, or every n minutes. */
export type CheckpointEvery = { steps: number } | { minutes: number };

export type PretrainProgress =
  | { kind: 'prepare'; stage: string }
  | { kind: 'start'; fromStep: number; totalSteps: number; objectives: Objective[]; parameters: number; resumed: boolean }
  | {
      kind: 'step';
      step: number;
      totalSteps: number;
      losses: Partial<Record<Objective, number>>;
      learningRate: number;
      stepsPerSecond: number;
      /** Seconds until the run ends or the session's time budget does, whichever is first. */
      etaSeconds: number;
    }
  | { kind: 'checkpoint'; step: number }
  | { kind: 'stop'; step: number; reason: StopReason };

export type StopReason = 'done' | 'time' | 'interrupted';

/** What the corpus loader is asked for. */
export type CorpusRequest = Pick<PretrainingCorpusOptions, 'dataDir' | 'maxPairs' | 'seed'>;

export interface PretrainSettings {
  outDir: string;
  /** Run settings; with `resume`, only those given are checked against the run's (steps may change). */
  options?: Partial<PretrainOptions>;
  /** Continue the run whose checkpoint is in outDir. */
  resume?: boolean;
  /** Stop cleanly (with a checkpoint) once this session has used this many minutes. */
  maxMinutes?: number;
  checkpointEvery?: CheckpointEvery;
  loadCorpus: (request: CorpusRequest) => PretrainingCorpus | Promise<PretrainingCorpus>;
  onProgress?: (event: PretrainProgress) => void;
  /** Aborting stops after the current step, with a checkpoint. */
  signal?: AbortSignal;
  /** How this machine is described on the model card (default: CPU model and cores). */
  machine?: string;
}

export interface PretrainReport {
  outDir: string;
  step: number;
  totalSteps: number;
  stopped: StopReason;
  objectives: Objective[];
  parameters: number;
  /** Steps this session and their rate (training only, preparation excluded). */
  sessionSteps: number;
  stepsPerSecond: number;
  sessionSeconds: number;
  /** Wall-clock seconds of the run over all its sessions. */
  totalSeconds: number;
  /** Mean of each loss over the last logged steps (up to 100). */
  finalLosses: Partial<Record<Objective, number>>;
  /** Files that make the model, and files only `--resume` needs. */
  files: { use: string[]; resume: string[] };
}

/** CLI flag of each run setting, for messages and the reproduce command. */
const FLAGS: Partial<Record<keyof PretrainOptions, string>> = {
  steps: '--steps',
  batchSize: '--batch-size',
  maxTokens: '--max-tokens',
  layers: '--layers',
  dModel: '--d-model',
  heads: '--heads',
  ff: '--ff',
  learningRate: '--lr',
  seed: '--seed',
  vocabSize: '--vocab-size',
  maxPairs: '--max-pairs',
  dataDir: '--data-dir',
};

const DEFAULT_CHECKPOINT_EVERY: CheckpointEvery = { minutes: 10 };
const FINAL_LOSS_WINDOW = 100;

/** Fill defaults and check a run's settings. */
export function resolvePretrainOptions(partial: Partial<PretrainOptions>): PretrainOptions {
  const options: PretrainOptions = { ...DEFAULT_PRETRAIN_OPTIONS, ...definedOnly(partial) };
  options.objectiveWeights = { ...DEFAULT_PRETRAIN_OPTIONS.objectiveWeights, ...partial.objectiveWeights };
  const positive: (keyof PretrainOptions)[] = ['steps', 'batchSize', 'maxTokens', 'layers', 'dModel', 'heads', 'ff', 'vocabSize'];
  for (const key of positive) {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new ConfigError(`${FLAGS[key] ?? key} must be a positive integer, got ${String(value)}`);
  }
  if (options.batchSize < 2) throw new ConfigError('--batch-size must be at least 2: ranking scores each context against the batch\'s other responses');
  if (options.maxTokens < 8) throw new ConfigError(`--max-tokens must be at least 8, got ${options.maxTokens}`);
  if (options.dModel % options.heads !== 0) throw new ConfigError(`--d-model (${options.dModel}) must be divisible by --heads (${options.heads})`);
  if (!(options.learningRate > 0)) throw new ConfigError(`--lr must be positive, got ${options.learningRate}`);
  if (options.vocabSize < 16) throw new ConfigError(`--vocab-size must be at least 16, got ${options.vocabSize}`);
  if (!(options.maskRate > 0 && options.maskRate < 1)) throw new ConfigError(`maskRate must be in (0, 1), got ${options.maskRate}`);
  if (!OBJECTIVES.some((o) => options.objectiveWeights[o] > 0)) throw new ConfigError('at least one objective needs a positive weight');
  options.warmupSteps ??= Math.max(1, Math.min(1000, Math.round(options.steps * 0.05)));
  return options;
}

function definedOnly<T extends object>(partial: T): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Linear warm-up to the peak, then cosine decay to a tenth of it at the last step. */
export function learningRateAt(step: number, options: PretrainOptions): number {
  const warmup = options.warmupSteps ?? 1;
  if (step < warmup) return (options.learningRate * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, options.steps - warmup));
  return options.learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** `--checkpoint-every` value: "500" (steps) or "10m" / "10min" (minutes). */
export function parseCheckpointEvery(value: string): CheckpointEvery {
  const text = value.trim().toLowerCase();
  const minutes = /^(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?)$/.exec(text);
  if (minutes && Number(minutes[1]) > 0) return { minutes: Number(minutes[1]) };
  const steps = /^(\d+)(?:\s*steps?)?$/.exec(text);
  if (steps && Number(steps[1]) > 0) return { steps: Number(steps[1]) };
  throw new ConfigError(`--checkpoint-every takes steps ("500") or minutes ("10m"), got "${value}"`);
}

/** The backbone, its two LM heads and the ranking head (no parameters) as one network to train. */
class PretrainNetwork {
  readonly backbone: Backbone;
  readonly heads: PretrainedHeads;

  constructor(
    readonly config: BackboneConfig,
    readonly params: ParameterStore,
    private readonly rankingScale: number,
  ) {
    this.backbone = new Backbone(config, params);
    this.heads = new PretrainedHeads(config, PRETRAINED_HEADS, params);
    this.backbone.build();
    this.heads.build();
    // The token table is trained: the tied projection must follow it and carry its gradient.
    this.heads.cacheProjection = false;
  }

  /** Masked-LM loss: cross-entropy at the chosen positions only (the vocabulary projection is the costliest op). */
  maskedLmLoss(b: MlmBatch, run: RunOptions): tf.Scalar {
    const C = this.config.dModel;
    const hidden = this.backbone.encode({ ids: tf.tensor2d(b.ids, [b.B, b.T], 'int32'), padMask: tf.ones([b.B, b.T]) as tf.Tensor2D }, run); // [B, T, C]
    const M = b.positions.length;
    const picked = tf.gather(hidden.reshape([b.B * b.T, C]), tf.tensor1d(b.positions, 'int32')).reshape([1, M, C]) as tf.Tensor3D; // [1, M, C]
    const logits = this.heads.maskedLmLogits(picked).reshape([M, this.config.vocabSize]) as tf.Tensor2D; // [M, V]
    return crossEntropy(logits, b.labels);
  }

  /** Next-token loss over every position, the backbone under a causal mask. */
  nextTokenLoss(b: LmBatch, run: RunOptions): tf.Scalar {
    const causal = tf.linalg.bandPart(tf.ones([b.T, b.T]), -1, 0) as tf.Tensor2D; // [T, T]
    const hidden = this.backbone.encode({ ids: tf.tensor2d(b.ids, [b.B, b.T], 'int32'), padMask: tf.ones([b.B, b.T]) as tf.Tensor2D, attentionMask: causal }, run);
    const logits = this.heads.nextTokenLogits(hidden).reshape([b.B * b.T, this.config.vocabSize]) as tf.Tensor2D; // [B·T, V]
    return crossEntropy(logits, b.targets);
  }

  /** Ranking loss: each context against the batch's responses, its own being the right one. */
  rankingLoss(b: RankBatch, run: RunOptions): tf.Scalar {
    const contextMask = tf.tensor2d(b.contextMask, [b.B, b.contextT]);
    const responseMask = tf.tensor2d(b.responseMask, [b.B, b.responseT]);
    const contexts = this.backbone.encode(
      { ids: tf.tensor2d(b.contextIds, [b.B, b.contextT], 'int32'), segments: tf.tensor2d(b.contextSegments, [b.B, b.contextT], 'int32'), padMask: contextMask },
      run,
    ); // [B, Tc, C]
    const responses = this.backbone.encode({ ids: tf.tensor2d(b.responseIds, [b.B, b.responseT], 'int32'), padMask: responseMask }, run); // [B, Tr, C]
    const scores = rankingLogits(meanPool(contexts, contextMask), meanPool(responses, responseMask), this.rankingScale) // [B, B]
      .add(tf.tensor2d(b.sameResponse, [b.B, b.B]).mul(-1e9)) as tf.Tensor2D;
    return crossEntropy(scores, Int32Array.from({ length: b.B }, (_, i) => i));
  }

  /** One objective's loss on its part of the step's batch. */
  loss(objective: Objective, batch: StepBatch, run: RunOptions): tf.Scalar {
    const part = batch[objective];
    if (!part) throw new Error(`no ${objective} batch this step`);
    if (objective === 'mlm') return this.maskedLmLoss(part as MlmBatch, run);
    if (objective === 'lm') return this.nextTokenLoss(part as LmBatch, run);
    return this.rankingLoss(part as RankBatch, run);
  }
}

/**
 * Mean cross-entropy of logits [N, V] against integer labels [N], as one op with its own
 * gradient (softmax − one-hot): over a [1024, 8000] next-token batch it costs about a third of
 * tfjs's composite log-softmax, whose many elementwise passes wasm runs slowly. The loss is read
 * from the softmax, floored at 1e-30 (a loss above 69 nats reads as 69; the gradient is exact).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const [N, V] = logits.shape;
  if (labels.length !== N) throw new Error(`${labels.length} labels for ${N} rows of logits`);
  const op = tf.customGrad((x, save) => {
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), V); // [N, V]
    const probs = tf.softmax(x as tf.Tensor2D); // [N, V]
    (save as tf.GradSaveFunc)([probs, oneHot]);
    const picked = tf.sum(probs.mul(oneHot), 1).maximum(1e-30); // [N]
    return {
      value: tf.neg(tf.mean(tf.log(picked))) as tf.Scalar,
      gradFunc: (dy, [savedProbs, savedOneHot]) => savedProbs.sub(savedOneHot).mul(tf.div(dy, N)),
    };
  });
  return op(logits) as tf.Scalar;
}

/** Run pretraining (fresh, or resumed from outDir's checkpoint) until the last step, the time budget or an abort. */
export async function runPretraining(settings: PretrainSettings): Promise<PretrainReport> {
  const sessionStart = performance.now();
  const outDir = resolve(settings.outDir);
  const progress = settings.onProgress ?? (() => undefined);
  await initTensorBackend();

  let loaded: LoadedRunState<PretrainOptions> | undefined;
  let options: PretrainOptions;
  if (settings.resume) {
    loaded = readRunState<PretrainOptions>(outDir);
    options = mergeResumedOptions(loaded.state.options, settings.options ?? {});
  } else {
    checkFreshOutDir(outDir);
    options = resolvePretrainOptions(settings.options ?? {});
  }
  const checkpointEvery = settings.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;

  progress({ kind: 'prepare', stage: 'loading the corpus' });
  const corpus = await settings.loadCorpus({ maxPairs: options.maxPairs, seed: options.seed, dataDir: options.dataDir });
  const corpusDigest = digestCorpus(corpus);
  if (loaded && loaded.state.corpusDigest !== corpusDigest) {
    throw new ConfigError(
      `the corpus differs from the one the run in ${outDir} started on (its files or --max-pairs changed): resuming would not continue the same run; start a new one in another folder`,
    );
  }
  if (corpus.texts.length === 0 && corpus.pairs.length < 2) throw new ConfigError('the pretraining corpus is empty: it needs texts (language modelling) or pairs (ranking)');

  mkdirSync(outDir, { recursive: true });
  let tokenizerJson: string;
  let tokenizer: WordPieceTokenizer;
  if (loaded) {
    tokenizerJson = loaded.state.tokenizer;
    tokenizer = tokenizerFromJson(outDir, tokenizerJson);
  } else {
    progress({ kind: 'prepare', stage: `training a ${options.vocabSize}-token WordPiece vocabulary` });
    const source = corpus.texts.length > 0 ? corpus.texts : corpus.pairs.flatMap((p) => [...p.context, p.response]);
    tokenizer = WordPieceTokenizer.train(source, options.vocabSize);
    const temporary = join(outDir, `${TOKENIZER_FILE}.tmp-${process.pid}`);
    tokenizer.save(temporary);
    tokenizerJson = readFileSync(temporary, 'utf8');
    rmSync(temporary, { force: true });
  }

  const prepared = await prepareCorpus(corpus, tokenizer, options.maxTokens, (done, total) =>
    progress({ kind: 'prepare', stage: `tokenizing ${done.toLocaleString('en')} / ${total.toLocaleString('en')} texts and pairs` }),
  );
  const wanted = new Set(OBJECTIVES.filter((o) => options.objectiveWeights[o] > 0));
  const plan = new BatchPlan(prepared, options.batchSize, options.seed, wanted, { rate: options.maskRate, maskShare: 0.8, randomShare: 0.1 });
  const objectives = plan.active;
  if (objectives.length === 0) throw new ConfigError('the corpus has too little text for any objective: add data or lower --max-tokens');

  const config = resolveBackboneConfig({
    vocabSize: tokenizer.vocabSize,
    maxPositions: options.maxTokens,
    segmentVocabSize: 2,
    dModel: options.dModel,
    nLayers: options.layers,
    nHeads: options.heads,
    dFF: options.ff,
    norm: 'pre',
    dropout: options.dropout,
    tokenFeatureBuckets: 0,
  });
  if (loaded && JSON.stringify(loaded.state.backbone) !== JSON.stringify(config)) {
    throw new ModelLoadError(`${join(outDir, STATE_FILE)} was written for another backbone shape than its own settings give: start over without --resume`);
  }
  const params = new ParameterStore(createRng(options.seed), loaded?.params);
  let network: PretrainNetwork;
  try {
    network = new PretrainNetwork(config, params, options.rankingScale);
  } catch (error) {
    params.dispose();
    throw loaded ? new ModelLoadError(`${join(outDir, STATE_FILE)} does not fit the model (${(error as Error).message}): start over without --resume`, { cause: error }) : error;
  }
  params.releasePresets();
  if (loaded && params.withoutPreset().length > 0) {
    params.dispose();
    throw new ModelLoadError(`${join(outDir, STATE_FILE)} has no weights for ${params.withoutPreset()[0]}: start over without --resume`);
  }
  const decays = (name: string) => !name.endsWith('.bias') && !name.includes('norm');
  let adam: AdamW;
  try {
    adam = new AdamW(params.variables, { ...DEFAULT_ADAMW, weightDecay: options.weightDecay }, decays, loaded && { ...loaded.moments, step: loaded.state.step });
  } catch (error) {
    params.dispose();
    throw new ModelLoadError(`${join(outDir, STATE_FILE)}: ${(error as Error).message}; start over without --resume`, { cause: error });
  }
  const parameters = [...params.variables.values()].reduce((n, v) => n + v.size, 0);

  let step = loaded?.state.step ?? 0;
  const previousSeconds = loaded?.state.elapsedSeconds ?? 0;
  const sessions = (loaded?.state.sessions ?? 0) + 1;
  const logLines = loaded ? truncateLossLog(outDir, step) : [];
  if (!loaded) writeFileAtomically(join(outDir, LOSS_LOG_FILE), '');
  const recent = logLines.slice(-FINAL_LOSS_WINDOW);
  const totalSeconds = () => previousSeconds + (performance.now() - sessionStart) / 1000;
  const machine = settings.machine ?? `${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores`;

  const trainStart = performance.now();
  let sessionSteps = 0;
  const stepsPerSecond = () => (sessionSteps > 0 ? sessionSteps / ((performance.now() - trainStart) / 1000) : 0);
  const finalLosses = (): Partial<Record<Objective, number>> => {
    const out: Partial<Record<Objective, number>> = {};
    for (const o of objectives) {
      const values = recent.map((l) => l[o]).filter((x): x is number => typeof x === 'number');
      if (values.length > 0) out[o] = values.reduce((a, b) => a + b, 0) / values.length;
    }
    return out;
  };
  const checkpoint = (finished: boolean) => {
    const named = new Map<string, NamedTensor>();
    for (const [name, v] of params.variables) named.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    const state: RunState<PretrainOptions> = {
      step,
      options,
      backbone: config,
      corpusDigest,
      elapsedSeconds: totalSeconds(),
      sessions,
      tokenizer: tokenizerJson,
    };
    writeRunState(outDir, state, named, adam.moments());
    const losses = finalLosses();
    const card = renderModelCard({
      backbone: config,
      parameters,
      sources: corpus.sources,
      texts: corpus.texts.length,
      pairs: corpus.pairs.length,
      streamTokens: prepared.stream.length,
      objectives,
      step,
      totalSteps: options.steps,
      finished,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      warmupSteps: options.warmupSteps ?? 1,
      rankingScale: options.rankingScale,
      maskRate: options.maskRate,
      epochs: plan.epochsAfter(step),
      finalLosses: losses,
      finalLossSteps: recent.length,
      trainingMinutes: totalSeconds() / 60,
      sessions,
      machine,
      stepsPerSecond: stepsPerSecond(),
      command: reproduceCommand(settings.outDir, options),
    });
    const metadata = pretrainedMetadata(outDir, config, {
      objectives,
      pooling: 'mean',
      rankingScale: options.rankingScale,
      step,
      totalSteps: options.steps,
      finalLosses: losses,
      options: { ...options },
      sources: corpus.sources,
    });
    writeUseFiles(outDir, named, metadata, tokenizerJson);
    writeFileAtomically(join(outDir, MODEL_CARD_FILE), card);
    progress({ kind: 'checkpoint', step });
  };

  progress({ kind: 'start', fromStep: step, totalSteps: options.steps, objectives, parameters, resumed: Boolean(loaded) });
  let stopped: StopReason = 'done';
  let lastCheckpoint = performance.now();
  const trainable = [...params.variables.values()];
  const budgetSeconds = settings.maxMinutes === undefined ? Number.POSITIVE_INFINITY : settings.maxMinutes * 60;
  try {
    while (step < options.steps) {
      // Back to the event loop between steps: otherwise a signal's handler (Ctrl-C, SIGTERM), which
      // aborts `settings.signal`, never runs, and the run cannot be stopped with a checkpoint.
      await new Promise((resolve) => setImmediate(resolve));
      if (settings.signal?.aborted) {
        stopped = 'interrupted';
        break;
      }
      const spent = (performance.now() - sessionStart) / 1000;
      const perStep = sessionSteps > 0 ? (performance.now() - trainStart) / 1000 / sessionSteps : 0;
      if (spent + perStep > budgetSeconds) {
        stopped = 'time';
        break;
      }
      const learningRate = learningRateAt(step, options);
      let dropoutCalls = 0;
      const thisStep = step;
      const run: RunOptions = { training: true, seed: () => mixSeed(options.seed, thisStep, 5, dropoutCalls++) };
      let result: ReturnType<typeof trainStep>;
      try {
        result = trainStep(network, plan.at(step), options.objectiveWeights, trainable, adam, learningRate, run);
      } catch (error) {
        // wasm aborts when its heap (at most 4 GB) cannot grow: say what to change, not "Aborted()".
        if ((error as Error).name === 'RuntimeError' && /Aborted/.test((error as Error).message)) {
          throw new ConfigError(
            `the tensor backend ran out of memory at step ${step + 1} (its WebAssembly heap holds at most 4 GB): start over with a smaller --batch-size, --max-tokens, --layers or --d-model`,
            { cause: error },
          );
        }
        throw error;
      }
      const { losses, total, gradNorm } = result;
      if (!Number.isFinite(total)) {
        throw new ConfigError(`the loss became ${total} at step ${step + 1} (learning rate ${learningRate.toExponential(2)}): lower --lr, then --resume from the last checkpoint or start over`);
      }
      step++;
      sessionSteps++;
      const line: LossLogLine = { step, loss: round(total), ...roundAll(losses), lr: Number(learningRate.toPrecision(6)), gradNorm: round(gradNorm), elapsed: Math.round(totalSeconds() * 10) / 10 };
      appendFileSync(join(outDir, LOSS_LOG_FILE), `${JSON.stringify(line)}\n`);
      recent.push(line);
      if (recent.length > FINAL_LOSS_WINDOW) recent.shift();
      const rate = stepsPerSecond();
      const toEnd = rate > 0 ? (options.steps - step) / rate : Number.POSITIVE_INFINITY;
      const toBudget = budgetSeconds - (performance.now() - sessionStart) / 1000;
      progress({ kind: 'step', step, totalSteps: options.steps, losses, learningRate, stepsPerSecond: rate, etaSeconds: Math.max(0, Math.min(toEnd, toBudget)) });
      const due = 'steps' in checkpointEvery ? step % checkpointEvery.steps === 0 : performance.now() - lastCheckpoint >= checkpointEvery.minutes * 60_000;
      if (due && step < options.steps) {
        checkpoint(false);
        lastCheckpoint = performance.now();
      }
    }
    checkpoint(step >= options.steps);
    progress({ kind: 'stop', step, reason: stopped });
    return {
      outDir,
      step,
      totalSteps: options.steps,
      stopped,
      objectives,
      parameters,
      sessionSteps,
      stepsPerSecond: stepsPerSecond(),
      sessionSeconds: (performance.now() - sessionStart) / 1000,
      totalSeconds: totalSeconds(),
      finalLosses: finalLosses(),
      files: { use: USE_FILES, resume: RESUME_FILES },
    };
  } finally {
    try {
      adam.dispose();
      network.heads.dispose();
      params.dispose();
    } catch {
      // After a wasm abort nothing can be freed; the error that caused it is the one to report.
    }
  }
}

/**
 * One optimiser step on the weighted sum of the losses. Each objective's gradient is taken in its
 * own pass and the gradients are added (the gradient of the sum): only one objective's
 * activations are alive at a time, which keeps the wasm heap (at most 4 GB) to about a third.
 */
function trainStep(
  network: PretrainNetwork,
  batch: StepBatch,
  weights: Record<Objective, number>,
  trainable: tf.Variable[],
  adam: AdamW,
  learningRate: number,
  run: RunOptions,
): { losses: Partial<Record<Objective, number>>; total: number; gradNorm: number } {
  const sum: Record<string, tf.Tensor> = {};
  const losses: Partial<Record<Objective, number>> = {};
  let total = 0;
  try {
    for (const objective of OBJECTIVES) {
      if (!batch[objective]) continue;
      const { value, grads } = tf.variableGrads(() => {
        const loss = network.loss(objective, batch, run);
        return (weights[objective] === 1 ? loss : loss.mul(weights[objective])) as tf.Scalar;
      }, trainable);
      const weighted = (value.dataSync() as Float32Array)[0];
      value.dispose();
      losses[objective] = weighted / weights[objective];
      total += weighted;
      for (const [name, grad] of Object.entries(grads)) {
        const previous = sum[name];
        sum[name] = previous ? tf.add(previous, grad) : grad;
        if (previous) tf.dispose([previous, grad]);
      }
    }
    const gradNorm = adam.apply(sum, learningRate);
    return { losses, total, gradNorm };
  } finally {
    tf.dispose(Object.values(sum));
  }
}

function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

function roundAll(losses: Partial<Record<Objective, number>>): Partial<Record<Objective, number>> {
  return Object.fromEntries(Object.entries(losses).map(([k, v]) => [k, round(v as number)]));
}

/** A resumed run keeps its settings; a flag given again must agree (--steps may change: the schedule then follows it). */
function mergeResumedOptions(stored: PretrainOptions, given: Partial<PretrainOptions>): PretrainOptions {
  for (const [key, value] of Object.entries(definedOnly(given)) as [keyof PretrainOptions, unknown][]) {
    if (key === 'steps') continue;
    if (JSON.stringify(value) !== JSON.stringify(stored[key])) {
      const flag = FLAGS[key] ?? key;
      throw new ConfigError(
        `${flag} ${JSON.stringify(value)} differs from the run being resumed (${JSON.stringify(stored[key]) ?? 'not set'}): a resumed run keeps its settings; drop ${flag} or start a new run in another folder`,
      );
    }
  }
  return resolvePretrainOptions({ ...stored, ...(given.steps !== undefined && { steps: given.steps }) });
}

/** A fresh run needs a new or empty folder (or one left by a run that stopped before its first checkpoint). */
function checkFreshOutDir(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new ConfigError(`--out ${outDir} is a file: choose a folder`);
  const entries = readdirSync(outDir);
  if (entries.includes(STATE_FILE)) {
    throw new ConfigError(`${outDir} already holds a pretraining run (${STATE_FILE}): add --resume to continue it, or choose a new folder`);
  }
  const ours = new Set([LOSS_LOG_FILE, TOKENIZER_FILE, CONFIG_FILE, WEIGHTS_FILE, MODEL_CARD_FILE]);
  const foreign = entries.filter((e) => !ours.has(e) && !/\.tmp-\d+$/.test(e));
  if (foreign.length > 0 || entries.includes(CONFIG_FILE)) {
    throw new ConfigError(`--out ${outDir} is not empty (${(foreign[0] ?? CONFIG_FILE)}): choose a new or empty folder`);
  }
}

/** sha256 over the texts and pairs in order. */
function digestCorpus(corpus: PretrainingCorpus): string {
  const hash = createHash('sha256');
  hash.update(`texts ${corpus.texts.length}\n`);
  for (const text of corpus.texts) hash.update(`${text}\n`);
  hash.update(`pairs ${corpus.pairs.length}\n`);
  for (const pair of corpus.pairs) hash.update(`${pair.context.join('\u241e')}\u241f${pair.response}\n`);
  return hash.digest('hex');
}

/** A tokenizer from tokenizer.json content (the tokenizers binding reads files only). */
function tokenizerFromJson(dir: string, json: string): WordPieceTokenizer {
  const temporary = join(dir, `${TOKENIZER_FILE}.tmp-${process.pid}`);
  writeFileSync(temporary, json);
  try {
    return WordPieceTokenizer.load(temporary);
  } catch (error) {
    throw new ModelLoadError(`${join(dir, STATE_FILE)} holds an unreadable tokenizer (${(error as Error).message}): start over without --resume`, { cause: error });
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** The command that repeats this run (every run setting spelled out). */
export function reproduceCommand(outDir: string, options: PretrainOptions): string {
  const parts = ['npx duet pretrain', `--out ${outDir}`];
  for (const [key, flag] of Object.entries(FLAGS) as [keyof PretrainOptions, string][]) {
    const value = options[key];
    if (value !== undefined) parts.push(`${flag} ${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join(' ');
}
