/**
 * The safetensors file layout (8-byte little-endian header length, JSON header, raw tensor bytes),
 * the format Hugging Face checkpoints use. No maintained npm package reads and writes it, and the
 * format is a page long, so it is implemented here.
 */
import { float32ToHalfBits, halfBitsToFloat32 } from './half-precision.js';

export type StoredDtype = 'F32' | 'F16';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Serialise tensors (stored as F32 or F16) with string metadata. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, dtype: StoredDtype = 'F32', metadata: Record<string, string> = {}): Buffer {
  const names = Object.keys(tensors).sort();
  // Null prototype, here and in decode: a tensor named "__proto__" stays an ordinary key.
  const header = Object.create(null) as Record<string, HeaderEntry | Record<string, string>>;
  header.__metadata__ = metadata;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name];
    const expected = shape.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`tensor ${name}: shape [${shape}] needs ${expected} values, has ${data.length}`);
    const bytes = dtype === 'F16' ? float32ToHalfBits(data) : data;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    header[name] = { dtype, shape, data_offsets: [offset, offset + chunk.length] };
    chunks.push(chunk);
    offset += chunk.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so tensor data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, headerBytes, ...chunks]);
}

/** One tensor's place in a safetensors file (byte offsets from the start of the buffer). */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  start: number;
  end: number;
}

/**
 * Parse and check a safetensors header without converting any data: every entry must be well
 * formed, lie inside the file and have exactly the bytes its dtype and shape need.
 */
export function readSafetensorsHeader(buffer: Buffer): { entries: TensorEntry[]; metadata: Record<string, string> } {
  if (buffer.length < 8) throw new Error('file is too short to be safetensors');
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > buffer.length - 8) throw new Error('safetensors header length exceeds the file size (is the file truncated?)');
  let header: unknown;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (error) {
    throw new Error('safetensors header is not valid JSON', { cause: error });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('safetensors header is not a JSON object');
  const base = 8 + headerLength;
  const entries: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const entry = value as Partial<HeaderEntry> | null;
    const wellFormed =
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.dtype === 'string' &&
      Array.isArray(entry.shape) &&
      entry.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      Array.isArray(entry.data_offsets) &&
      entry.data_offsets.length === 2;
    if (!wellFormed) throw new Error(`tensor ${name} has a malformed header entry (needs dtype, shape and data_offsets)`);
    const { dtype, shape } = entry as HeaderEntry;
    const [start, end] = (entry as HeaderEntry).data_offsets;
    const valid = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= buffer.length - base;
    if (!valid) throw new Error(`tensor ${name} points outside the file`);
    const width = BYTES_PER_VALUE.get(dtype);
    if (width === undefined) throw new Error(`tensor ${name} has unknown dtype ${dtype}`);
    const expected = shape.reduce((a, b) => a * b, 1);
    if ((end - start) % width !== 0 || (end - start) / width !== expected) {
      throw new Error(`tensor ${name}: ${(end - start) / width} values for shape [${shape}]`);
    }
    entries.push({ name, dtype, shape, start: base + start, end: base + end });
  }
  return { entries, metadata };
}

/** One tensor's values widened to float32 (F32, F16 and BF16; other dtypes are refused by name). */
export function decodeTensor(buffer: Buffer, entry: TensorEntry): Float32Array {
  return toFloat32(buffer.subarray(entry.start, entry.end), entry.dtype, entry.name);
}

/** Parse a safetensors buffer; F16 and BF16 tensors are widened to Float32Array. */
export function decodeSafetensors(buffer: Buffer): { tensors: Record<string, NamedTensor & { dtype: string }>; metadata: Record<string, string> } {
  const { entries, metadata } = readSafetensorsHeader(buffer);
  const tensors = Object.create(null) as Record<string, NamedTensor & { dtype: string }>;
  for (const entry of entries) tensors[entry.name] = { dtype: entry.dtype, shape: entry.shape, data: decodeTensor(buffer, entry) };
  return { tensors, metadata };
}

/** Bytes per value of every dtype the format defines (only the float ones can be read as weights). */
const BYTES_PER_VALUE = new Map([
  ['F64', 8],
  ['F32', 4],
  ['F16', 2],
  ['BF16', 2],
  ['F8_E5M2', 1],
  ['F8_E4M3', 1],
  ['I64', 8],
  ['U64', 8],
  ['I32', 4],
  ['U32', 4],
  ['I16', 2],
  ['U16', 2],
  ['I8', 1],
  ['U8', 1],
  ['BOOL', 1],
]);

function toFloat32(bytes: Buffer, dtype: string, name: string): Float32Array {
  const aligned = new Uint8Array(bytes).buffer; // copy: the source may not be aligned
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned);
    case 'F16':
      return halfBitsToFloat32(new Uint16Array(aligned));
    case 'BF16': {
      const halves = new Uint16Array(aligned);
      const out = new Float32Array(halves.length);
      const view = new Uint32Array(out.buffer);
      for (let i = 0; i < halves.length; i++) view[i] = halves[i] << 16;
      return out;
    }
    default:
      throw new Error(`tensor ${name} has unsupported dtype ${dtype} (supported: F32, F16, BF16)`);
  }
}
