/**
 * The safetensors file layout (8-byte little-endian header length, JSON header, raw tensor bytes),
 * the format Hugging Face checkpoints use. No maintained npm package reads and writes it, and the
 * format is a page long, so it is implemented here.
 */
import { Float16Array } from '@petamoriken/float16';

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
    const bytes = dtype === 'F16' ? new Float16Array(data) : data;
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

/** Parse a safetensors buffer; F16 and BF16 tensors are widened to Float32Array. */
export function decodeSafetensors(buffer: Buffer): { tensors: Record<string, NamedTensor & { dtype: string }>; metadata: Record<string, string> } {
  if (buffer.length < 8) throw new Error('file is too short to be safetensors');
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > buffer.length - 8) throw new Error('safetensors header length exceeds the file size');
  const header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  const base = 8 + headerLength;
  const tensors = Object.create(null) as Record<string, NamedTensor & { dtype: string }>;
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const entry = value as HeaderEntry;
    const [start, end] = entry.data_offsets;
    const valid = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= buffer.length - base;
    if (!valid) throw new Error(`tensor ${name} points outside the file`);
    const bytes = buffer.subarray(base + start, base + end);
    tensors[name] = { dtype: entry.dtype, shape: entry.shape, data: toFloat32(bytes, entry.dtype, name) };
    const expected = entry.shape.reduce((a, b) => a * b, 1);
    if (tensors[name].data.length !== expected) throw new Error(`tensor ${name}: ${tensors[name].data.length} values for shape [${entry.shape}]`);
  }
  return { tensors, metadata };
}

function toFloat32(bytes: Buffer, dtype: string, name: string): Float32Array {
  const aligned = new Uint8Array(bytes).buffer; // copy: the source may not be aligned
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned);
    case 'F16':
      return Float32Array.from(new Float16Array(aligned));
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
