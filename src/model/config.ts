/** Typed configuration of a Duet model: the shared backbone and the task heads on top of it. */
import type { TagTransitionPrior } from './bio.js';
import { ConfigError } from '../errors.js';
import { WORD_VECTORS_SOURCE } from './word-vectors.js';

/** The BERT-style encoder shared by every head. */
export interface BackboneConfig {
  vocabSize: number;
  maxPositions: number;
  /** Segment (token-type) vocabulary: 0 = current user turn; later context modes add more. */
  segmentVocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  dFF: number;
  /** Pre-LN (GPT-2 style, stabler when trained from scratch) or post-LN (original BERT). */
  norm: 'pre' | 'post';
  dropout: number;
  /** Hashed character n-gram features added to each token embedding (DIET-style sparse features). */
  tokenFeatureBuckets: number;
  /**
   * The token features also name the two words before and the two after the token's word: a small
   * encoder trained from scratch confused "from montreal to las vegas" (which city is which) until
   * each word said what stood next to it. Absent (models from before it): the word alone.
   */
  tokenNeighbourFeatures?: boolean;
  /**
   * Frozen pretrained word vectors added (through a learned projection) to each token's embedding:
   * "glove-6b-100d" (word-vectors.ts). Absent: none, as in every model before them.
   */
  wordVectors?: string;
  // The optional fields below describe imported checkpoints (src/import/). Models trained before
  // they existed have none of them, and the defaults are exactly what those models were built with.
  /** MLP non-linearity: GELU's tanh approximation (default; GPT-2's "gelu_new") or the exact erf form (BERT's "gelu"). */
  activation?: GeluKind;
  /** Epsilon of every layer norm (default 1e-12, BERT's; GPT-2 uses 1e-5). */
  layerNormEps?: number;
  /** Layer norm right after the embeddings (default: with post-LN only, as in BERT). */
  embeddingNorm?: boolean;
  /** Segment (token-type) embeddings (default true; GPT-2 has none). */
  segmentEmbeddings?: boolean;
  /** Left-to-right attention: each token sees itself and the tokens before it (default false; GPT-2). */
  causal?: boolean;
  /**
   * How the model reads the conversation (default "none": the current user turn alone). See
   * docs/context-modes.md: "concat" reads earlier turns after the current one, each token with a
   * speaker and a turn-distance embedding; "memory" prepends `memoryTokens` memory vectors carried
   * from the previous turn (the outputs at those positions become the next turn's memory).
   */
  contextMode?: ContextMode;
  /** Turn distances with their own embedding (concat and memory modes); farther turns share the last row. Default 16. */
  maxTurnDistance?: number;
  /** Memory vectors per turn in memory mode. Default 4. */
  memoryTokens?: number;
}

export type ContextMode = 'none' | 'concat' | 'memory';
export const CONTEXT_MODES: readonly ContextMode[] = ['none', 'concat', 'memory'];

/** Speakers a context-mode token can have (the speaker embedding's rows). */
export const SPEAKER_USER = 0;
export const SPEAKER_ASSISTANT = 1;
export const SPEAKER_COUNT = 2;

export type GeluKind = 'gelu_tanh' | 'gelu_erf';

/** Heads for joint intent classification and slot tagging. */
export interface HeadConfig {
  intentLabels: string[];
  /** BIO tag set, `O` first. */
  slotTags: string[];
  /** Intent label that means out-of-scope, when the training data has one. */
  outOfScopeIntent?: string;
  /** Hashed word and character n-gram buckets of the sentence-level sparse intent path. */
  sentenceFeatureBuckets: number;
  /** Width of the sparse sentence embedding. */
  sentenceFeatureDim: number;
  /** Tag bigram prior of the slot decoder (see bio.ts); absent in models trained before it. */
  slotTransitions?: TagTransitionPrior;
}

export interface ModelConfig {
  formatVersion: number;
  backbone: BackboneConfig;
  heads: HeadConfig;
}

/** Bumped whenever the saved layout changes; loading another version is refused with a clear error. */
export const MODEL_FORMAT_VERSION = 1;

export const DEFAULT_BACKBONE: Readonly<BackboneConfig> = Object.freeze({
  vocabSize: 8000,
  maxPositions: 64,
  segmentVocabSize: 2,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  dFF: 256,
  norm: 'pre',
  dropout: 0.1,
  tokenFeatureBuckets: 16384,
});

export const DEFAULT_HEADS: Readonly<Omit<HeadConfig, 'intentLabels' | 'slotTags'>> = Object.freeze({
  sentenceFeatureBuckets: 65536,
  sentenceFeatureDim: 192,
});

/** Fill defaults and check the invariants a model relies on. */
export function resolveBackboneConfig(partial: Partial<BackboneConfig>): BackboneConfig {
  const config = { ...DEFAULT_BACKBONE, ...partial };
  const positive: (keyof BackboneConfig)[] = ['vocabSize', 'maxPositions', 'segmentVocabSize', 'dModel', 'nLayers', 'nHeads', 'dFF'];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ConfigError(`backbone.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (config.dModel % config.nHeads !== 0) {
    throw new ConfigError(`backbone.dModel (${config.dModel}) must be divisible by backbone.nHeads (${config.nHeads})`);
  }
  if (config.norm !== 'pre' && config.norm !== 'post') {
    throw new ConfigError(`backbone.norm must be "pre" or "post", got ${String(config.norm)}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) {
    throw new ConfigError(`backbone.dropout must be in [0, 1), got ${config.dropout}`);
  }
  if (!Number.isInteger(config.tokenFeatureBuckets) || config.tokenFeatureBuckets < 0) {
    throw new ConfigError(`backbone.tokenFeatureBuckets must be a non-negative integer`);
  }
  if (config.activation !== undefined && config.activation !== 'gelu_tanh' && config.activation !== 'gelu_erf') {
    throw new ConfigError(`backbone.activation must be "gelu_tanh" or "gelu_erf", got ${String(config.activation)}`);
  }
  if (config.layerNormEps !== undefined && !(config.layerNormEps > 0 && config.layerNormEps < 1)) {
    throw new ConfigError(`backbone.layerNormEps must be in (0, 1), got ${String(config.layerNormEps)}`);
  }
  for (const key of ['embeddingNorm', 'segmentEmbeddings', 'causal'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'boolean') throw new ConfigError(`backbone.${key} must be true or false`);
  }
  if (config.wordVectors !== undefined && config.wordVectors !== WORD_VECTORS_SOURCE) {
    throw new ConfigError(`backbone.wordVectors must be "${WORD_VECTORS_SOURCE}" or absent, got ${String(config.wordVectors)}`);
  }
  if (config.contextMode !== undefined && !CONTEXT_MODES.includes(config.contextMode)) {
    throw new ConfigError(`backbone.contextMode must be one of ${CONTEXT_MODES.join(', ')}, got ${String(config.contextMode)}`);
  }
  for (const key of ['maxTurnDistance', 'memoryTokens'] as const) {
    const value = config[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new ConfigError(`backbone.${key} must be a positive integer, got ${String(value)}`);
  }
  return config;
}

/** The context-mode fields with their defaults filled in. */
export function contextSettings(config: BackboneConfig): { mode: ContextMode; maxTurnDistance: number; memoryTokens: number } {
  const mode = config.contextMode ?? 'none';
  return { mode, maxTurnDistance: config.maxTurnDistance ?? 16, memoryTokens: mode === 'memory' ? (config.memoryTokens ?? 4) : 0 };
}

/** The optional backbone fields with their defaults filled in. */
export function backboneVariant(config: BackboneConfig): Required<Pick<BackboneConfig, 'activation' | 'layerNormEps' | 'embeddingNorm' | 'segmentEmbeddings' | 'causal'>> {
  return {
    activation: config.activation ?? 'gelu_tanh',
    layerNormEps: config.layerNormEps ?? 1e-12,
    embeddingNorm: config.embeddingNorm ?? config.norm === 'post',
    segmentEmbeddings: config.segmentEmbeddings ?? true,
    causal: config.causal ?? false,
  };
}

/** Fill head defaults and check labels. */
export function resolveHeadConfig(partial: Partial<HeadConfig> & Pick<HeadConfig, 'intentLabels' | 'slotTags'>): HeadConfig {
  const config = { ...DEFAULT_HEADS, ...partial };
  if (config.intentLabels.length < 2) throw new ConfigError('a model needs at least two intents to classify');
  if (config.slotTags[0] !== 'O') throw new ConfigError('slotTags must start with "O"');
  if (config.outOfScopeIntent !== undefined && !config.intentLabels.includes(config.outOfScopeIntent)) {
    throw new ConfigError(`outOfScopeIntent "${config.outOfScopeIntent}" is not one of the intent labels`);
  }
  return config;
}
