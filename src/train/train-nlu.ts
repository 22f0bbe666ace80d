/**
 * Joint intent + slot training (JointBERT-style) with early stopping on validation, a fixed seed,
 * and out-of-scope calibration. Emits progress events; rendering them is the CLI's job.
 */
import * as tf from '@tensorflow/tfjs';
import { stratifiedHoldout } from '../data/datasets/holdout.js';
import type { NluExample, SlotSpan } from '../data/types.js';
import { countSlotMatches, precisionRecallF1 } from '../eval/metrics.js';
import { initTensorBackend } from '../model/backend.js';
import { buildTagSet, countTagTransitions, decodeBio, tagsToSpans, type TagTransitionPrior } from '../model/bio.js';
import {
  contextSettings,
  MODEL_FORMAT_VERSION,
  resolveBackboneConfig,
  resolveHeadConfig,
  type BackboneConfig,
  type HeadConfig,
  type ModelConfig,
} from '../model/config.js';
import { DuetModel, type RawPrediction } from '../model/duet-model.js';
import { encodeUtterance, spansToWordTags, type EncodedUtterance } from '../model/encode-utterance.js';
import { NluNetwork, type NluBatch } from '../model/nlu-network.js';
import { ParameterStore } from '../model/params.js';
import { loadWordVectors } from '../model/word-vectors.js';
import type { BaseCheckpoint } from '../model/pretrained-model.js';
import { ConfigError } from '../errors.js';
import { utteranceTokenLimit } from '../model/context-encoding.js';
import { TrainingContexts } from './training-context.js';
import { augmentBySlotSwap } from './augment.js';
import { createRng, shuffle } from '../util/random.js';
import { SlotTransitionCrf } from './slot-crf.js';
import type { AdamSettings } from '../model/sparse-embedding.js';
import { computeIdf } from '../model/sparse-features.js';
import { MASK_ID, WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { chooseOosThreshold } from './calibration.js';
import { roundToHalfInPlace } from '../model/half-precision.js';
import { SENTENCE_VECTOR_SIZE, sharedSentenceEncoder, type SentenceEncoder } from '../model/sentence-encoder.js';
import { chooseMixWeight, chooseNetworkAloneAbove, DEFAULT_SENTENCE_HEAD_OPTIONS, mixProbs, SentenceHead, type MixRule } from '../model/sentence-head.js';
import { encodeAndTrainSentenceHead, startSentenceHeadThread, type SentenceHeadJob, type TrainedSentenceHead } from './sentence-head-training.js';
import { isFineTuned, planFineTuning } from './fine-tune-plan.js';

/** How a newly trained head joins the network (sentence-head.ts `mixProbs` says why). */
const SENTENCE_HEAD_MIX: MixRule = 'geometric';

export interface TrainOptions {
  seed: number;
  maxEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /**
   * Restore the best validation epoch at the end (true), or keep the last epoch's weights (false):
   * with a few dozen validation examples the "best" epoch is noise, often an undertrained one.
   */
  keepBestEpoch: boolean;
  labelSmoothing: number;
  /**
   * Learning-rate multiplier for the sparse feature tables: a rare n-gram is seen a few times per
   * epoch, and Adam moves a weight about one learning rate per update.
   */
  sparseLearningRateScale: number;
  /** Weight of the slot-tagging loss relative to the intent loss. */
  slotLossWeight: number;
  /**
   * Train the slot tagger as a linear-chain CRF (slot-crf.ts): path likelihood instead of a
   * per-word softmax, with transition scores learnt beside it and kept for the decoder instead of
   * the counted tag-bigram prior.
   */
  slotCrf: boolean;
  vocabSize: number;
  /**
   * Time budget in seconds from the start of training (tokenizer and sentence head included): the
   * schedule is fitted to it after the first epoch, and an epoch that would end past it (judged by
   * the one before) is not started.
   */
  maxTrainSeconds: number;
  backbone: Partial<BackboneConfig>;
  heads: Partial<Omit<HeadConfig, 'intentLabels' | 'slotTags' | 'outOfScopeIntent'>>;
  /**
   * Context modes (`backbone.contextMode` concat or memory): the assistant's replies (a
   * definition's response texts) that the made-up histories of training examples draw their
   * assistant turns from (see training-context.ts).
   */
  assistantTexts?: string[];
  /** Intent label of out-of-scope examples in the data, if any. */
  outOfScopeIntent?: string;
  /** A fixed threshold instead of one chosen on validation. */
  oosThreshold?: number;
  slotValues: Record<string, Record<string, string>>;
  /** Extra examples per intent made by slot-value substitution (see augment.ts); 0 = none. */
  augmentPerIntent: number;
  /**
   * Share of words hidden from the encoder in each training step ([MASK] pieces, no word
   * features; labels kept), so that a word is also recognised from its context; 0 = none.
   */
  wordDropout: number;
  /** Start from an imported checkpoint: its backbone weights and shape, and its tokenizer. */
  base?: BaseCheckpoint;
  /**
   * With a base: keep the backbone fixed and train the heads only. The backbone then runs once
   * per example (its outputs are cached), so training costs about one inference pass.
   */
  freezeBackbone: boolean;
  /** With a base and a trainable backbone: its peak learning rate (the heads use `learningRate`). */
  backboneLearningRate: number;
  /**
   * With a base and a trainable backbone: fine-tune only the top n transformer layers (default:
   * all; refused when they would not fit in tensor memory, see fine-tune-plan.ts).
   */
  trainLayers?: number;
  /**
   * Also train an intent head over the pretrained sentence encoder (sentence-head.ts) and mix it
   * in with a weight chosen on validation (0 when it does not help there).
   */
  sentenceEncoder: boolean;
  /**
   * With `sentenceEncoder`: train the head on a thread of its own while the network's epochs run
   * (default), so it costs them no time on a machine with a second core. Without, or when that
   * thread cannot start, it trains here before the epochs and the time budget pays for it.
   */
  sentenceHeadThread: boolean;
  onProgress?: (event: TrainProgress) => void;
}

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = Object.freeze({
  seed: 42,
  maxEpochs: 30,
  batchSize: 32,
  learningRate: 3e-3,
  // 8, not 4: ATIS validation slot F1 went on rising after four flat epochs (2026-11-28: 95.5 at
  // the best of 13 epochs with 4, 97.1 at the best of 30 with 8); the time budget caps the cost.
  patience: 8,
  keepBestEpoch: true,
  labelSmoothing: 0.1,
  slotLossWeight: 2,
  slotCrf: false,
  sparseLearningRateScale: 10,
  vocabSize: 8000,
  maxTrainSeconds: 3600,
  backbone: {},
  heads: {},
  slotValues: {},
  augmentPerIntent: 0,
  wordDropout: 0.1,
  freezeBackbone: false,
  backboneLearningRate: 5e-5,
  sentenceEncoder: false,
  sentenceHeadThread: true,
});

export interface ValidationScores {
  intentAccuracy: number;
  slotF1: number;
  score: number;
}

export type TrainProgress =
  /** Encoding the examples once with a frozen backbone, before the first epoch. */
  | { kind: 'prepare'; done: number; total: number }
  /** Reading the examples with the pretrained sentence encoder and training the head over it. */
  | { kind: 'sentence-head'; stage: 'encode' | 'train'; done: number; total: number; onThread?: boolean }
  | { kind: 'start'; totalSteps: number; stepsPerEpoch: number; trainExamples: number; validationExamples: number; hasSlots: boolean }
  | { kind: 'step'; epoch: number; step: number; loss: number }
  | { kind: 'epoch'; epoch: number; plannedEpochs: number; loss: number; validation: ValidationScores; best: boolean; seconds: number };

export interface TrainReport {
  epochs: number;
  bestEpoch: number;
  trainSeconds: number;
  validation: ValidationScores;
  oosThreshold: number;
  /**
   * With `sentenceEncoder`: the mix weight chosen on validation, the head's own validation
   * accuracy and the mixed one (argmax, no threshold), each ensemble member's kept epoch, the
   * seconds it cost, and `networkAloneAbove`, the network confidence from which the head is
   * skipped (where the weight is above 0).
   */
  sentenceHead?: { weight: number; headAccuracy: number; mixedAccuracy: number; epochs: number[]; seconds: number; onThread: boolean; networkAloneAbove?: number };
  /** Weight of the slot decoder's tag-transition prior, chosen on validation (data with slots). */
  slotTransitionWeight?: number;
  history: { epoch: number; loss: number; validation: ValidationScores }[];
  trainExamples: number;
  validationExamples: number;
  options: Omit<TrainOptions, 'onProgress' | 'slotValues' | 'base' | 'assistantTexts'> & { base?: string };
}

export interface Labeled {
  utterance: EncodedUtterance;
  intent: number;
  wordTags: number[];
}

/** Train a joint intent + slot model. Without validation examples, 10% of train is held out. */
export async function trainNluModel(
  trainExamples: NluExample[],
  validationExamples: NluExample[],
  partialOptions: Partial<TrainOptions> = {},
): Promise<{ model: DuetModel; report: TrainReport }> {
  await initTensorBackend();
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...partialOptions };
  const started = performance.now();
  const rng = createRng(options.seed);
  let train = trainExamples;
  let validation = validationExamples;
  if (validation.length === 0) ({ train, validation } = stratifiedHoldout(trainExamples, 0.1, options.seed));
  // Augmented sentences come from training examples only, after the hold-out: validation stays real.
  train = [...train, ...augmentBySlotSwap(train, options.augmentPerIntent, options.seed)];

  const base = options.base;
  if (!(options.wordDropout >= 0 && options.wordDropout < 1)) throw new ConfigError(`word dropout must be at least 0 and below 1 (got ${options.wordDropout})`);
  if (options.freezeBackbone && !base) throw new ConfigError('freezing the backbone needs a pretrained one: add --base <imported-dir>');
  // An imported checkpoint fixes the backbone (no speaker, turn-distance or memory embeddings) and its own framing tokens.
  if (base && (options.backbone.contextMode ?? 'none') !== 'none') throw new ConfigError('--context cannot be combined with --base yet: train a context mode from scratch');
  if (options.trainLayers !== undefined && (!base || options.freezeBackbone)) throw new ConfigError('--train-layers needs --base <imported-dir> without --freeze-backbone');
  // A context-mode model reads the assistant's replies too: their words get word pieces of their own.
  const readsReplies = (options.backbone.contextMode ?? 'none') !== 'none';
  const tokenizer =
    base?.tokenizer ??
    WordPieceTokenizer.train(
      readsReplies ? [...train.map((e) => e.text), ...(options.assistantTexts ?? [])] : train.map((e) => e.text),
      options.vocabSize,
    );
  const intentLabels = [...new Set(train.map((e) => e.intent))].sort();
  const slotTags = buildTagSet(train.flatMap((e) => e.slots.map((s) => s.slot)));
  const outOfScopeIntent = options.outOfScopeIntent && intentLabels.includes(options.outOfScopeIntent) ? options.outOfScopeIntent : undefined;
  const config: ModelConfig = {
    formatVersion: MODEL_FORMAT_VERSION,
    backbone: base ? base.backbone : resolveBackboneConfig({ tokenNeighbourFeatures: true, ...options.backbone, vocabSize: tokenizer.vocabSize }),
    heads: resolveHeadConfig({ ...options.heads, intentLabels, slotTags, outOfScopeIntent }),
  };
  const idf = computeIdf(
    train.map((e) => e.text),
    config.heads.sentenceFeatureBuckets,
  );
  const contextMode = contextSettings(config.backbone).mode;
  const featureSettings = {
    maxTokens: utteranceTokenLimit(config.backbone),
    tokenFeatureBuckets: config.backbone.tokenFeatureBuckets,
    neighbourFeatures: config.backbone.tokenNeighbourFeatures,
    idf,
    frame: base?.specialTokens,
    wordVectors: config.backbone.wordVectors ? loadWordVectors() : undefined,
  };
  const intentIndex = new Map(intentLabels.map((l, i) => [l, i]));
  const tagIndex = new Map(slotTags.map((t, i) => [t, i]));
  const label = async (e: NluExample): Promise<Labeled> => {
    const utterance = await encodeUtterance(e.text, tokenizer, featureSettings);
    return { utterance, intent: intentIndex.get(e.intent) ?? -1, wordTags: spansToWordTags(utterance.words, e.slots, tagIndex) };
  };
  const trainSet = await Promise.all(train.map(label));
  const validationSet = await Promise.all(validation.map(label));
  // The decoder's tag-bigram prior comes from training tags; its weight is settled on validation
  // after training (epochs are scored with a middling one).
  if (slotTags.length > 1 && !options.slotCrf) config.heads.slotTransitions = { weight: 0.5, counts: countTagTransitions(trainSet.map((l) => l.wordTags), slotTags.length) };
  // A CRF's transitions are learnt with the network; the decoder reads them as they stand after each epoch.
  const crf = slotTags.length > 1 && options.slotCrf ? new SlotTransitionCrf(slotTags) : undefined;
  const readCrf = () => {
    if (crf) config.heads.slotTransitions = { weight: 1, scores: crf.scores() };
  };

  // With a base, the backbone's parameters are created with its weights; only the heads are initialised.
  const params = new ParameterStore(rng, base?.weights);
  const network = new NluNetwork(config, params, rng);
  network.build();
  params.releasePresets();
  const notFromBase = params.withoutPreset().filter((name) => !name.startsWith('heads.'));
  if (base && notFromBase.length > 0) throw new ConfigError(`${base.folder} has no weights for ${notFromBase.join(', ')}: import the checkpoint again`);
  const model = new DuetModel(
    {
      formatVersion: MODEL_FORMAT_VERSION,
      config,
      oosThreshold: 0,
      slotValues: options.slotValues,
      createdAt: new Date().toISOString(),
      ...(base && { pretrained: base.pretrained, specialTokens: base.specialTokens }),
    },
    tokenizer,
    network,
    idf,
    base?.carried,
  );
  if (base && options.freezeBackbone) {
    const all = [...trainSet, ...validationSet].map((l) => l.utterance);
    options.onProgress?.({ kind: 'prepare', done: 0, total: all.length });
    network.frozenHidden = network.backboneOutputs(all, 32, (done) => options.onProgress?.({ kind: 'prepare', done, total: all.length }));
  }
  // Context modes read each example after a made-up history; a separate generator leaves every
  // other draw (initial weights, batch order, dropout) as it is in mode "none".
  const contexts =
    contextMode === 'none'
      ? undefined
      : await TrainingContexts.create(
          model,
          train.map((e) => e.text),
          options.assistantTexts ?? [],
          trainSet.map((l) => l.utterance),
          createRng(options.seed ^ 0x5eed),
        );
  // Parameter groups with their own peak learning rates: a pretrained backbone moves far slower than fresh heads.
  const isHead = (name: string) => !base || name.startsWith('heads.');
  const groups: ParameterGroup[] = [
    { peak: options.learningRate, variables: [...params.variables].filter(([n]) => isHead(n)).map(([, v]) => v).concat(crf ? [crf.variable] : []) },
  ];
  if (base && !options.freezeBackbone) {
    const { nLayers } = config.backbone;
    const sizes = new Map([...params.variables].filter(([n]) => !isHead(n)).map(([n, v]) => [n, v.size]));
    const { layers } = planFineTuning(sizes, nLayers, options.trainLayers ?? nLayers);
    const tuned = [...params.variables].filter(([n]) => !isHead(n) && isFineTuned(n, layers, nLayers)).map(([, v]) => v);
    groups.push({ peak: options.backboneLearningRate, variables: tuned });
  }
  for (const group of groups) group.optimizer = tf.train.adam(group.peak, 0.9, 0.999, 1e-7);

  // The sentence head reads the encoder's vectors, not the network (its mix weight is chosen after
  // the epochs): on its own thread it trains beside them; here, before them, so that its time
  // counts against the budget they are fitted to.
  const headJob: SentenceHeadJob | undefined = options.sentenceEncoder
    ? {
        train: { texts: train.map((e) => e.text), intents: train.map((e) => intentIndex.get(e.intent) ?? -1) },
        validation: { texts: validation.map((e) => e.text), intents: validationSet.map((v) => v.intent) },
        nIntents: intentLabels.length,
        options: { ...DEFAULT_SENTENCE_HEAD_OPTIONS, seed: options.seed },
        // Beside the epochs, the members may use the time they have; here, before them, a quarter
        // of it (the rest is the epochs'). A head trained here after a failed thread gets one member.
        secondsAvailable: (options.maxTrainSeconds - (performance.now() - started) / 1000) / (options.sentenceHeadThread ? 1 : 4),
      }
    : undefined;
  // Started before the epochs begin: they never yield to the event loop, so a thread started
  // after an await would not exist until they end. Its result is awaited after them.
  const headOnThread = headJob && options.sentenceHeadThread ? (await startSentenceHeadThread(headJob)).result : undefined;
  if (headOnThread) options.onProgress?.({ kind: 'sentence-head', stage: 'train', done: 0, total: 1, onThread: true });
  const headBefore = headJob && !headOnThread ? await trainHereOnProgress(headJob, options) : undefined;

  const stepsPerEpoch = Math.ceil(trainSet.length / options.batchSize);
  let plannedEpochs = options.maxEpochs;
  let totalSteps = stepsPerEpoch * plannedEpochs;
  const warmupSteps = Math.min(stepsPerEpoch, Math.ceil(totalSteps * 0.05));
  const adam: AdamSettings = { learningRate: options.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 };
  let dropoutSeed = options.seed * 1000;
  const run = { training: true, seed: () => ++dropoutSeed };
  options.onProgress?.({
    kind: 'start',
    totalSteps,
    stepsPerEpoch,
    trainExamples: trainSet.length,
    validationExamples: validationSet.length,
    hasSlots: slotTags.length > 1,
  });

  // Its own generator, so that every other draw stays as it is without word dropout.
  const maskRng = createRng(options.seed ^ 0x3a5c);
  const history: TrainReport['history'] = [];
  let best: { epoch: number; scores: ValidationScores; snapshot: Snapshot; transitions?: HeadConfig['slotTransitions'] } | undefined;
  let globalStep = 0;
  let epoch = 0;
  for (epoch = 1; epoch <= plannedEpochs; epoch++) {
    const epochStart = performance.now();
    let lossSum = 0;
    const batches = lengthBucketedBatches(trainSet, options.batchSize, rng);
    for (let s = 0; s < batches.length; s++) {
      globalStep++;
      const factor = Math.min(globalStep / warmupSteps, Math.max(0.05, 1 - globalStep / totalSteps));
      // tfjs reads the rate on every apply but declares it protected; the schedule needs to set it.
      for (const group of groups) (group.optimizer as unknown as { learningRate: number }).learningRate = group.peak * factor;
      adam.learningRate = options.learningRate * factor * options.sparseLearningRateScale;
      const read = contexts ? inContext(batches[s], contexts) : batches[s];
      // A frozen backbone's outputs are cached per utterance: nothing to hide from it.
      const items = options.wordDropout > 0 && !network.frozenHidden ? withWordDropout(read, options.wordDropout, maskRng) : read;
      const loss = trainStep(network, items, groups, adam, run, options, config, crf);
      lossSum += loss;
      options.onProgress?.({ kind: 'step', epoch, step: s + 1, loss });
    }
    readCrf();
    const validationScores = scoreValidation(model, validationSet);
    const loss = lossSum / batches.length;
    history.push({ epoch, loss, validation: validationScores });
    // Without validation examples there is nothing to stop on: keep the latest weights.
    const improved = !best || validationSet.length === 0 || validationScores.score > best.scores.score + 1e-9;
    if (improved) best = { epoch, scores: validationScores, snapshot: takeSnapshot(network, groups), transitions: config.heads.slotTransitions };
    const elapsed = (performance.now() - started) / 1000;
    const epochSeconds = (performance.now() - epochStart) / 1000;
    const fitted = fitEpochsToBudget({ epoch, maxEpochs: options.maxEpochs, elapsed, epochSeconds, budget: options.maxTrainSeconds });
    if (fitted !== plannedEpochs) {
      plannedEpochs = fitted;
      totalSteps = stepsPerEpoch * plannedEpochs;
    }
    options.onProgress?.({
      kind: 'epoch',
      epoch,
      plannedEpochs,
      loss,
      validation: validationScores,
      best: improved,
      seconds: (performance.now() - epochStart) / 1000,
    });
    if (best && epoch - best.epoch >= options.patience) break;
    // Epochs slow down when the machine gets busier: one that would end past the budget is not started.
    if (elapsed + epochSeconds > options.maxTrainSeconds) break;
  }
  for (const group of groups) group.optimizer?.dispose();
  if (best && options.keepBestEpoch) {
    restoreSnapshot(network, best.snapshot);
    if (crf) config.heads.slotTransitions = best.transitions;
  }
  crf?.dispose();
  // From here on the backbone runs for real: the saved model must predict what calibration saw.
  network.frozenHidden = undefined;
  network.tokenBag?.releaseOptimizerState();
  network.sentenceBag.releaseOptimizerState();
  model.roundToHalfPrecision();

  let raw = model.predictEncoded(validationSet.map((v) => v.utterance));
  const networkAlone = raw.map((r) => r.probs);
  let sentenceHead: TrainReport['sentenceHead'];
  let headResult: { trained: TrainedSentenceHead; onThread: boolean } | undefined = headBefore;
  if (headJob && headOnThread) {
    // A thread that could not start or failed: the same head, trained here (a real error surfaces).
    headResult = (await headOnThread.then((trained) => ({ trained, onThread: true }), () => undefined)) ?? (await trainHereOnProgress({ ...headJob, secondsAvailable: 0 }, options));
  }
  if (headResult) {
    const trained = attachableSentenceHead(headResult.trained, validationSet.length, intentLabels.length);
    const { weight, accuracy } = chooseMixWeight(
      raw.map((r) => r.probs),
      trained.validationProbs,
      validationSet.map((v) => v.intent),
      SENTENCE_HEAD_MIX,
    );
    model.attachSentenceHead(trained.encoder, trained.head, weight, SENTENCE_HEAD_MIX);
    // What the saved model computes for these utterances (the sentence encoder runs on their text).
    raw = raw.map((r, i) => ({ ...r, probs: mixProbs(r.probs, trained.validationProbs[i], weight, SENTENCE_HEAD_MIX) }));
    sentenceHead = { weight, headAccuracy: trained.validationAccuracy, mixedAccuracy: accuracy, epochs: trained.epochs, seconds: headResult.trained.seconds, onThread: headResult.onThread };
  }
  const transitions = config.heads.slotTransitions;
  if (transitions) transitions.weight = chooseTransitionWeight(raw, validationSet, slotTags, transitions);
  model.metadata.oosThreshold =
    options.oosThreshold ??
    (outOfScopeIntent
      ? chooseOosThreshold(
          raw.map((r) => r.probs),
          validationSet.map((v) => v.intent),
          intentIndex.get(outOfScopeIntent) ?? -1,
        )
      : 0);
  if (sentenceHead && model.metadata.sentenceHead && sentenceHead.weight > 0) {
    // Chosen after the threshold: a message the mix would reject must not be decided without it.
    const networkAloneAbove = chooseNetworkAloneAbove(networkAlone, raw.map((r) => r.probs), model.metadata.oosThreshold);
    if (networkAloneAbove !== undefined) {
      model.metadata.sentenceHead.networkAloneAbove = networkAloneAbove;
      sentenceHead.networkAloneAbove = networkAloneAbove;
    }
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const { onProgress: _onProgress, slotValues: _slotValues, base: _base, assistantTexts: _assistantTexts, ...rest } = options;
  const reportedOptions = { ...rest, ...(base && { base: base.folder }) };
  const report: TrainReport = {
    epochs: Math.min(epoch, plannedEpochs),
    bestEpoch: best?.epoch ?? 0,
    trainSeconds,
    // Scored again as saved: half-precision weights and the chosen transition weight.
    validation: validationSet.length > 0 ? scoreValidation(model, validationSet, raw) : { intentAccuracy: 0, slotF1: 0, score: 0 },
    oosThreshold: model.metadata.oosThreshold,
    ...(transitions && { slotTransitionWeight: transitions.weight }),
    ...(sentenceHead && { sentenceHead }),
    history,
    trainExamples: trainSet.length,
    validationExamples: validationSet.length,
    options: reportedOptions,
  };
  model.metadata.training = { ...report, history: undefined };
  return { model, report };
}

/** Copies of the items with each word of the current turn hidden with probability `rate`. */
export function withWordDropout(items: Labeled[], rate: number, rng: () => number): Labeled[] {
  return items.map((item) => {
    const u = item.utterance;
    const starts = u.firstTokenOfWord;
    let ids: Int32Array | undefined;
    let features: EncodedUtterance['tokenFeatures'] | undefined;
    let rows: Int32Array | undefined;
    starts.forEach((first, w) => {
      if (rng() >= rate) return;
      ids ??= Int32Array.from(u.ids);
      features ??= [...u.tokenFeatures];
      // A word's pieces run to the next word; the last word's pieces share its features object.
      let end = w + 1 < starts.length ? starts[w + 1] : first + 1;
      if (w + 1 === starts.length && u.tokenFeatures[first] !== undefined) {
        while (end < u.ids.length && u.tokenFeatures[end] === u.tokenFeatures[first]) end++;
      }
      if (u.wordVectorRows) rows ??= Int32Array.from(u.wordVectorRows);
      for (let t = first; t < end; t++) {
        ids[t] = MASK_ID;
        features[t] = undefined;
        if (rows) rows[t] = -1;
      }
    });
    return ids ? { ...item, utterance: { ...u, ids, tokenFeatures: features ?? u.tokenFeatures, ...(rows && { wordVectorRows: rows }) } } : item;
  });
}

/** A batch read in context (context modes): same labels, the current turn at the same positions. */
function inContext(items: Labeled[], contexts: TrainingContexts): Labeled[] {
  const read = contexts.prepare(items.map((i) => i.utterance));
  return items.map((item, i) => ({ ...item, utterance: read[i] }));
}

/** Batches of similar length (less padding), in shuffled order. */
function lengthBucketedBatches(items: Labeled[], batchSize: number, rng: () => number): Labeled[][] {
  const shuffled = shuffle([...items], rng);
  const chunk = batchSize * 50;
  const batches: Labeled[][] = [];
  for (let start = 0; start < shuffled.length; start += chunk) {
    const sorted = shuffled.slice(start, start + chunk).sort((a, b) => a.utterance.ids.length - b.utterance.ids.length);
    for (let i = 0; i < sorted.length; i += batchSize) batches.push(sorted.slice(i, i + batchSize));
  }
  return shuffle(batches, rng);
}

/** Variables trained with one optimizer and peak learning rate. */
interface ParameterGroup {
  peak: number;
  variables: tf.Variable[];
  optimizer?: tf.AdamOptimizer;
}

function trainStep(
  network: NluNetwork,
  items: Labeled[],
  groups: ParameterGroup[],
  adam: AdamSettings,
  run: { training: boolean; seed: () => number },
  { labelSmoothing, slotLossWeight }: TrainOptions,
  config: ModelConfig,
  crf: SlotTransitionCrf | undefined,
): number {
  const nIntents = config.heads.intentLabels.length;
  const nTags = config.heads.slotTags.length;
  const batch = network.makeBatch(items.map((i) => i.utterance));
  const B = items.length;
  const T = batch.ids.shape[1];
  // Slot targets live on each word's first piece; other positions carry weight 0 (JointBERT).
  const tagTargets = new Int32Array(B * T);
  const tagWeights = new Float32Array(B * T);
  items.forEach((item, b) => {
    item.utterance.firstTokenOfWord.forEach((t, w) => {
      tagTargets[b * T + t] = item.wordTags[w];
      tagWeights[b * T + t] = 1;
    });
  });
  const sentenceVar = tf.variable(batch.sentenceSparse, true);
  const tokenVar = batch.tokenSparse ? tf.variable(batch.tokenSparse, true) : undefined;
  const inputs: NluBatch = { ...batch, sentenceSparse: sentenceVar as unknown as tf.Tensor2D, tokenSparse: tokenVar as unknown as tf.Tensor3D | undefined };
  const intentTargets = tf.oneHot(tf.tensor1d(items.map((i) => i.intent), 'int32'), nIntents);
  // With no slots in the data ('O' only) there is nothing to tag and no slot loss.
  const tagOneHot = nTags > 1 ? tf.oneHot(tf.tensor2d(tagTargets, [B, T], 'int32'), nTags) : tf.zeros([B, T, 1]); // [B, T, S]
  const tagWeightT = tf.tensor2d(tagWeights, [B, T]);
  const wordCount = Math.max(1, tagWeights.reduce((a, b) => a + b, 0));
  const trainable = groups.flatMap((g) => g.variables);
  const { value, grads } = tf.variableGrads(() => {
    const out = network.forward(inputs, run);
    const ce = (logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(intentTargets, logits, undefined, labelSmoothing) as tf.Scalar;
    const intentLoss = ce(out.intentLogits).add(ce(out.denseIntentLogits).mul(0.5)).add(ce(out.sparseIntentLogits).mul(0.5));
    if (nTags === 1) return intentLoss as tf.Scalar;
    if (crf) {
      const pathNll = crf.negativeLogLikelihood(out.slotLogits, items.map((i) => i.utterance.firstTokenOfWord), items.map((i) => i.wordTags));
      return intentLoss.add(pathNll.div(wordCount).mul(slotLossWeight)) as tf.Scalar;
    }
    const slotNll = tf.neg(tf.sum(tf.logSoftmax(out.slotLogits).mul(tagOneHot), -1)); // [B, T]
    const slotLoss = slotNll.mul(tagWeightT).sum().div(wordCount);
    return intentLoss.add(slotLoss.mul(slotLossWeight)) as tf.Scalar;
  }, [...trainable, sentenceVar, ...(tokenVar ? [tokenVar] : [])]);
  for (const group of groups) group.optimizer?.applyGradients(group.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  const sentenceGrad = grads[sentenceVar.name].dataSync() as Float32Array;
  network.sentenceBag.backward(
    items.map((i) => i.utterance.sentence),
    sentenceGrad,
    adam,
  );
  if (tokenVar && network.tokenBag) {
    const tokenGrad = grads[tokenVar.name].dataSync() as Float32Array;
    const rows = items.flatMap((i) => Array.from({ length: T }, (_, t) => i.utterance.tokenFeatures[t]));
    network.tokenBag.backward(rows, tokenGrad, adam);
  }
  const loss = value.dataSync()[0];
  const contextTensors = [batch.speakers, batch.distances, batch.poolMask, batch.memory, batch.memoryGiven].filter((t) => t !== undefined);
  tf.dispose([value, ...Object.values(grads), sentenceVar, tokenVar ?? [], intentTargets, tagOneHot, tagWeightT, batch.ids, batch.segments ?? [], batch.padMask, batch.sentenceSparse, batch.tokenSparse ?? [], batch.tokenVectors ?? [], batch.hidden ?? [], ...contextTensors]);
  return loss;
}

/** Train the sentence head on this thread, reporting its progress. */
async function trainHereOnProgress(job: SentenceHeadJob, options: TrainOptions): Promise<{ trained: TrainedSentenceHead; onThread: false }> {
  const trained = await encodeAndTrainSentenceHead(sharedSentenceEncoder(), job, (stage, done, total) =>
    options.onProgress?.({ kind: 'sentence-head', stage, done, total }),
  );
  return { trained, onThread: false };
}

/**
 * The trained head as the model keeps it (weights rounded to half precision, as they are saved),
 * the shared encoder that reads messages for it, and its probabilities on the validation vectors.
 */
function attachableSentenceHead(
  trained: TrainedSentenceHead,
  nValidation: number,
  nIntents: number,
): { encoder: SentenceEncoder; head: SentenceHead; validationProbs: Float32Array[]; validationAccuracy: number; epochs: number[] } {
  for (const w of Object.values(trained.weights)) roundToHalfInPlace(w);
  const head = new SentenceHead(trained.weights, trained.hidden);
  const probs = tf.tidy(() => head.probs(tf.tensor2d(trained.validationVectors, [nValidation, SENTENCE_VECTOR_SIZE])).dataSync() as Float32Array);
  const validationProbs = Array.from({ length: nValidation }, (_, i) => probs.slice(i * nIntents, (i + 1) * nIntents));
  return { encoder: sharedSentenceEncoder(), head, validationProbs, validationAccuracy: trained.validationAccuracy, epochs: trained.epochs };
}

/** Intent accuracy and word-span slot F1 on validation (argmax, no threshold). */
function scoreValidation(model: DuetModel, items: Labeled[], raw: RawPrediction[] = model.predictEncoded(items.map((i) => i.utterance))): ValidationScores {
  let correct = 0;
  raw.forEach((r, i) => {
    let arg = 0;
    for (let j = 1; j < r.probs.length; j++) if (r.probs[j] > r.probs[arg]) arg = j;
    if (arg === items[i].intent) correct++;
  });
  const intentAccuracy = items.length ? correct / items.length : 0;
  const { slotTags, slotTransitions } = model.config.heads;
  const slotF1 = wordSpanF1(raw, items, slotTags, slotTransitions);
  const hasSlots = slotTags.length > 1;
  return { intentAccuracy, slotF1, score: hasSlots ? (intentAccuracy + slotF1) / 2 : intentAccuracy };
}

/** Slot F1 over word-index spans of raw predictions decoded with `prior`. */
function wordSpanF1(raw: RawPrediction[], items: Labeled[], tags: string[], prior: TagTransitionPrior | undefined): number {
  // Spans in word indices: the metrics' exact-span matching works on any consistent offsets.
  const toSpans = (tagIds: number[]): SlotSpan[] =>
    tagsToSpans(tagIds.map((t) => tags[t])).map((s) => ({ slot: s.slot, start: s.firstWord, end: s.lastWord }));
  let matched = 0;
  let predicted = 0;
  let gold = 0;
  raw.forEach((r, i) => {
    const p = toSpans(decodeBio(r.wordTagLogProbs, tags, prior));
    const g = toSpans(items[i].wordTags);
    matched += countSlotMatches(g, p);
    predicted += p.length;
    gold += g.length;
  });
  // No span to find and none predicted is a perfect score here, not conlleval's 0: it must not
  // drag down the early-stopping score of data whose validation split happens to have no slots.
  return predicted + gold > 0 ? precisionRecallF1(matched, predicted, gold).f1 : 1;
}

/** Weights of the tag-transition prior tried on validation (0 = the tagger alone). */
const TRANSITION_WEIGHTS = [0, 0.25, 0.5, 0.75, 1, 1.5];

/** The transition-prior weight with the best validation slot F1 (the smallest among ties). */
function chooseTransitionWeight(raw: RawPrediction[], items: Labeled[], tags: string[], prior: TagTransitionPrior): number {
  let best = { weight: 0, f1: -1 };
  for (const weight of TRANSITION_WEIGHTS) {
    const f1 = wordSpanF1(raw, items, tags, { ...prior, weight });
    if (f1 > best.f1 + 1e-9) best = { weight, f1 };
  }
  return best.weight;
}

interface Snapshot {
  dense: Map<string, Float32Array>;
  token?: Float32Array;
  sentence: Float32Array;
}

/** The trained weights (a frozen backbone does not change, so it is not copied). */
function takeSnapshot(network: NluNetwork, groups: ParameterGroup[]): Snapshot {
  const trained = new Set(groups.flatMap((g) => g.variables));
  const dense = new Map<string, Float32Array>();
  for (const [name, v] of network.params.variables) if (trained.has(v)) dense.set(name, Float32Array.from(v.dataSync() as Float32Array));
  return { dense, token: network.tokenBag?.table.slice(), sentence: network.sentenceBag.table.slice() };
}

function restoreSnapshot(network: NluNetwork, snapshot: Snapshot): void {
  for (const [name, v] of network.params.variables) {
    const values = snapshot.dense.get(name);
    if (values) tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
  if (snapshot.token && network.tokenBag) network.tokenBag.table.set(snapshot.token);
  network.sentenceBag.table.set(snapshot.sentence);
}

/**
 * The number of epochs to plan after `epoch` ended, so that the learning rate has decayed when
 * the time budget runs out: what the time left buys at the pace of the epoch just ended, never
 * more than `maxEpochs`. Fitted after every epoch, not only the first: the first carries one-off
 * costs (kernel set-up, the first validation pass; on ATIS 28 s against 25 s after), and the first
 * few run beside the sentence head's thread (CLINC150: 77–95 s against 78–83 s after it ended);
 * judged by them alone, a long run planned two or three epochs fewer than the budget held.
 */
export function fitEpochsToBudget(at: { epoch: number; maxEpochs: number; elapsed: number; epochSeconds: number; budget: number }): number {
  return Math.min(at.maxEpochs, Math.max(at.epoch, at.epoch + Math.floor((at.budget - at.elapsed) / at.epochSeconds)));
}
