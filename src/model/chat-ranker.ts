/**
 * Duet's small-talk response ranker: a dual encoder whose two small towers sit on the frozen
 * pretrained sentence encoder (sentence-encoder.ts, USE-lite). The context tower reads the
 * sentence vectors of the last three turns side by side; the response tower reads the reply's.
 * Each tower is a one-hidden-layer perceptron added to a skip path (the latest turn's vector for
 * the context, the reply's own for the response), and its output is scaled to unit length, so a
 * dot product is the cosine the towers were trained on (src/train/train-chat-ranker.ts).
 *
 * Why a head on a frozen encoder rather than the `duet pretrain` backbone: the encoder was
 * trained by Google on far more conversational text than a CPU here can pretrain on, and the
 * raw cosine of its vectors already matches BM25 on DailyDialog; the towers learn what a reply
 * to a context looks like, which a similarity of meaning alone does not know (docs/pretraining.md).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';
import { ModelLoadError } from '../errors.js';
import { writeFileAtomically } from '../train/pretrain-checkpoint.js';
import { engineFromEnvironment, startOnnx } from './onnx/engine-choice.js';
import { OnnxIndexScorer, type VectorTable } from './onnx/index-scorer.js';
import { REQUEST_GATE_WEIGHT_NAMES, requestProbability, type RequestGateConfig, type RequestGateWeights } from './request-gate.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { SENTENCE_ENCODER_NAME, SENTENCE_VECTOR_SIZE, sharedSentenceEncoder, type SentenceEncoder } from './sentence-encoder.js';

/** What a ranker folder's config.json says it is. */
export const CHAT_RANKER_KIND = 'duet-chat-ranker';

export const CHAT_RANKER_FILES = { config: 'config.json', weights: 'ranker.safetensors', card: 'MODEL_CARD.md' } as const;

export interface ChatRankerConfig {
  kind: typeof CHAT_RANKER_KIND;
  /** The frozen sentence encoder the towers read (SENTENCE_ENCODER_NAME). */
  encoder: string;
  /** Turns of context the context tower reads, latest first. */
  contextTurns: number;
  hidden: number;
  /** Least score of a retrieved reply, chosen on validation (`chooseMinScore`); `--chat-min-score` overrides it. */
  minScore?: number;
  /** The request gate saved beside the towers (src/model/request-gate.ts), when there is one. */
  requestGate?: RequestGateConfig;
  /** How it was trained and how it did on validation (written by `duet train-ranker`). */
  training?: Record<string, unknown>;
}

/** The towers' weights, by the names they are saved under. */
export const CHAT_RANKER_WEIGHT_NAMES = ['context.w1', 'context.b1', 'context.w2', 'context.b2', 'response.w1', 'response.b1', 'response.w2', 'response.b2'] as const;
export type ChatRankerWeightName = (typeof CHAT_RANKER_WEIGHT_NAMES)[number];
export type ChatRankerWeights = Record<ChatRankerWeightName, NamedTensor>;

/** Shapes of the towers' weights for a config. */
export function chatRankerShapes(contextTurns: number, hidden: number): Record<ChatRankerWeightName, number[]> {
  const D = SENTENCE_VECTOR_SIZE;
  return {
    'context.w1': [contextTurns * D, hidden],
    'context.b1': [hidden],
    'context.w2': [hidden, D],
    'context.b2': [D],
    'response.w1': [D, hidden],
    'response.b1': [hidden],
    'response.w2': [hidden, D],
    'response.b2': [D],
  };
}

/** The towers as tensors (variables while training, constants when loaded). */
export type ChatRankerTensors = Record<ChatRankerWeightName, tf.Tensor>;

/** Unit rows. */
function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return x.div(tf.sqrt(x.square().sum(1, true).add(1e-12)));
}

/**
 * The context tower on sentence vectors [B, turns × 512] (latest turn first, zeros for turns a
 * short conversation lacks); `dropout` is applied to the input and the hidden layer (training only).
 */
export function contextTower(w: ChatRankerTensors, x: tf.Tensor2D, dropout = 0, seed = 0): tf.Tensor2D {
  const latest = x.slice([0, 0], [-1, SENTENCE_VECTOR_SIZE]);
  return unitRows(tower(x, w['context.w1'], w['context.b1'], w['context.w2'], w['context.b2'], dropout, seed).add(latest));
}

/** The response tower on sentence vectors [B, 512]. */
export function responseTower(w: ChatRankerTensors, x: tf.Tensor2D, dropout = 0, seed = 0): tf.Tensor2D {
  return unitRows(tower(x, w['response.w1'], w['response.b1'], w['response.w2'], w['response.b2'], dropout, seed).add(x));
}

function tower(x: tf.Tensor2D, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, dropout: number, seed: number): tf.Tensor2D {
  const drop = (t: tf.Tensor2D, k: number) => (dropout > 0 ? (tf.dropout(t, dropout, undefined, seed * 2 + k) as tf.Tensor2D) : t);
  const hidden = tf.relu(drop(x, 0).matMul(w1 as tf.Tensor2D).add(b1)) as tf.Tensor2D;
  return drop(hidden, 1).matMul(w2 as tf.Tensor2D).add(b2);
}

/** Sentence vectors of a context's last `turns` turns, latest first, as one row of `out` at `offset`. */
export function contextRow(turnVectors: readonly Float32Array[], turns: number, out: Float32Array, offset: number): void {
  for (let k = 0; k < turns && k < turnVectors.length; k++) out.set(turnVectors[turnVectors.length - 1 - k], offset + k * SENTENCE_VECTOR_SIZE);
}

/** A trained ranker: encodes contexts and responses to unit vectors (the `TextEncoder` the chatter reads). */
export class ChatRanker {
  private readonly tensors: ChatRankerTensors;
  /**
   * Sentence vectors of recent context turns: in a conversation each turn is read again as context
   * on the next two turns, so only the new message goes through the encoder.
   */
  private readonly turnVectors = new LRUCache<string, Float32Array>({ max: 1024 });

  constructor(
    readonly config: ChatRankerConfig,
    weights: ChatRankerWeights,
    private readonly encoder: Pick<SentenceEncoder, 'embedTexts'> = sharedSentenceEncoder(),
    private readonly gate?: RequestGateWeights,
  ) {
    this.tensors = Object.fromEntries(CHAT_RANKER_WEIGHT_NAMES.map((name) => [name, tf.tensor(weights[name].data, weights[name].shape)])) as ChatRankerTensors;
  }

  /** The ranker saved in `dir`, or a ModelLoadError naming the file that is missing or damaged. */
  static load(dir: string, encoder?: Pick<SentenceEncoder, 'embedTexts'>): ChatRanker {
    const { config, weights, gate } = readChatRanker(dir);
    return new ChatRanker(config, weights, encoder, gate);
  }

  /** Whether this ranker has a request gate (`isRequest` says no to everything without one). */
  get hasRequestGate(): boolean {
    return this.gate !== undefined && this.config.requestGate !== undefined;
  }

  /**
   * Whether `text` reads as a request (to be declined) rather than small talk. Its sentence vector
   * is cached, so ranking the same message as the latest turn next does not encode it again.
   */
  async isRequest(text: string): Promise<boolean> {
    if (!this.gate || !this.config.requestGate) return false;
    const [vector] = await this.sentenceVectors([text]);
    return requestProbability(this.gate, vector) >= this.config.requestGate.threshold;
  }

  /** Unit vectors of contexts (earlier turns, oldest first; the last `contextTurns` are read). */
  async encodeContexts(contexts: string[][]): Promise<Float32Array[]> {
    const turns = this.config.contextTurns;
    const wanted = [...new Set(contexts.flatMap((c) => c.slice(-turns)))];
    const found = await this.sentenceVectors(wanted);
    const vectors = new Map(wanted.map((text, i) => [text, found[i]]));
    const rows = new Float32Array(contexts.length * turns * SENTENCE_VECTOR_SIZE);
    contexts.forEach((c, i) => contextRow(c.slice(-turns).map((t) => vectors.get(t) as Float32Array), turns, rows, i * turns * SENTENCE_VECTOR_SIZE));
    return this.run(rows, contexts.length, (x) => contextTower(this.tensors, x), turns * SENTENCE_VECTOR_SIZE);
  }

  /** Sentence vectors of distinct `texts`, from the cache where it has them. */
  private async sentenceVectors(texts: string[]): Promise<Float32Array[]> {
    const missing = texts.filter((t) => !this.turnVectors.has(t));
    const fresh = new Map<string, Float32Array>();
    (await this.encoder.embedTexts(missing)).forEach((v, i) => {
      fresh.set(missing[i], v);
      this.turnVectors.set(missing[i], v);
    });
    return texts.map((t) => fresh.get(t) ?? (this.turnVectors.get(t) as Float32Array));
  }

  /** Unit vectors of responses, in order. */
  async encodeResponses(texts: string[]): Promise<Float32Array[]> {
    return this.responsesFromVectors(await this.encoder.embedTexts(texts));
  }

  /** Response vectors of sentence vectors already computed (an index built from cached vectors). */
  responsesFromVectors(sentenceVectors: readonly Float32Array[]): Float32Array[] {
    const rows = new Float32Array(sentenceVectors.length * SENTENCE_VECTOR_SIZE);
    sentenceVectors.forEach((v, i) => rows.set(v, i * SENTENCE_VECTOR_SIZE));
    return this.run(rows, sentenceVectors.length, (x) => responseTower(this.tensors, x), SENTENCE_VECTOR_SIZE);
  }

  /**
   * Scores an index by onnxruntime (onnx/index-scorer.ts) on the engine `DUET_ENGINE` names; null
   * (the chatter's own loop) under tfjs, or where onnxruntime does not load.
   */
  async indexScorer(index: VectorTable): Promise<OnnxIndexScorer | null> {
    if (index.vectors.length === 0) return null;
    return startOnnx(engineFromEnvironment(), () => OnnxIndexScorer.create(index));
  }

  dispose(): void {
    tf.dispose(Object.values(this.tensors));
  }

  private run(rows: Float32Array, n: number, towerOf: (x: tf.Tensor2D) => tf.Tensor2D, width: number): Float32Array[] {
    if (n === 0) return [];
    const out = tf.tidy(() => towerOf(tf.tensor2d(rows, [n, width])));
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return Array.from({ length: n }, (_, i) => data.slice(i * SENTENCE_VECTOR_SIZE, (i + 1) * SENTENCE_VECTOR_SIZE));
  }
}

/** Whether `dir` holds a chat ranker (its config says so). */
export function isChatRankerFolder(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, CHAT_RANKER_FILES.config), 'utf8')) as { kind?: string }).kind === CHAT_RANKER_KIND;
  } catch {
    return false;
  }
}

/**
 * Write a ranker folder: config, half-precision weights (with the request gate's, when given) and
 * model card, each file whole or not at all.
 */
export function saveChatRanker(dir: string, config: ChatRankerConfig, weights: ChatRankerWeights, card: string, gate?: RequestGateWeights): void {
  if ((gate === undefined) !== (config.requestGate === undefined)) throw new Error('saveChatRanker: a request gate needs both its weights and its config');
  mkdirSync(dir, { recursive: true });
  const gateTensors: Record<string, NamedTensor> = gate
    ? {
        'request.w1': { shape: [SENTENCE_VECTOR_SIZE, gate.b1.length], data: gate.w1 },
        'request.b1': { shape: [gate.b1.length], data: gate.b1 },
        'request.w2': { shape: [gate.w2.length], data: gate.w2 },
        'request.b2': { shape: [1], data: new Float32Array([gate.b2]) },
      }
    : {};
  writeFileAtomically(join(dir, CHAT_RANKER_FILES.weights), encodeSafetensors({ ...weights, ...gateTensors }, 'F16', { kind: CHAT_RANKER_KIND }));
  writeFileAtomically(join(dir, CHAT_RANKER_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
  writeFileAtomically(join(dir, CHAT_RANKER_FILES.card), card);
}

/** Read and check a ranker folder. */
export function readChatRanker(dir: string): { config: ChatRankerConfig; weights: ChatRankerWeights; gate?: RequestGateWeights } {
  const configFile = join(dir, CHAT_RANKER_FILES.config);
  const weightsFile = join(dir, CHAT_RANKER_FILES.weights);
  for (const file of [configFile, weightsFile]) {
    if (!existsSync(file)) throw new ModelLoadError(`${file} is missing: train a chat ranker with \`duet train-ranker --out ${dir}\`.`);
  }
  let config: ChatRankerConfig;
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8')) as ChatRankerConfig;
  } catch (error) {
    throw new ModelLoadError(`${configFile} is not valid JSON (${(error as Error).message}).`);
  }
  if (config?.kind !== CHAT_RANKER_KIND) throw new ModelLoadError(`${configFile} does not describe a chat ranker (kind should be "${CHAT_RANKER_KIND}").`);
  if (config.encoder !== SENTENCE_ENCODER_NAME) throw new ModelLoadError(`${configFile}: the ranker reads the sentence encoder "${String(config.encoder)}"; this version of Duet has only "${SENTENCE_ENCODER_NAME}".`);
  if (!Number.isInteger(config.contextTurns) || config.contextTurns < 1 || !Number.isInteger(config.hidden) || config.hidden < 1) {
    throw new ModelLoadError(`${configFile}: contextTurns and hidden must be positive integers.`);
  }
  let tensors: Record<string, NamedTensor>;
  try {
    tensors = decodeSafetensors(readFileSync(weightsFile)).tensors;
  } catch (error) {
    throw new ModelLoadError(`${weightsFile} is damaged (${(error as Error).message}); retrain the ranker or restore the file.`);
  }
  const shapes = chatRankerShapes(config.contextTurns, config.hidden);
  for (const name of CHAT_RANKER_WEIGHT_NAMES) {
    const tensor = tensors[name];
    if (!tensor) throw new ModelLoadError(`${weightsFile} has no tensor ${name}.`);
    if (tensor.shape.join(',') !== shapes[name].join(',')) throw new ModelLoadError(`${weightsFile}: ${name} has shape [${tensor.shape}], the config needs [${shapes[name]}].`);
  }
  const weights = Object.fromEntries(CHAT_RANKER_WEIGHT_NAMES.map((n) => [n, tensors[n]])) as ChatRankerWeights;
  if (config.requestGate === undefined) return { config, weights };
  if (!(typeof config.requestGate.threshold === 'number' && config.requestGate.threshold > 0 && config.requestGate.threshold < 1)) {
    throw new ModelLoadError(`${configFile}: requestGate.threshold must be a number between 0 and 1.`);
  }
  const hidden = config.requestGate.hidden;
  if (!Number.isInteger(hidden) || hidden < 1) throw new ModelLoadError(`${configFile}: requestGate.hidden must be a positive integer.`);
  const gateShapes: Record<(typeof REQUEST_GATE_WEIGHT_NAMES)[number], number[]> = {
    'request.w1': [SENTENCE_VECTOR_SIZE, hidden],
    'request.b1': [hidden],
    'request.w2': [hidden],
    'request.b2': [1],
  };
  for (const name of REQUEST_GATE_WEIGHT_NAMES) {
    const tensor = tensors[name];
    if (!tensor) throw new ModelLoadError(`${weightsFile} has no tensor ${name}, which the request gate in ${configFile} needs.`);
    if (tensor.shape.join(',') !== gateShapes[name].join(',')) throw new ModelLoadError(`${weightsFile}: ${name} has shape [${tensor.shape}], the request gate needs [${gateShapes[name]}].`);
  }
  return { config, weights, gate: { w1: tensors['request.w1'].data, b1: tensors['request.b1'].data, w2: tensors['request.w2'].data, b2: tensors['request.b2'].data[0] } };
}
