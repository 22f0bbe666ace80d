/**
 * `duet import`: a Hugging Face BERT or GPT-2 folder in, a Duet model folder out. Everything is
 * read and checked before anything is written, and the folder is written atomically, so a
 * checkpoint that cannot be mapped leaves nothing behind.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointImportError } from '../errors.js';
import { MODEL_FORMAT_VERSION } from '../model/config.js';
import { CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE, writeFolderAtomically, type StoredMetadata } from '../model/model-folder.js';
import { encodeSafetensors, type StoredDtype } from '../model/safetensors.js';
import { mapBert } from './hf-bert.js';
import { readHfCheckpoint, type MappedCheckpoint } from './hf-checkpoint.js';
import { mapGpt2 } from './hf-gpt2.js';
import { importTokenizer } from './hf-tokenizer.js';

export interface ImportOptions {
  /** Storage precision of the written weights: F32 keeps them exact, F16 halves the folder. */
  dtype?: StoredDtype;
  /** Told each stage as it starts. */
  onStage?: (stage: string) => void;
}

export interface ImportReport {
  family: 'bert' | 'gpt2';
  architecture: string;
  outDir: string;
  parameters: number;
  heads: string[];
  ignoredTensors: string[];
  tokenizerSource: string;
  seconds: number;
}

/** Import the checkpoint in `hfDir` into a new Duet model folder `outDir`. */
export function importCheckpoint(hfDir: string, outDir: string, options: ImportOptions = {}): ImportReport {
  const started = performance.now();
  const source = resolve(hfDir);
  const target = resolve(outDir);
  if (target === source) throw new CheckpointImportError(target, '--out is the checkpoint folder itself: choose another folder');
  // The folder is replaced as a whole; never replace something that is not a Duet model.
  if (existsSync(target) && (!statSync(target).isDirectory() || (readdirSync(target).length > 0 && !existsSync(join(target, CONFIG_FILE))))) {
    throw new CheckpointImportError(target, 'exists and is not a Duet model folder: choose a new or empty folder for --out');
  }
  options.onStage?.(`reading ${source}`);
  const checkpoint = readHfCheckpoint(source);
  options.onStage?.(`mapping ${checkpoint.architecture || checkpoint.modelType} weights`);
  let mapped: MappedCheckpoint;
  if (checkpoint.modelType === 'bert') mapped = mapBert(checkpoint);
  else if (checkpoint.modelType === 'gpt2') mapped = mapGpt2(checkpoint);
  else throw new CheckpointImportError(checkpoint.configFile, `model_type "${checkpoint.modelType}" is not supported: Duet imports bert and gpt2 checkpoints`);
  const tokenizer = importTokenizer(source, mapped.family, mapped.backbone.vocabSize, checkpoint.config);

  const heads = Object.entries(mapped.heads)
    .filter(([key, on]) => on && key !== 'tiedEmbeddings')
    .map(([key]) => key);
  const metadata: StoredMetadata = {
    formatVersion: MODEL_FORMAT_VERSION,
    config: { formatVersion: MODEL_FORMAT_VERSION, backbone: mapped.backbone },
    pretrained: {
      family: mapped.family,
      source: { path: source, architecture: checkpoint.architecture, modelType: checkpoint.modelType },
      heads: mapped.heads,
      ignoredTensors: mapped.ignored,
    },
    specialTokens: tokenizer.specialTokens,
    createdAt: new Date().toISOString(),
  };
  options.onStage?.(`writing ${target}`);
  writeFolderAtomically(target, (staging) => {
    const weights = encodeSafetensors(mapped.tensors, options.dtype ?? 'F32', {
      format: 'duet',
      formatVersion: String(MODEL_FORMAT_VERSION),
      importedFrom: checkpoint.architecture || checkpoint.modelType,
    });
    writeFileSync(join(staging, WEIGHTS_FILE), weights);
    writeFileSync(join(staging, CONFIG_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    writeFileSync(join(staging, TOKENIZER_FILE), tokenizer.json);
  });
  return {
    family: mapped.family,
    architecture: checkpoint.architecture || checkpoint.modelType,
    outDir: target,
    parameters: Object.values(mapped.tensors).reduce((n, t) => n + t.data.length, 0),
    heads,
    ignoredTensors: mapped.ignored,
    tokenizerSource: tokenizer.source,
    seconds: (performance.now() - started) / 1000,
  };
}
