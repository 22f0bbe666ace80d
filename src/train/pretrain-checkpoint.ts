/**
 * What `duet pretrain` writes into its output folder, and reading it back for `--resume`.
 *
 * For use (what `duet train --base`, `duet generate` and `duet inspect` read): `config.json`,
 * `model.safetensors` (half precision), `tokenizer.json`, plus `MODEL_CARD.md`.
 * For resuming only: `training-state.safetensors` (full-precision weights, Adam moments, and the
 * run's options, step and tokenizer in its metadata, under a checksum) and `losses.jsonl`.
 * Every file is written to a temporary name and renamed into place, so an interrupted write
 * leaves the previous version whole.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { MODEL_FORMAT_VERSION, type BackboneConfig } from '../model/config.js';
import { CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE, type StoredMetadata } from '../model/model-folder.js';
import type { PretrainedHeadsConfig } from '../model/pretrained-heads.js';
import { decodeTensor, encodeSafetensors, readSafetensorsHeader, type NamedTensor } from '../model/safetensors.js';
import { CLS_ID, MASK_ID, PAD_ID, SEP_ID } from '../tokenizer/wordpiece.js';

export const STATE_FILE = 'training-state.safetensors';
export const LOSS_LOG_FILE = 'losses.jsonl';
export const MODEL_CARD_FILE = 'MODEL_CARD.md';
/** Files a user needs to run or fine-tune the model; the rest only matter to `--resume`. */
export const USE_FILES = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE, MODEL_CARD_FILE];
export const RESUME_FILES = [STATE_FILE, LOSS_LOG_FILE];

const STATE_FORMAT = 'duet-pretraining-state';
const STATE_VERSION = '1';

/** The heads a pretrained Duet backbone carries: masked LM and next-token LM, both tied to the token table. */
export const PRETRAINED_HEADS: Readonly<PretrainedHeadsConfig> = Object.freeze({ pooler: false, maskedLm: true, causalLm: true, tiedEmbeddings: true });

/** Everything about a run besides its tensors, stored in the state file's metadata. */
export interface RunState<Options> {
  /** Updates applied so far. */
  step: number;
  options: Options;
  backbone: BackboneConfig;
  /** sha256 of the corpus the run trains on: resuming on other data would not continue the same run. */
  corpusDigest: string;
  /** Wall-clock seconds over all sessions so far. */
  elapsedSeconds: number;
  sessions: number;
  /** tokenizer.json's content. */
  tokenizer: string;
}

/** Write `content` to `file` through a temporary file in the same folder and a rename. */
export function writeFileAtomically(file: string, content: string | Buffer): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Write the resumable state: parameters and moments in full precision, the run state in the metadata. */
export function writeRunState<Options>(
  dir: string,
  state: RunState<Options>,
  params: ReadonlyMap<string, NamedTensor>,
  moments: { m: ReadonlyMap<string, Float32Array>; v: ReadonlyMap<string, Float32Array> },
): void {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, t] of params) {
    tensors[`param/${name}`] = t;
    tensors[`adam.m/${name}`] = { shape: t.shape, data: moments.m.get(name) as Float32Array };
    tensors[`adam.v/${name}`] = { shape: t.shape, data: moments.v.get(name) as Float32Array };
  }
  // encodeSafetensors lays the data out in sorted-name order: hash it in that order.
  const hash = createHash('sha256');
  for (const name of Object.keys(tensors).sort()) {
    const { data } = tensors[name];
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const buffer = encodeSafetensors(tensors, 'F32', { format: STATE_FORMAT, version: STATE_VERSION, sha256: hash.digest('hex'), state: JSON.stringify(state) });
  writeFileAtomically(join(dir, STATE_FILE), buffer);
}

/** A resumable run read back from its folder. */
export interface LoadedRunState<Options> {
  state: RunState<Options>;
  params: Map<string, Float32Array>;
  moments: { m: Map<string, Float32Array>; v: Map<string, Float32Array> };
}

/** Read `dir`'s state file; a missing or damaged file is a one-line ModelLoadError naming it and what to do. */
export function readRunState<Options>(dir: string): LoadedRunState<Options> {
  const file = join(dir, STATE_FILE);
  const fail = (problem: string, cause?: unknown): never => {
    throw new ModelLoadError(
      `${file} ${problem}: --resume needs the checkpoint of an interrupted \`duet pretrain\` in --out; start over without --resume (in a new or emptied folder)`,
      { cause },
    );
  };
  if (!existsSync(file)) fail('does not exist');
  let buffer: Buffer;
  let entries: ReturnType<typeof readSafetensorsHeader>['entries'];
  let metadata: Record<string, string>;
  try {
    buffer = readFileSync(file);
    ({ entries, metadata } = readSafetensorsHeader(buffer));
  } catch (error) {
    return fail(`is corrupt (${(error as Error).message})`, error);
  }
  if (metadata.format !== STATE_FORMAT) return fail('is not a pretraining checkpoint');
  if (metadata.version !== STATE_VERSION) return fail(`has checkpoint version ${String(metadata.version)}, this Duet reads ${STATE_VERSION}`);
  const dataStart = 8 + Number(buffer.readBigUInt64LE(0));
  if (createHash('sha256').update(buffer.subarray(dataStart)).digest('hex') !== metadata.sha256) return fail('is corrupt (its checksum does not match)');
  let state: RunState<Options>;
  try {
    state = JSON.parse(metadata.state) as RunState<Options>;
  } catch (error) {
    return fail('is corrupt (its run state is not valid JSON)', error);
  }
  if (!Number.isInteger(state?.step) || typeof state.tokenizer !== 'string' || typeof state.backbone !== 'object') return fail('is corrupt (its run state is incomplete)');
  const params = new Map<string, Float32Array>();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  try {
    for (const entry of entries) {
      const slash = entry.name.indexOf('/');
      const [kind, name] = [entry.name.slice(0, slash), entry.name.slice(slash + 1)];
      const target = kind === 'param' ? params : kind === 'adam.m' ? m : kind === 'adam.v' ? v : undefined;
      if (!target) return fail(`is corrupt (unexpected tensor ${entry.name})`);
      target.set(name, decodeTensor(buffer, entry));
    }
  } catch (error) {
    return fail(`is corrupt (${(error as Error).message})`, error);
  }
  if (params.size === 0) return fail('holds no weights');
  return { state, params, moments: { m, v } };
}

/** config.json of a pretrained backbone: what loadBaseCheckpoint and loadPretrainedModel read. */
export function pretrainedMetadata(dir: string, backbone: BackboneConfig, pretraining: Record<string, unknown>): StoredMetadata {
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    config: { formatVersion: MODEL_FORMAT_VERSION, backbone },
    pretrained: {
      family: 'duet',
      source: { path: dir, architecture: 'DuetPretraining', modelType: 'duet' },
      heads: { ...PRETRAINED_HEADS },
      ignoredTensors: [],
    },
    // Utterances are framed [CLS] … [SEP] as in pretraining; generation ends a turn at [SEP].
    specialTokens: { start: CLS_ID, end: SEP_ID, pad: PAD_ID, mask: MASK_ID, endOfText: SEP_ID },
    createdAt: new Date().toISOString(),
    pretraining,
  };
}

/** Write the files a user needs: half-precision weights, config and tokenizer. */
export function writeUseFiles(dir: string, params: ReadonlyMap<string, NamedTensor>, metadata: StoredMetadata, tokenizerJson: string): void {
  const tensors: Record<string, NamedTensor> = Object.fromEntries(params);
  writeFileAtomically(join(dir, WEIGHTS_FILE), encodeSafetensors(tensors, 'F16', { format: 'duet', formatVersion: String(MODEL_FORMAT_VERSION), pretrainedWith: 'duet pretrain' }));
  writeFileAtomically(join(dir, TOKENIZER_FILE), tokenizerJson);
  // config.json last: a folder is only taken for a model once its config is there.
  writeFileAtomically(join(dir, CONFIG_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}

/** One line of losses.jsonl. */
export interface LossLogLine {
  step: number;
  loss: number;
  mlm?: number;
  lm?: number;
  rank?: number;
  lr: number;
  gradNorm: number;
  /** Wall-clock seconds since the run began, over all its sessions (corpus preparation included). */
  elapsed: number;
}

/** The log's lines up to `step` (a resumed run drops what came after its checkpoint, and rewrites the log so). */
export function truncateLossLog(dir: string, step: number): LossLogLine[] {
  const file = join(dir, LOSS_LOG_FILE);
  if (!existsSync(file)) return [];
  const lines: LossLogLine[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      const line = JSON.parse(raw) as LossLogLine;
      if (line.step <= step) lines.push(line);
    } catch {
      // A line cut by a crash mid-write: drop it.
    }
  }
  writeFileAtomically(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return lines;
}
