/**
 * A model folder seen as a backbone plus whatever pretrained heads it carries: how `duet inspect`
 * looks inside any model, how `duet generate` continues text with an imported GPT-2, and how
 * `duet train --base` starts from an imported checkpoint.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelInputError, ModelLoadError } from '../errors.js';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { createRng } from '../util/random.js';
import { initTensorBackend } from './backend.js';
import { Backbone, KvCache } from './backbone.js';
import { backboneVariant, resolveBackboneConfig, type BackboneConfig } from './config.js';
import { readModelFolder, TOKENIZER_FILE, type PretrainedInfo, type SpecialTokenIds, type StoredMetadata } from './model-folder.js';
import { ParameterStore } from './params.js';
import { PRETRAINED_PREFIX, PretrainedHeads } from './pretrained-heads.js';
import type { NamedTensor } from './safetensors.js';
import { checkPickOptions, checkSegmentIds, checkTokenIds, encodeFramed, pickToken, specialTokensOf, type PickOptions } from './sequence-input.js';

/** What `duet inspect` prints: the backbone's output and the pretrained heads' outputs. */
export interface InspectOutput {
  /** [tokens][width] */
  last_hidden_state: number[][];
  /** [width]: BERT's pooler output, when the model has a pooler. */
  pooled?: number[];
  /** [tokens][vocab]: masked-LM logits (BERT) or next-token logits (GPT-2), when the model has that head. */
  logits?: number[][];
}

export interface GenerateOptions extends PickOptions {
  /** New tokens at most (generation also stops at end-of-text, at a stop id and at the position limit). */
  maxNewTokens: number;
  seed?: number;
  /** Stop at the end-of-text token, which ends the output (default true; benchmarks turn it off to time a fixed length). */
  stopAtEndOfText?: boolean;
  /** Stop when one of these is generated; it is left out of the output. */
  stopIds?: readonly number[];
  /** Tokens the repetition penalty leaves alone: structure such as the [SEP] that ends every turn. */
  unpenalized?: readonly number[];
}

export class PretrainedModel {
  constructor(
    readonly folder: string,
    readonly metadata: StoredMetadata,
    readonly config: BackboneConfig,
    readonly params: ParameterStore,
    readonly backbone: Backbone,
    readonly heads: PretrainedHeads | undefined,
    readonly tokenizer: WordPieceTokenizer,
  ) {}

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

  /** Run the backbone and the pretrained heads on one sequence of token ids. */
  run(ids: number[], segments?: number[]): InspectOutput {
    this.checkIds(ids);
    const types = checkSegmentIds(this.config, ids, segments);
    const T = ids.length;
    const heads = this.heads;
    const outputs = tf.tidy(() => {
      const hidden = this.backbone.encode(
        {
          ids: tf.tensor2d(ids, [1, T], 'int32'),
          segments: tf.tensor2d(types, [1, T], 'int32'),
          padMask: tf.ones([1, T]) as tf.Tensor2D,
        },
        { training: false, seed: () => 0 },
      ); // [1, T, C]
      const result: Record<string, tf.Tensor> = { hidden };
      if (heads?.config.pooler) result.pooled = heads.pooled(hidden); // [1, C]
      if (heads?.config.maskedLm) result.logits = heads.maskedLmLogits(hidden); // [1, T, V]
      else if (heads?.config.causalLm) result.logits = heads.nextTokenLogits(hidden); // [1, T, V]
      return result;
    });
    const out: InspectOutput = { last_hidden_state: (outputs.hidden.arraySync() as number[][][])[0] };
    if (outputs.pooled) out.pooled = (outputs.pooled.arraySync() as number[][])[0];
    if (outputs.logits) out.logits = (outputs.logits.arraySync() as number[][][])[0];
    tf.dispose(Object.values(outputs));
    return out;
  }

  /** The backbone's output alone [T × C], row-major: what an NLU head on top pays for. */
  hiddenStates(ids: number[]): Float32Array {
    this.checkIds(ids);
    const T = ids.length;
    const hidden = tf.tidy(() =>
      this.backbone.encode(
        { ids: tf.tensor2d(ids, [1, T], 'int32'), segments: tf.zeros([1, T], 'int32') as tf.Tensor2D, padMask: tf.ones([1, T]) as tf.Tensor2D },
        { training: false, seed: () => 0 },
      ),
    );
    const values = hidden.dataSync() as Float32Array;
    hidden.dispose();
    return values;
  }

  /** Continue `prompt` token by token with the language-model head, reusing keys and values (KV cache). */
  generateIds(prompt: number[], options: GenerateOptions): number[] {
    return [...this.generateTokens(prompt, options)];
  }

  /**
   * `generateIds` one token at a time, as each is picked: a caller that streams the reply reads
   * them as they come. Stopping the iteration early frees the cache.
   */
  *generateTokens(prompt: number[], options: GenerateOptions): Generator<number, void, undefined> {
    if (!this.heads?.config.causalLm) {
      throw new ModelInputError(`${this.folder} has no language-model head: generation needs an imported GPT-2 (duet import <gpt2-folder>) or a pretrained Duet backbone (duet pretrain)`);
    }
    if (prompt.length === 0) throw new ModelInputError('generation needs at least one prompt token');
    this.checkIds(prompt);
    checkPickOptions(options);
    const heads = this.heads;
    const rng = createRng(options.seed ?? 0);
    const cache = new KvCache();
    const causal = backboneVariant(this.config).causal;
    const stopIds = new Set(options.stopIds ?? []);
    // What the repetition penalty counts as already said: the prompt and the output so far.
    const unpenalized = new Set(options.unpenalized ?? []);
    const seen = new Set(prompt.filter((id) => !unpenalized.has(id)));
    let produced = 0;
    try {
      let step = prompt;
      while (produced < options.maxNewTokens && cache.length + step.length <= this.config.maxPositions) {
        const T = step.length;
        const input = step;
        const logitsT = tf.tidy(() => {
          const hidden = this.backbone.encode(
            {
              ids: tf.tensor2d(input, [1, T], 'int32'),
              segments: tf.zeros([1, T], 'int32') as tf.Tensor2D,
              padMask: tf.ones([1, cache.length + T]) as tf.Tensor2D,
              // A bidirectional backbone whose language-model head was trained under a causal mask
              // (duet pretrain) reads the prompt the same way: no token sees the ones after it.
              attentionMask: causal ? undefined : (tf.linalg.bandPart(tf.ones([T, cache.length + T]), -1, cache.length) as tf.Tensor2D),
              cache,
            },
            { training: false, seed: () => 0 },
          ); // [1, T, C]
          const last = hidden.slice([0, T - 1, 0], [1, 1, this.config.dModel]) as tf.Tensor3D;
          return heads.nextTokenLogits(last).reshape([-1]); // [V]
        });
        const logits = logitsT.dataSync() as Float32Array;
        logitsT.dispose();
        const next = pickToken(logits, options, rng, seen);
        if (stopIds.has(next)) break;
        produced++;
        yield next;
        if (next === this.specialTokens.endOfText && options.stopAtEndOfText !== false) break;
        if (!unpenalized.has(next)) seen.add(next);
        step = [next];
      }
    } finally {
      cache.dispose();
    }
  }

  /** Continue a text prompt; returns the continuation's ids and text. */
  async generate(prompt: string, options: GenerateOptions): Promise<{ ids: number[]; text: string }> {
    const { ids } = await this.tokenizer.encode(prompt);
    const promptIds = ids.length > 0 ? ids : [this.specialTokens.start];
    const generated = this.generateIds(promptIds, options);
    return { ids: generated, text: await this.tokenizer.decode(generated) };
  }

  /**
   * Natural-log probabilities the language-model head gives `ids[t]` after `ids[0..t)`, for every
   * t from `from` (≥ 1) on: one causal pass when the sequence fits the model's positions, else
   * windows of maxPositions tokens that each score the next half window, so every scored token
   * sees at least half a window of what precedes it.
   */
  tokenLogProbs(ids: number[], from: number): number[] {
    if (!this.heads?.config.causalLm) {
      throw new ModelInputError(`${this.folder} has no language-model head: scoring text needs an imported GPT-2 (duet import <gpt2-folder>) or a pretrained Duet backbone (duet pretrain)`);
    }
    if (!Number.isInteger(from) || from < 1 || from > ids.length) throw new ModelInputError(`tokens are scored after at least one token of context: from must be in 1..${ids.length}, got ${from}`);
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.config.vocabSize);
    if (bad !== undefined) throw new ModelInputError(`token id ${bad} is outside this model's vocabulary (0..${this.config.vocabSize - 1})`);
    const heads = this.heads;
    const L = this.config.maxPositions;
    const stride = Math.max(1, L - Math.max(1, Math.floor(L / 2)));
    const causal = backboneVariant(this.config).causal;
    const V = this.config.vocabSize;
    const out: number[] = [];
    for (let next = from; next < ids.length; ) {
      // Score targets [next, end) from the window [start, end): the row of position t - 1 predicts token t.
      const end = Math.min(ids.length, Math.max(L, next + stride));
      const start = Math.max(0, end - L);
      const T = end - start;
      const rows = end - next;
      const window = ids.slice(start, end);
      const targets = ids.slice(next, end);
      const logProbs = tf.tidy(() => {
        const hidden = this.backbone.encode(
          {
            ids: tf.tensor2d(window, [1, T], 'int32'),
            segments: tf.zeros([1, T], 'int32') as tf.Tensor2D,
            padMask: tf.ones([1, T]) as tf.Tensor2D,
            // As in training and generation: a Duet backbone reads left to right under a causal mask.
            attentionMask: causal ? undefined : (tf.linalg.bandPart(tf.ones([T, T]), -1, 0) as tf.Tensor2D),
          },
          { training: false, seed: () => 0 },
        ); // [1, T, C]
        const last = hidden.slice([0, next - 1 - start, 0], [1, rows, this.config.dModel]) as tf.Tensor3D; // [1, rows, C]
        const logits = heads.nextTokenLogits(last).reshape([rows, V]) as tf.Tensor2D; // [rows, V]
        const flat = targets.map((id, r) => r * V + id);
        const picked = tf.gather(logits.reshape([-1]), tf.tensor1d(flat, 'int32')); // [rows]
        return picked.sub(tf.logSumExp(logits, 1)); // [rows]
      });
      out.push(...(logProbs.dataSync() as Float32Array));
      logProbs.dispose();
      next = end;
    }
    return out;
  }

  dispose(): void {
    this.heads?.dispose();
    this.params.dispose();
  }

  private checkIds(ids: number[]): void {
    checkTokenIds(this.config, ids);
  }
}

/** Load any Duet model folder (imported or trained) as a backbone with its pretrained heads. */
export async function loadPretrainedModel(dir: string): Promise<PretrainedModel> {
  await initTensorBackend();
  const { folder, metadata, tensors } = readModelFolder(dir);
  const config = resolveBackboneConfig(metadata.config.backbone);
  const presets = new Map(Object.entries(tensors).map(([name, t]) => [name, t.data]));
  const params = new ParameterStore(createRng(0), presets);
  const backbone = new Backbone(config, params);
  let heads: PretrainedHeads | undefined;
  try {
    backbone.build();
    if (metadata.pretrained) {
      heads = new PretrainedHeads(config, metadata.pretrained.heads, params);
      heads.build();
    }
  } catch (error) {
    params.dispose();
    throw new ModelLoadError(`${folder}: ${(error as Error).message}`, { cause: error });
  }
  params.releasePresets();
  const missing = params.withoutPreset();
  if (missing.length > 0) {
    params.dispose();
    throw new ModelLoadError(`${join(folder, 'model.safetensors')} has no tensor ${missing[0]}: it was written by another model layout`);
  }
  const tokenizer = WordPieceTokenizer.load(join(folder, TOKENIZER_FILE));
  return new PretrainedModel(folder, metadata, config, params, backbone, heads, tokenizer);
}

/** An imported checkpoint to fine-tune from (`duet train --base`). */
export interface BaseCheckpoint {
  folder: string;
  backbone: BackboneConfig;
  pretrained: PretrainedInfo;
  specialTokens: SpecialTokenIds;
  tokenizer: WordPieceTokenizer;
  /** Backbone weights by Duet parameter name. */
  weights: Map<string, Float32Array>;
  /** The pretrained heads' tensors, saved unchanged with the fine-tuned model. */
  carried: Record<string, NamedTensor>;
}

/** Read the backbone of an imported checkpoint (or of a model fine-tuned from one). */
export function loadBaseCheckpoint(dir: string): BaseCheckpoint {
  const { folder, metadata, tensors } = readModelFolder(dir);
  if (!metadata.pretrained || !metadata.specialTokens) {
    throw new ModelLoadError(`${folder} is not an imported checkpoint: --base takes a folder written by \`duet import <hf-model-dir> --out <dir>\``);
  }
  const weights = new Map<string, Float32Array>();
  const carried: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(PRETRAINED_PREFIX)) carried[name] = { shape: t.shape, data: t.data };
    else if (name.startsWith('embeddings.') || name.startsWith('layers.') || name.startsWith('final_norm.')) weights.set(name, t.data);
  }
  return {
    folder,
    backbone: resolveBackboneConfig(metadata.config.backbone),
    pretrained: metadata.pretrained,
    specialTokens: metadata.specialTokens,
    tokenizer: WordPieceTokenizer.load(join(folder, TOKENIZER_FILE)),
    weights,
    carried,
  };
}
