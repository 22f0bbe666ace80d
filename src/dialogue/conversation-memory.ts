/**
 * A memory-mode model's memory as a conversation stores it: half precision (the model's own
 * weights are stored that way; k × C values cost 2 bytes each), base64 so it fits a JSON event,
 * with the fingerprint of the model that wrote it. A memory is fed back only to that model and
 * only in its shape: another model's vectors would mean nothing to it.
 */
import { float32ToHalfBits, halfBitsToFloat32 } from '../model/half-precision.js';
import type { StoredMemory } from './events.js';

/** The model a memory must have been written by to be read back. */
export interface MemoryOwner {
  fingerprint: string;
  shape?: readonly [number, number];
}

/** A memory ready to store in a 'user' event. */
export function storeMemory(values: Float32Array, owner: MemoryOwner): StoredMemory {
  const shape: [number, number] = owner.shape ? [owner.shape[0], owner.shape[1]] : [1, values.length];
  const bits = float32ToHalfBits(values);
  return { model: owner.fingerprint, shape, data: Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength).toString('base64') };
}

/** The stored memory's values, or why `owner` cannot read it. */
export function restoreMemory(stored: StoredMemory, owner: MemoryOwner): { memory: Float32Array } | { problem: string } {
  if (stored.model !== owner.fingerprint) return { problem: `its stored memory was written by another model (${String(stored.model)}; this one is ${owner.fingerprint})` };
  const [k, C] = Array.isArray(stored.shape) ? stored.shape : [NaN, NaN];
  if (owner.shape && (k !== owner.shape[0] || C !== owner.shape[1])) {
    return { problem: `its stored memory is ${String(k)} × ${String(C)}, this model's is ${owner.shape[0]} × ${owner.shape[1]}` };
  }
  const bytes = typeof stored.data === 'string' ? Buffer.from(stored.data, 'base64') : Buffer.alloc(0);
  if (!(k * C > 0) || bytes.length !== 2 * k * C) return { problem: `its stored memory holds ${bytes.length / 2} values, not ${String(k)} × ${String(C)}` };
  // Copied into a fresh (aligned) buffer: a Node buffer may start at any byte of its pool.
  const bits = new Uint16Array(k * C);
  new Uint8Array(bits.buffer).set(bytes);
  return { memory: halfBitsToFloat32(bits) };
}
