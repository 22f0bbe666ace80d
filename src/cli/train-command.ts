/** `duet train <definition.yml|dataset> --out <dir>` */
import { WORD_VECTORS_SOURCE } from '../model/word-vectors.js';
import { engineFromEnvironment } from '../model/onnx/engine-choice.js';
import type { TrainOptions, TrainReport } from '../train/train-nlu.js';
import { trainNluModel } from '../train/train-nlu.js';
import { loadTrainingData, type TrainingData } from '../nlu/training-data.js';
import type { DuetModel } from '../model/duet-model.js';
import type { ContextMode } from '../model/config.js';
import type { AssistantDefinition } from '../data/types.js';
import { fillPersona } from '../data/definition/persona.js';
import { ConfigError } from '../errors.js';
import { planFineTuning } from '../train/fine-tune-plan.js';
import { trainingProgressBar } from './progress.js';

export interface TrainCommandOptions {
  out: string;
  seed: number;
  epochs?: number;
  patience?: number;
  batchSize?: number;
  learningRate?: number;
  layers?: number;
  width?: number;
  heads?: number;
  norm?: 'pre' | 'post';
  oosThreshold?: number;
  vocabSize?: number;
  tokenBuckets?: number;
  sentenceBuckets?: number;
  augment?: number;
  wordDropout?: number;
  /** Train the slot tagger as a linear-chain CRF (slot-crf.ts). */
  slotCrf?: boolean;
  base?: string;
  freezeBackbone?: boolean;
  backboneLearningRate?: number;
  trainLayers?: number;
  /** Mix in an intent head over the pretrained sentence encoder (weight chosen on validation); on unless false. */
  sentenceEncoder?: boolean;
  /** How the model reads the conversation (default none: the message alone). */
  context?: ContextMode;
  /** Add the GloVe word vectors to the backbone's input (word-vectors.ts); on unless false (an imported checkpoint fixes its own input). */
  wordVectors?: boolean;
  quiet?: boolean;
}

/** Flags that set the backbone's shape or tokenizer, which an imported checkpoint fixes. */
const SHAPE_FLAGS: [keyof TrainCommandOptions, string][] = [
  ['layers', '--layers'],
  ['width', '--width'],
  ['heads', '--heads'],
  ['norm', '--norm'],
  ['vocabSize', '--vocab-size'],
  ['tokenBuckets', '--token-buckets'],
];

/** Map CLI flags onto trainer options. */
export function trainOptionsFromFlags(flags: TrainCommandOptions, data: TrainingData): Partial<TrainOptions> {
  if (flags.base) {
    const clash = SHAPE_FLAGS.find(([key]) => flags[key] !== undefined);
    if (clash) throw new ConfigError(`${clash[1]} cannot be combined with --base: the imported checkpoint fixes the backbone's shape and tokenizer`);
  } else if (flags.freezeBackbone || flags.backboneLearningRate !== undefined || flags.trainLayers !== undefined) {
    const flag = flags.freezeBackbone ? '--freeze-backbone' : flags.trainLayers !== undefined ? '--train-layers' : '--backbone-learning-rate';
    throw new ConfigError(`${flag} needs --base <imported-dir>`);
  }
  if (flags.freezeBackbone && flags.trainLayers !== undefined) throw new ConfigError('--train-layers and --freeze-backbone exclude each other');
  const contextMode = flags.context ?? 'none';
  if (flags.base && contextMode !== 'none') throw new ConfigError('--context cannot be combined with --base yet: train a context mode from scratch');
  const backbone: TrainOptions['backbone'] = {};
  if (flags.layers !== undefined) backbone.nLayers = flags.layers;
  if (flags.width !== undefined) {
    backbone.dModel = flags.width;
    backbone.dFF = flags.width * 2;
  }
  if (flags.heads !== undefined) backbone.nHeads = flags.heads;
  if (flags.norm !== undefined) backbone.norm = flags.norm;
  if (flags.tokenBuckets !== undefined) backbone.tokenFeatureBuckets = flags.tokenBuckets;
  // On unless --no-word-vectors: SNIPS test slot F1 went from 92.0 to 93.1 with them, the others level (docs/benchmarks.md).
  if (flags.wordVectors !== false && !flags.base) backbone.wordVectors = WORD_VECTORS_SOURCE;
  // Mode "none" is recorded by its absence, so its config stays what models without the option have.
  if (contextMode !== 'none') backbone.contextMode = contextMode;
  const heads: TrainOptions['heads'] = {};
  if (flags.sentenceBuckets !== undefined) heads.sentenceFeatureBuckets = flags.sentenceBuckets;
  // Assistant definitions are small (hundreds of examples): their validation split is a few dozen
  // examples, too noisy to stop on, so they train a fixed schedule and keep the final weights.
  const smallData = data.train.length < 3000;
  // Fine-tuning a whole pretrained encoder takes a few epochs (and each costs minutes on a CPU).
  const fineTuning = Boolean(flags.base) && !flags.freezeBackbone;
  return {
    seed: flags.seed,
    ...(smallData && { maxEpochs: 40, patience: Number.POSITIVE_INFINITY, batchSize: 16, keepBestEpoch: false }),
    ...(fineTuning && { maxEpochs: 5 }),
    ...(flags.freezeBackbone && { freezeBackbone: true }),
    ...(flags.backboneLearningRate !== undefined && { backboneLearningRate: flags.backboneLearningRate }),
    ...(flags.trainLayers !== undefined && { trainLayers: flags.trainLayers }),
    ...(flags.epochs !== undefined && { maxEpochs: flags.epochs }),
    ...(flags.patience !== undefined && { patience: flags.patience }),
    ...(flags.batchSize !== undefined && { batchSize: flags.batchSize }),
    ...(flags.learningRate !== undefined && { learningRate: flags.learningRate }),
    ...(flags.oosThreshold !== undefined && { oosThreshold: flags.oosThreshold }),
    ...(flags.vocabSize !== undefined && { vocabSize: flags.vocabSize }),
    ...(flags.augment !== undefined && { augmentPerIntent: flags.augment }),
    ...(flags.wordDropout !== undefined && { wordDropout: flags.wordDropout }),
    ...(flags.slotCrf && { slotCrf: true }),
    // On unless --no-sentence-encoder: the encoder costs ~2 ms a message on onnxruntime, and the
    // head gained 0.5–3 points of intent accuracy on four of the five benchmarks (none on SNIPS,
    // where validation gives it weight 0 and the encoder never runs; docs/benchmarks.md).
    sentenceEncoder: flags.sentenceEncoder !== false,
    ...(contextMode !== 'none' && data.definition && { assistantTexts: responseTexts(data.definition) }),
    backbone,
    heads,
    outOfScopeIntent: data.outOfScopeIntent,
    slotValues: data.slotValues,
  };
}

/**
 * A definition's response texts as the assistant says them: the persona's name filled in, slot
 * placeholders reduced to their slot names ("Added {item}" → "Added item").
 */
function responseTexts(definition: AssistantDefinition): string[] {
  return Object.values(definition.responses).flatMap((texts) => texts.map((t) => fillPersona(t, definition.persona).replace(/\{(\w+)\}/g, '$1')));
}

/** Train on a dataset or definition and save the model folder; returns the trained model. */
export async function trainToFolder(
  target: string | string[],
  flags: TrainCommandOptions,
): Promise<{ model: DuetModel; report: TrainReport; data: TrainingData }> {
  const data = await loadTrainingData(target);
  for (const warning of data.definition?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  const options = trainOptionsFromFlags(flags, data);
  if (flags.base) {
    const { loadBaseCheckpoint } = await import('../model/pretrained-model.js');
    const base = loadBaseCheckpoint(flags.base);
    options.base = base;
    if (!flags.freezeBackbone) {
      const sizes = new Map([...base.weights].map(([name, values]) => [name, values.length]));
      const plan = planFineTuning(sizes, base.backbone.nLayers, flags.trainLayers);
      if (plan.limited && flags.trainLayers === undefined) {
        process.stderr.write(
          `note: fine-tuning the top ${plan.layers} of ${base.backbone.nLayers} layers; all of them would not fit in tensor memory (choose with --train-layers, or --freeze-backbone)\n`,
        );
      }
      options.trainLayers = plan.layers;
    }
  }
  const progress = flags.quiet ? undefined : trainingProgressBar(`train ${data.source}`);
  let result: { model: DuetModel; report: TrainReport };
  try {
    result = await trainNluModel(data.train, data.validation, { ...options, onProgress: progress?.onProgress });
  } finally {
    progress?.stop();
  }
  const { report } = result;
  const metrics = {
    source: data.source,
    trainSeconds: report.trainSeconds,
    epochs: report.epochs,
    bestEpoch: report.bestEpoch,
    validation: report.validation,
    oosThreshold: report.oosThreshold,
    ...(report.slotTransitionWeight !== undefined && { slotTransitionWeight: report.slotTransitionWeight }),
    history: report.history,
  };
  const extraFiles: Record<string, string> = { 'metrics.json': JSON.stringify(metrics, null, 2) };
  // The runtime answers with the definition's responses, so the model folder carries it.
  if (data.definition) extraFiles['assistant.json'] = JSON.stringify(data.definition, null, 2);
  result.model.save(flags.out, extraFiles);
  // Its weights are final: from here it answers as the saved model loads (onnxruntime by default).
  result.model.useEngine(engineFromEnvironment());
  return { ...result, data };
}
