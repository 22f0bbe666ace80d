import { describe, expect, it } from 'vitest';
import { requestProbability } from './request-gate.js';
import { SENTENCE_VECTOR_SIZE } from './sentence-encoder.js';

describe('requestProbability', () => {
  it('is the sigmoid of a one-hidden-layer ReLU perceptron', () => {
    const hidden = 2;
    const w1 = new Float32Array(SENTENCE_VECTOR_SIZE * hidden);
    // Unit 0 reads 2·x0; unit 1 reads -x1 (so it is cut to zero when x1 > 0).
    w1[0 * hidden + 0] = 2;
    w1[1 * hidden + 1] = -1;
    const gate = { w1, b1: new Float32Array([0.5, 0]), w2: new Float32Array([1.5, 3]), b2: -1 };
    const v = new Float32Array(SENTENCE_VECTOR_SIZE);
    v[0] = 0.25;
    v[1] = 0.5;
    // h = relu([0.5 + 0.5, -0.5]) = [1, 0]; z = -1 + 1.5·1 = 0.5.
    expect(requestProbability(gate, v)).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
    v[1] = -0.5;
    // h = [1, 0.5]; z = -1 + 1.5 + 1.5 = 2.
    expect(requestProbability(gate, v)).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });

  it('refuses vectors of the wrong size', () => {
    const gate = { w1: new Float32Array(SENTENCE_VECTOR_SIZE), b1: new Float32Array(1), w2: new Float32Array(1), b2: 0 };
    expect(() => requestProbability(gate, new Float32Array(3))).toThrow(/512-d vector/);
  });
});
