/** `duet train <definition.yml|dataset> --out <dir>` */
import type { TrainOptions, TrainReport } from '../train/train-nlu.js';
import { trainNluModel } from '../train/train-nlu.js';
import { loadTrainingData, type TrainingData } from '../nlu/training-data.js';
import type { DuetModel } from '../model/duet-model.js';
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
  quiet?: boolean;
}

/** Map CLI flags onto trainer options. */
export function trainOptionsFromFlags(flags: TrainCommandOptions, data: TrainingData): Partial<TrainOptions> {
  const backbone: TrainOptions['backbone'] = {};
  if (flags.layers !== undefined) backbone.nLayers = flags.layers;
  if (flags.width !== undefined) {
    backbone.dModel = flags.width;
    backbone.dFF = flags.width * 2;
  }
  if (flags.heads !== undefined) backbone.nHeads = flags.heads;
  if (flags.norm !== undefined) backbone.norm = flags.norm;
  if (flags.tokenBuckets !== undefined) backbone.tokenFeatureBuckets = flags.tokenBuckets;
  const heads: TrainOptions['heads'] = {};
  if (flags.sentenceBuckets !== undefined) heads.sentenceFeatureBuckets = flags.sentenceBuckets;
  // Assistant definitions are small (hundreds of examples): their validation split is a few dozen
  // examples, too noisy to stop on, so they train a fixed schedule and keep the final weights.
  const smallData = data.train.length < 3000;
  return {
    seed: flags.seed,
    ...(smallData && { maxEpochs: 40, patience: Number.POSITIVE_INFINITY, batchSize: 16, keepBestEpoch: false }),
    ...(flags.epochs !== undefined && { maxEpochs: flags.epochs }),
    ...(flags.patience !== undefined && { patience: flags.patience }),
    ...(flags.batchSize !== undefined && { batchSize: flags.batchSize }),
    ...(flags.learningRate !== undefined && { learningRate: flags.learningRate }),
    ...(flags.oosThreshold !== undefined && { oosThreshold: flags.oosThreshold }),
    ...(flags.vocabSize !== undefined && { vocabSize: flags.vocabSize }),
    ...(flags.augment !== undefined && { augmentPerIntent: flags.augment }),
    backbone,
    heads,
    outOfScopeIntent: data.outOfScopeIntent,
    slotValues: data.slotValues,
  };
}

/** Train on a dataset or definition and save the model folder; returns the trained model. */
export async function trainToFolder(
  target: string | string[],
  flags: TrainCommandOptions,
): Promise<{ model: DuetModel; report: TrainReport; data: TrainingData }> {
  const data = await loadTrainingData(target);
  for (const warning of data.definition?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  const progress = flags.quiet ? undefined : trainingProgressBar(`train ${data.source}`);
  let result: { model: DuetModel; report: TrainReport };
  try {
    result = await trainNluModel(data.train, data.validation, { ...trainOptionsFromFlags(flags, data), onProgress: progress?.onProgress });
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
    history: report.history,
  };
  const extraFiles: Record<string, string> = { 'metrics.json': JSON.stringify(metrics, null, 2) };
  // The runtime answers with the definition's responses, so the model folder carries it.
  if (data.definition) extraFiles['assistant.json'] = JSON.stringify(data.definition, null, 2);
  result.model.save(flags.out, extraFiles);
  return { ...result, data };
}
