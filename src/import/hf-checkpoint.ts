/**
 * Reading a Hugging Face model folder: `config.json` and the safetensors weights (one
 * `model.safetensors` or shards listed in `model.safetensors.index.json`). Every problem is a
 * `CheckpointImportError` naming the file and what is wrong with it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CheckpointImportError } from '../errors.js';
import type { BackboneConfig, GeluKind } from '../model/config.js';
import type { PretrainedHeadsConfig } from '../model/pretrained-heads.js';
import { decodeTensor, readSafetensorsHeader, type NamedTensor } from '../model/safetensors.js';

/** One stored tensor, read on demand: a checkpoint may hold buffers in dtypes no weight uses (int64 position ids). */
export interface HfTensor {
  dtype: string;
  shape: number[];
  file: string;
  /** Its values widened to float32 (F32, F16 and BF16; another dtype is an import error). */
  read(): Float32Array;
}

export interface HfCheckpoint {
  dir: string;
  configFile: string;
  /** config.json as parsed; each family validates its own fields. */
  config: Record<string, unknown>;
  modelType: string;
  /** The first entry of `architectures` (empty when config.json names none). */
  architecture: string;
  tensors: Map<string, HfTensor>;
}

const WEIGHTS = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
/** Formats the Hub also serves, which need a Python unpickler or another framework to read. */
const OTHER_WEIGHT_FILES = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'];

const commonConfigSchema = z.object({
  model_type: z.string({ error: 'model_type is missing: config.json does not say which architecture this is' }),
  architectures: z.array(z.string()).nullish(),
});

const indexSchema = z.object({ weight_map: z.record(z.string(), z.string()) });

/** Read config.json and every weight of a Hugging Face checkpoint folder. */
export function readHfCheckpoint(dir: string): HfCheckpoint {
  const folder = resolve(dir);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new CheckpointImportError(folder, 'is not a folder: pass the folder holding config.json and model.safetensors');
  }
  const configFile = join(folder, 'config.json');
  if (!existsSync(configFile)) {
    throw new CheckpointImportError(folder, 'has no config.json: it is not a Hugging Face checkpoint folder (download config.json with the weights)');
  }
  const config = readJson(configFile);
  const common = parseWith(commonConfigSchema, config, configFile);
  return {
    dir: folder,
    configFile,
    config,
    modelType: common.model_type,
    architecture: common.architectures?.[0] ?? '',
    tensors: readWeights(folder),
  };
}

function readWeights(folder: string): Map<string, HfTensor> {
  const tensors = new Map<string, HfTensor>();
  const single = join(folder, WEIGHTS);
  const indexFile = join(folder, INDEX);
  if (existsSync(single)) {
    for (const t of readFileTensors(single)) tensors.set(t.name, t);
    return tensors;
  }
  if (existsSync(indexFile)) {
    const { weight_map: weightMap } = parseWith(indexSchema, readJson(indexFile), indexFile);
    for (const shard of [...new Set(Object.values(weightMap))].sort()) {
      const file = join(folder, shard);
      if (!existsSync(file)) throw new CheckpointImportError(indexFile, `lists shard ${shard}, which is not in the folder: download every shard`);
      for (const t of readFileTensors(file)) tensors.set(t.name, t);
    }
    for (const [name, shard] of Object.entries(weightMap)) {
      if (!tensors.has(name)) throw new CheckpointImportError(join(folder, shard), `has no tensor ${name}, which ${INDEX} places there`);
    }
    return tensors;
  }
  const other = OTHER_WEIGHT_FILES.find((f) => existsSync(join(folder, f)));
  const hint = other
    ? `it has ${other}, which Duet does not read; download model.safetensors from the same model page (the Hub converts most models)`
    : 'download model.safetensors from the model page';
  throw new CheckpointImportError(folder, `has no ${WEIGHTS}: ${hint}`);
}

/** The tensors of one safetensors file; the header is checked now, values are converted when read. */
function readFileTensors(file: string): (HfTensor & { name: string })[] {
  const buffer = readFileSync(file);
  let entries: ReturnType<typeof readSafetensorsHeader>['entries'];
  try {
    entries = readSafetensorsHeader(buffer).entries;
  } catch (error) {
    throw new CheckpointImportError(file, `is not a readable safetensors file: ${(error as Error).message}`, { cause: error });
  }
  return entries.map((entry) => ({
    name: entry.name,
    dtype: entry.dtype,
    shape: entry.shape,
    file,
    read: () => {
      try {
        return decodeTensor(buffer, entry);
      } catch (error) {
        throw new CheckpointImportError(file, (error as Error).message, { cause: error });
      }
    },
  }));
}

/** Parse a JSON file into an object, or fail naming the file. */
export function readJson(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CheckpointImportError(file, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CheckpointImportError(file, 'is not a JSON object');
  return value as Record<string, unknown>;
}

/** Validate with zod; the error lists each bad field as `field: problem`. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, file: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
  throw new CheckpointImportError(file, problems.join('; '));
}

/**
 * Takes tensors out of a checkpoint by name with the shape the config implies, and remembers
 * which it took, so the rest can be reported as ignored.
 */
export class TensorReader {
  private readonly taken = new Set<string>();

  constructor(private readonly checkpoint: HfCheckpoint) {}

  has(name: string): boolean {
    return this.checkpoint.tensors.has(name);
  }

  /** The values of `name`, which must exist with exactly `shape`. */
  take(name: string, shape: number[]): Float32Array {
    const t = this.checkpoint.tensors.get(name);
    if (!t) {
      const files = [...new Set([...this.checkpoint.tensors.values()].map((x) => x.file))];
      throw new CheckpointImportError(files.length === 1 ? files[0] : this.checkpoint.dir, `missing tensor ${name} (expected shape [${shape}])`);
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointImportError(t.file, `tensor ${name} has shape [${t.shape}], but config.json implies [${shape}]`);
    }
    this.taken.add(name);
    return t.read();
  }

  /** Mark a tensor as accounted for without using it (a tied copy, a buffer). */
  skip(name: string): void {
    this.taken.add(name);
  }

  /** Tensors nobody took, sorted. */
  untaken(): string[] {
    return [...this.checkpoint.tensors.keys()].filter((n) => !this.taken.has(n)).sort();
  }
}

/** [rows, cols] row-major → [cols, rows]: torch's Linear stores [out, in]; Duet multiplies x·W with W [in, out]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[row + c];
  }
  return out;
}

/** Positive-integer config field. */
export const positiveInt = z.number().int().positive();

/** A checkpoint translated to Duet: backbone config, heads, and tensors under Duet's names and orientation. */
export interface MappedCheckpoint {
  family: 'bert' | 'gpt2';
  backbone: BackboneConfig;
  heads: PretrainedHeadsConfig;
  tensors: Record<string, NamedTensor>;
  /** Checkpoint tensors no Duet part uses. */
  ignored: string[];
}

/** The GELU form behind a Hugging Face activation name, or undefined for one Duet does not have. */
export function geluKind(name: string): GeluKind | undefined {
  if (name === 'gelu') return 'gelu_erf';
  // gelu_new, gelu_pytorch_tanh and gelu_fast are the same tanh approximation, written differently.
  if (name === 'gelu_new' || name === 'gelu_pytorch_tanh' || name === 'gelu_fast') return 'gelu_tanh';
  return undefined;
}
