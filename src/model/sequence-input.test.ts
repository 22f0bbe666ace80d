import { describe, expect, it } from 'vitest';
import { createRng } from '../util/random.js';
import { checkPickOptions, penalizeRepeats, pickToken, samplingCandidates } from './sequence-input.js';

const logits = Float32Array.from([1, 3, -2, 2.5, 0]);

describe('next-token picking', () => {
  it('the repetition penalty divides positive and multiplies negative logits of seen tokens only', () => {
    const out = penalizeRepeats(logits, [1, 2, 2], 2);
    expect(Array.from(out)).toEqual([1, 1.5, -4, 2.5, 0]);
    expect(Array.from(logits)).toEqual([1, 3, -2, 2.5, 0]); // the input is left alone
    expect(Array.from(penalizeRepeats(logits, [1, 2], 1))).toEqual(Array.from(logits));
  });

  it('a penalty turns a repeated greedy choice into another token', () => {
    // Token 1 wins greedily; once said, 3 / 1.3 < 2.5 and token 3 wins.
    expect(pickToken(logits, {}, () => 0)).toBe(1);
    expect(pickToken(logits, { repetitionPenalty: 1.3 }, () => 0, [1])).toBe(3);
    expect(pickToken(logits, { repetitionPenalty: 1.1 }, () => 0, [1])).toBe(1);
  });

  it('top-p keeps the fewest likeliest tokens whose probability reaches p, the likeliest always', () => {
    const probs = [0.5, 0.3, 0.15, 0.05];
    const l = Float32Array.from(probs.map(Math.log));
    const ids = (topP: number) => samplingCandidates(l, { topP }).ids;
    expect(ids(1e-9)).toEqual([0]);
    expect(ids(0.5)).toEqual([0]);
    expect(ids(0.6)).toEqual([0, 1]);
    expect(ids(0.9)).toEqual([0, 1, 2]);
    expect(ids(0.99)).toEqual([0, 1, 2, 3]);
    // With top-k too: the nucleus of the k likeliest (renormalised among them).
    expect(samplingCandidates(l, { topK: 2, topP: 0.6 }).ids).toEqual([0]);
    // Temperature sharpens the distribution before the nucleus is cut.
    expect(samplingCandidates(l, { topP: 0.6, temperature: 0.1 }).ids).toEqual([0]);
  });

  it('top-p with a tiny p is greedy whatever the random numbers; p = 1 samples', () => {
    const rng = createRng(7);
    for (let i = 0; i < 50; i++) expect(pickToken(logits, { topP: 1e-6, topK: 5 }, rng)).toBe(1);
    const drawn = new Set(Array.from({ length: 200 }, () => pickToken(logits, { topP: 1, topK: 5 }, rng)));
    expect(drawn.size).toBeGreaterThan(2);
    const nucleus = new Set(Array.from({ length: 200 }, () => pickToken(logits, { topP: 0.8 }, rng)));
    expect([...nucleus].sort()).toEqual([1, 3]);
  });

  it('refuses settings outside their ranges', () => {
    expect(() => checkPickOptions({ topP: 0 })).toThrow(/top-p must be above 0 and at most 1/);
    expect(() => checkPickOptions({ topP: 1.5 })).toThrow(/top-p/);
    expect(() => checkPickOptions({ repetitionPenalty: 0 })).toThrow(/repetition penalty must be a positive number/);
    expect(() => checkPickOptions({ temperature: -1 })).toThrow(/temperature/);
    expect(() => checkPickOptions({ topP: 1, repetitionPenalty: 1.2, temperature: 0.8, topK: 0 })).not.toThrow();
  });
});
