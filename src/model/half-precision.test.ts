import { Float16Array } from '@petamoriken/float16';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float32ToHalfBits, halfBitsToFloat32, roundToHalfInPlace } from './half-precision.js';

describe('half precision', () => {
  it('widens every one of the 65,536 bit patterns exactly as the float16 package does', () => {
    const patterns = new Uint16Array(65536).map((_, i) => i);
    const expected = Float32Array.from(new Float16Array(patterns.buffer));
    const got = halfBitsToFloat32(patterns);
    // Compare bit patterns: -0 and NaN must match too.
    expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(expected.buffer));
  });

  it('rounds float32 values as the float16 package does (ties to even, overflow to infinity, subnormals)', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 200 }), (data) => {
        const values = Float32Array.from(data);
        const expected = Float32Array.from(new Float16Array(values));
        roundToHalfInPlace(values);
        expect(new Uint32Array(values.buffer)).toEqual(new Uint32Array(expected.buffer));
      }),
      { numRuns: 200 },
    );
  });

  it('bit patterns round-trip', () => {
    const bits = float32ToHalfBits(Float32Array.from([1, -2, 0.5, 65504, 1e-7]));
    expect(Array.from(bits)).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0002]);
    expect(Array.from(halfBitsToFloat32(bits))).toEqual([1, -2, 0.5, 65504, Float32Array.from(new Float16Array([1e-7]))[0]]);
  });
});
