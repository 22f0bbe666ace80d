/**
 * The ONNX engine: a Duet model folder's backbone and pretrained heads exported to an ONNX graph
 * in memory (export-backbone.ts) and run by onnxruntime-node on the CPU. Same inputs and outputs
 * as the tfjs `PretrainedModel` (within float rounding); several times faster for BERT-base-sized
 * models. onnxruntime-node is loaded on first use, so the rest of Duet runs without it.
 */
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { EngineUnavailableError, ModelInputError } from '../../errors.js';
import { WordPieceTokenizer } from '../../tokenizer/wordpiece.js';
import { createRng } from '../../util/random.js';
import { backboneVariant, resolveBackboneConfig, type BackboneConfig } from '../config.js';
import { readModelFolder, TOKENIZER_FILE, type SpecialTokenIds, type StoredMetadata } from '../model-folder.js';
import type { PretrainedHeadsConfig } from '../pretrained-heads.js';
import type { NamedTensor } from '../safetensors.js';
import { checkPickOptions, checkSegmentIds, checkTokenIds, encodeFramed, pickToken, specialTokensOf, type PickOptions } from '../sequence-input.js';
import { exportBackboneGraph, ONNX_NAMES, type BackboneGraphOptions } from './export-backbone.js';

export type OrtModule = typeof Ort;

/** Load onnxruntime-node, or say how to install it. `importer` exists for tests. */
export async function loadOnnxRuntime(importer: () => Promise<unknown> = () => import('onnxruntime-node')): Promise<OrtModule> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (error) {
    throw new EngineUnavailableError(
      `the onnx engine needs the onnxruntime-node package, which could not be loaded (${(error as Error).message}): ` +
        'install it with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`, or use --engine tfjs',
      { cause: error },
    );
  }
  const ort = ((mod as { default?: OrtModule }).default ?? mod) as OrtModule;
  if (typeof ort?.InferenceSession?.create !== 'function') {
    throw new EngineUnavailableError('the installed onnxruntime-node has no InferenceSession: reinstall it, or use --engine tfjs');
  }
  return ort;
}

export interface OnnxBackboneOptions {
  /** Threads onnxruntime uses inside one operator (default: 1; 0 = one per core). */
  threads?: number;
  /** The graph to build at load time: `runBackbone`'s (default), `run`'s (with the logits), or none. Others are built on first use. */
  warm?: 'backbone' | 'inspect' | 'none';
  /** For tests: how onnxruntime-node is imported. */
  importer?: () => Promise<unknown>;
}

/** Output of `runBackbone`: row-major float32 arrays. */
export interface BackboneOutput {
  /** [tokens × width] */
  lastHiddenState: Float32Array;
  /** [width]: BERT's pooler output, when the model has a pooler. */
  pooled?: Float32Array;
}

/** Same shape as the tfjs engine's `InspectOutput` (pretrained-model.ts). */
export interface OnnxInspectOutput {
  last_hidden_state: number[][];
  pooled?: number[];
  logits?: number[][];
}

export interface OnnxGenerateOptions extends PickOptions {
  maxNewTokens: number;
  seed?: number;
  stopAtEndOfText?: boolean;
  /** Stop when one of these is generated; it is left out of the output. */
  stopIds?: readonly number[];
}

export class OnnxBackbone {
  private readonly sessions = new Map<string, Promise<Ort.InferenceSession>>();

  private constructor(
    readonly folder: string,
    readonly metadata: StoredMetadata,
    readonly config: BackboneConfig,
    readonly heads: PretrainedHeadsConfig | undefined,
    readonly tokenizer: WordPieceTokenizer,
    private readonly tensors: Record<string, NamedTensor>,
    private readonly ort: OrtModule,
    private readonly threads: number,
  ) {}

  /** Read a Duet model folder (imported or trained) and build its ONNX session. */
  static async load(dir: string, options: OnnxBackboneOptions = {}): Promise<OnnxBackbone> {
    const ort = await loadOnnxRuntime(options.importer);
    const { folder, metadata, tensors } = readModelFolder(dir);
    const config = resolveBackboneConfig(metadata.config.backbone);
    const tokenizer = WordPieceTokenizer.load(join(folder, TOKENIZER_FILE));
    const model = new OnnxBackbone(folder, metadata, config, metadata.pretrained?.heads, tokenizer, tensors, ort, options.threads ?? 1);
    if (options.warm !== 'none') await model.session(options.warm === 'inspect' ? model.inspectGraph() : model.backboneGraph());
    return model;
  }

  /** Framing and padding tokens: the imported tokenizer's, or Duet's own. */
  get specialTokens(): SpecialTokenIds {
    return specialTokensOf(this.metadata.specialTokens);
  }

  /** Whether training added hashed word features to the token embeddings (ids alone cannot supply them). */
  get usesWordFeatures(): boolean {
    return this.config.tokenFeatureBuckets > 0;
  }

  /** Token ids of a text framed as the model reads an utterance ([CLS] … [SEP] for BERT). */
  encodeText(text: string): Promise<number[]> {
    return encodeFramed(this.tokenizer, this.specialTokens, text);
  }

  /** The graph `runBackbone` uses: hidden states, and the pooled output when there is a pooler. */
  backboneGraph(): BackboneGraphOptions {
    return { pooled: Boolean(this.heads?.pooler) };
  }

  /** The graph `run` uses: everything `duet inspect` prints. */
  inspectGraph(): BackboneGraphOptions {
    return { ...this.backboneGraph(), logits: this.heads?.maskedLm || this.heads?.causalLm ? 'all' : 'none' };
  }

  /** The backbone (and pooler) on one sequence: what an NLU head on top pays for. */
  async runBackbone(ids: number[], segments?: number[]): Promise<BackboneOutput> {
    const outputs = await this.runGraph(this.backboneGraph(), ids, segments);
    const result: BackboneOutput = { lastHiddenState: outputs[ONNX_NAMES.hidden].data as Float32Array };
    if (outputs[ONNX_NAMES.pooled]) result.pooled = outputs[ONNX_NAMES.pooled].data as Float32Array;
    return result;
  }

  /** Backbone and pretrained heads on one sequence, as `duet inspect` prints them. */
  async run(ids: number[], segments?: number[]): Promise<OnnxInspectOutput> {
    const outputs = await this.runGraph(this.inspectGraph(), ids, segments);
    const out: OnnxInspectOutput = { last_hidden_state: rows(outputs[ONNX_NAMES.hidden]) };
    if (outputs[ONNX_NAMES.pooled]) out.pooled = Array.from(outputs[ONNX_NAMES.pooled].data as Float32Array);
    if (outputs[ONNX_NAMES.logits]) out.logits = rows(outputs[ONNX_NAMES.logits]);
    return out;
  }

  /** Continue `prompt` with the language-model head, carrying keys and values between steps (GPT-2). */
  async generateIds(prompt: number[], options: OnnxGenerateOptions): Promise<number[]> {
    if (!this.heads?.causalLm || !backboneVariant(this.config).causal) {
      throw new ModelInputError(`${this.folder} has no language-model head: generation needs an imported GPT-2 (duet import <gpt2-folder>)`);
    }
    if (prompt.length === 0) throw new ModelInputError('generation needs at least one prompt token');
    checkTokenIds(this.config, prompt);
    checkPickOptions(options);
    const stopIds = new Set(options.stopIds ?? []);
    const seen = new Set(prompt);
    const session = await this.session({ cache: true, logits: 'last' });
    const { nLayers, nHeads, dModel } = this.config;
    const D = dModel / nHeads;
    const rng = createRng(options.seed ?? 0);
    const empty = new this.ort.Tensor('float32', new Float32Array(0), [1, nHeads, 0, D]);
    const past: Record<string, Ort.Tensor> = {};
    for (let layer = 0; layer < nLayers; layer++) {
      past[ONNX_NAMES.pastKey(layer)] = empty;
      past[ONNX_NAMES.pastValue(layer)] = empty;
    }
    const out: number[] = [];
    let length = 0;
    let step = prompt;
    while (out.length < options.maxNewTokens && length + step.length <= this.config.maxPositions) {
      const T = step.length;
      const feeds = {
        ...past,
        [ONNX_NAMES.ids]: new this.ort.Tensor('int64', BigInt64Array.from(step, BigInt), [1, T]),
        [ONNX_NAMES.mask]: new this.ort.Tensor('int64', new BigInt64Array(length + T).fill(1n), [1, length + T]),
      };
      const outputs = await session.run(feeds);
      for (let layer = 0; layer < nLayers; layer++) {
        past[ONNX_NAMES.pastKey(layer)] = outputs[ONNX_NAMES.presentKey(layer)];
        past[ONNX_NAMES.pastValue(layer)] = outputs[ONNX_NAMES.presentValue(layer)];
      }
      length += T;
      const next = pickToken(outputs[ONNX_NAMES.logits].data as Float32Array, options, rng, seen);
      if (stopIds.has(next)) break;
      out.push(next);
      if (next === this.specialTokens.endOfText && options.stopAtEndOfText !== false) break;
      seen.add(next);
      step = [next];
    }
    return out;
  }

  /** Continue a text prompt; returns the continuation's ids and text. */
  async generate(prompt: string, options: OnnxGenerateOptions): Promise<{ ids: number[]; text: string }> {
    const { ids } = await this.tokenizer.encode(prompt);
    const generated = await this.generateIds(ids.length > 0 ? ids : [this.specialTokens.start], options);
    return { ids: generated, text: await this.tokenizer.decode(generated) };
  }

  /** Release every onnxruntime session. */
  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) await (await session).release();
  }

  /** The session of one graph variant, exported and created on first use. */
  private session(graph: BackboneGraphOptions): Promise<Ort.InferenceSession> {
    const key = JSON.stringify([graph.pooled ?? false, graph.logits ?? 'none', graph.cache ?? false]);
    let session = this.sessions.get(key);
    if (!session) {
      const bytes = exportBackboneGraph(this.config, this.heads, this.tensors, graph);
      session = this.ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
      });
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  private async runGraph(graph: BackboneGraphOptions, ids: number[], segments?: number[]): Promise<Ort.InferenceSession.OnnxValueMapType> {
    checkTokenIds(this.config, ids);
    const types = checkSegmentIds(this.config, ids, segments);
    const session = await this.session(graph);
    const T = ids.length;
    const feeds: Record<string, Ort.Tensor> = {
      [ONNX_NAMES.ids]: new this.ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, T]),
      [ONNX_NAMES.mask]: new this.ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
    };
    if (backboneVariant(this.config).segmentEmbeddings) feeds[ONNX_NAMES.segments] = new this.ort.Tensor('int64', BigInt64Array.from(types, BigInt), [1, T]);
    return session.run(feeds);
  }
}

/** [1, T, N] tensor → T rows of N numbers. */
function rows(tensor: Ort.Tensor): number[][] {
  const data = tensor.data as Float32Array;
  const [, T, N] = tensor.dims;
  return Array.from({ length: T }, (_, t) => Array.from(data.subarray(t * N, (t + 1) * N)));
}

/** Load a model folder for the onnx engine (see `OnnxBackbone.load`). */
export function loadOnnxBackbone(dir: string, options?: OnnxBackboneOptions): Promise<OnnxBackbone> {
  return OnnxBackbone.load(dir, options);
}
