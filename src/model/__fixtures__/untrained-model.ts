/**
 * An untrained Duet model with seeded random weights, for tests of inference plumbing and
 * checkpoints that need no training; its weights are rounded to half precision first, so a saved
 * copy predicts exactly like it.
 */
import { WordPieceTokenizer } from '../../tokenizer/wordpiece.js';
import { createRng } from '../../util/random.js';
import { buildTagSet } from '../bio.js';
import { MODEL_FORMAT_VERSION, resolveBackboneConfig, resolveHeadConfig, type BackboneConfig, type ModelConfig } from '../config.js';
import { DuetModel } from '../duet-model.js';
import { NluNetwork } from '../nlu-network.js';
import { ParameterStore } from '../params.js';
import { computeIdf } from '../sparse-features.js';

export interface UntrainedModelSpec {
  texts: string[];
  intents: string[];
  slots: string[];
  outOfScopeIntent?: string;
  seed: number;
  backbone?: Partial<BackboneConfig>;
}

export function buildUntrainedModel({ texts, intents, slots, outOfScopeIntent, seed, backbone }: UntrainedModelSpec): DuetModel {
  const tokenizer = WordPieceTokenizer.train(texts, 120);
  const config: ModelConfig = {
    formatVersion: MODEL_FORMAT_VERSION,
    backbone: resolveBackboneConfig({ vocabSize: tokenizer.vocabSize, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxPositions: 16, tokenFeatureBuckets: 256, ...backbone }),
    heads: resolveHeadConfig({ intentLabels: intents, slotTags: buildTagSet(slots), outOfScopeIntent, sentenceFeatureBuckets: 512, sentenceFeatureDim: 8 }),
  };
  const rng = createRng(seed);
  const network = new NluNetwork(config, new ParameterStore(rng), rng);
  network.build();
  const model = new DuetModel(
    { formatVersion: MODEL_FORMAT_VERSION, config, oosThreshold: 0, slotValues: {}, createdAt: '2026-01-01T00:00:00.000Z' },
    tokenizer,
    network,
    computeIdf(texts, config.heads.sentenceFeatureBuckets),
  );
  model.roundToHalfPrecision();
  return model;
}
