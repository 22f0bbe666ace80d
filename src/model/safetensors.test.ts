import { Float16Array } from '@petamoriken/float16';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Build a safetensors buffer by hand: header JSON (unpadded) and raw data bytes. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), declaredHeaderLength?: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declaredHeaderLength ?? json.length));
  return Buffer.concat([prefix, json, Buffer.from(data)]);
}

function headerOf(buffer: Buffer): Record<string, unknown> {
  const length = Number(buffer.readBigUInt64LE(0));
  return JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
}

const tensorArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 })
  .chain((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.record({
      shape: fc.constant(shape),
      data: fc.float32Array({ minLength: size, maxLength: size, noDefaultInfinity: true, noNaN: true }),
    });
  });

const namesArb = fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((n) => n !== '__metadata__'), {
  minLength: 1,
  maxLength: 5,
});

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips F32 tensors bit for bit, with metadata', () => {
    fc.assert(
      fc.property(
        namesArb.chain((names) => fc.tuple(...names.map((n) => tensorArb.map((t) => [n, t] as const)))),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })),
        (entries, metadata) => {
          const tensors = Object.fromEntries(entries);
          const decoded = decodeSafetensors(encodeSafetensors(tensors, 'F32', metadata));
          expect(decoded.metadata).toEqual(metadata);
          expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of entries) {
            expect(decoded.tensors[name].dtype).toBe('F32');
            expect(decoded.tensors[name].shape).toEqual(t.shape);
            // Compare bit patterns so -0 and 0 are told apart.
            expect(new Uint32Array(decoded.tensors[name].data.buffer, decoded.tensors[name].data.byteOffset, t.data.length)).toEqual(
              new Uint32Array(Float32Array.from(t.data).buffer),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('round-trips F16 tensors within half precision', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 64, min: -60000, max: 60000, noNaN: true }), (data) => {
        const decoded = decodeSafetensors(encodeSafetensors({ w: { shape: [data.length], data } }, 'F16'));
        expect(decoded.tensors.w.dtype).toBe('F16');
        decoded.tensors.w.data.forEach((v, i) => {
          const x = data[i];
          // Half precision: 11 significant bits for normals (relative error ≤ 2^-11),
          // absolute spacing 2^-24 for subnormals (error ≤ 2^-25).
          expect(Math.abs(v - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('stores values already at half precision exactly as F16', () => {
    const data = Float32Array.from(new Float16Array([0.1, -3.25, 1000, 1e-5]));
    expect(decodeSafetensors(encodeSafetensors({ w: { shape: [2, 2], data } }, 'F16')).tensors.w.data).toEqual(data);
  });

  it('starts tensor data 8-byte aligned and lists byte offsets in the header', () => {
    fc.assert(
      fc.property(namesArb, fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), (names, metadata) => {
        const tensors = Object.fromEntries(names.map((n, i) => [n, { shape: [i + 1], data: new Float32Array(i + 1).fill(i) }]));
        const buffer = encodeSafetensors(tensors, 'F32', metadata);
        const headerLength = Number(buffer.readBigUInt64LE(0));
        expect((8 + headerLength) % 8).toBe(0);
        const header = headerOf(buffer);
        let total = 0;
        for (const name of names) {
          const entry = header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
          expect(entry.dtype).toBe('F32');
          total += entry.data_offsets[1] - entry.data_offsets[0];
          expect(entry.data_offsets[1] - entry.data_offsets[0]).toBe(4 * entry.shape[0]);
        }
        expect(buffer.length).toBe(8 + headerLength + total);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps tensors whose names are Object.prototype keys', () => {
    const names = ['__proto__', 'constructor', 'toString'];
    const tensors = Object.fromEntries(names.map((n, i) => [n, { shape: [1], data: new Float32Array([i]) }]));
    const decoded = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(decoded.tensors).sort()).toEqual([...names].sort());
    names.forEach((n, i) => expect(Array.from(decoded.tensors[n].data)).toEqual([i]));
  });

  it('refuses a tensor whose data does not fill its shape', () => {
    expect(() => encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } })).toThrow(/w: shape \[2,3\] needs 6 values, has 5/);
  });
});

describe('decodeSafetensors', () => {
  it('widens BF16 tensors to float32', () => {
    // bfloat16 is the top half of a float32: 1.0 = 0x3f80, -2.0 = 0xc000, 0.15625 = 0x3e20, 3.140625 = 0x4049.
    const halves = new Uint16Array([0x3f80, 0xc000, 0x3e20, 0x4049]);
    const buffer = rawFile({ w: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(halves.buffer));
    const { tensors } = decodeSafetensors(buffer);
    expect(tensors.w.dtype).toBe('BF16');
    expect(tensors.w.shape).toEqual([2, 2]);
    expect(Array.from(tensors.w.data)).toEqual([1, -2, 0.15625, 3.140625]);
  });

  it('reads a file written by another writer (unpadded header, unaligned data)', () => {
    const data = new Float32Array([1.5, -2.5, 3]);
    const buffer = rawFile({ __metadata__: { format: 'pt' }, b: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, new Uint8Array(data.buffer));
    expect((8 + Number(buffer.readBigUInt64LE(0))) % 4).not.toBe(0);
    const decoded = decodeSafetensors(buffer);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    expect(Array.from(decoded.tensors.b.data)).toEqual([1.5, -2.5, 3]);
  });

  it('rejects a file shorter than the header length field', () => {
    expect(() => decodeSafetensors(Buffer.alloc(0))).toThrow(/too short/);
    expect(() => decodeSafetensors(Buffer.from([1, 2, 3]))).toThrow(/too short/);
  });

  it('rejects a header length beyond the end of the file', () => {
    const good = encodeSafetensors({ w: { shape: [1], data: new Float32Array([1]) } });
    expect(() => decodeSafetensors(good.subarray(0, 20))).toThrow(/header length exceeds the file size/);
    expect(() => decodeSafetensors(rawFile({}, new Uint8Array(0), 1 << 30))).toThrow(/header length exceeds the file size/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 63n);
    expect(() => decodeSafetensors(huge)).toThrow(/header length exceeds the file size/);
  });

  it('rejects tensor offsets outside the data section', () => {
    const four = new Uint8Array(new Float32Array([1]).buffer);
    expect(() => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, four))).toThrow(/tensor w points outside the file/);
    expect(() => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, four))).toThrow(/tensor w points outside the file/);
    // A negative start would read the header's own bytes as weights.
    expect(() => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [-4, 4] } }, four))).toThrow(/tensor w points outside the file/);
    expect(() => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } }, four))).toThrow(/tensor w points outside the file/);
  });

  it('rejects a tensor whose byte range does not match its shape', () => {
    const eight = new Uint8Array(new Float32Array([1, 2]).buffer);
    expect(() => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight))).toThrow(/tensor w: 2 values for shape \[3\]/);
  });

  it('rejects an unsupported dtype by name', () => {
    const eight = new Uint8Array(8);
    expect(() => decodeSafetensors(rawFile({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, eight))).toThrow(/tensor w has unsupported dtype I64/);
  });

  it('rejects a header that is not JSON', () => {
    const buffer = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{', 'utf8')]);
    expect(() => decodeSafetensors(buffer)).toThrow();
  });
});
