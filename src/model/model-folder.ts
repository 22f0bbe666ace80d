/**
 * The Duet model folder: `model.safetensors` (weights), `config.json` (metadata and config) and
 * `tokenizer.json` (a Hugging Face tokenizers file). A trained NLU model and an imported
 * checkpoint share this layout; an imported one has no task heads yet (`config.heads` absent).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { MODEL_FORMAT_VERSION, type BackboneConfig, type HeadConfig } from './config.js';
import type { PretrainedHeadsConfig } from './pretrained-heads.js';
import { decodeSafetensors, type NamedTensor } from './safetensors.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';

/** Where the weights of an imported checkpoint came from and what it carries besides the backbone. */
export interface PretrainedInfo {
  /** bert, gpt2: imported (`duet import`); duet: pretrained here (`duet pretrain`). */
  family: 'bert' | 'gpt2' | 'duet';
  /** The Hugging Face folder, its architecture and model_type. */
  source: { path: string; architecture: string; modelType: string };
  heads: PretrainedHeadsConfig;
  /** Checkpoint tensors no Duet part uses (e.g. BERT's next-sentence head), skipped on import. */
  ignoredTensors: string[];
}

/** Token ids that frame an utterance and pad a batch, when they differ from Duet's own tokenizer's. */
export interface SpecialTokenIds {
  /** Put before every utterance: [CLS] for BERT, <|endoftext|> for GPT-2. */
  start: number;
  /** Put after every utterance: [SEP] for BERT; GPT-2 has none. */
  end?: number;
  pad: number;
  mask?: number;
  /** Ends generation (GPT-2's <|endoftext|>). */
  endOfText?: number;
}

/** config.json as stored, for any model folder. */
export interface StoredMetadata {
  formatVersion: number;
  config: { formatVersion: number; backbone: BackboneConfig; heads?: HeadConfig };
  pretrained?: PretrainedInfo;
  specialTokens?: SpecialTokenIds;
  createdAt: string;
  [key: string]: unknown;
}

/** Read and check a model folder: the three files exist, the config parses, the weights decode. */
export function readModelFolder(dir: string): { folder: string; metadata: StoredMetadata; tensors: Record<string, NamedTensor & { dtype: string }> } {
  const folder = resolve(dir);
  if (!existsSync(folder)) throw new ModelLoadError(`model folder ${folder} does not exist: train one with \`duet train <definition> --out ${dir}\``);
  for (const file of [WEIGHTS_FILE, CONFIG_FILE, TOKENIZER_FILE]) {
    if (!existsSync(join(folder, file))) {
      throw new ModelLoadError(`model folder ${folder} is missing ${file}: it is incomplete or not a Duet model; train it again`);
    }
  }
  let metadata: StoredMetadata;
  try {
    metadata = JSON.parse(readFileSync(join(folder, CONFIG_FILE), 'utf8')) as StoredMetadata;
  } catch (error) {
    throw new ModelLoadError(`${join(folder, CONFIG_FILE)} is not valid JSON: train the model again`, { cause: error });
  }
  if (metadata.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelLoadError(
      `model ${folder} has format version ${String(metadata.formatVersion)}, this Duet reads version ${MODEL_FORMAT_VERSION}: retrain it with this version`,
    );
  }
  if (typeof metadata.config?.backbone !== 'object') throw new ModelLoadError(`${join(folder, CONFIG_FILE)} has no backbone config: train the model again`);
  let tensors: Record<string, NamedTensor & { dtype: string }>;
  try {
    tensors = decodeSafetensors(readFileSync(join(folder, WEIGHTS_FILE))).tensors;
  } catch (error) {
    throw new ModelLoadError(`${join(folder, WEIGHTS_FILE)} is corrupt (${(error as Error).message}): train the model again`, { cause: error });
  }
  return { folder, metadata, tensors };
}

/** Write a folder atomically: `fill` writes into a staging folder, renamed into place only when it succeeds. */
export function writeFolderAtomically(dir: string, fill: (staging: string) => void): void {
  const target = resolve(dir);
  const staging = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(dirname(target), { recursive: true });
  mkdirSync(staging, { recursive: true });
  try {
    fill(staging);
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
