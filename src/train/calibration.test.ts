import { describe, expect, it } from 'vitest';
import { chooseOosThreshold } from './calibration.js';

/** A probability row over three intents with `top` on `arg` and the rest spread evenly. */
function row(arg: number, top: number): Float32Array {
  const p = new Float32Array(3).fill((1 - top) / 2);
  p[arg] = top;
  return p;
}

const OOS = 2;

// In scope (gold 0 or 1), all predicted correctly, with top probabilities 0.9, 0.8 and 0.6.
// Out of scope (gold 2): one predicted as OOS outright, two predicted in scope at 0.5 and 0.7.
const probs = [row(0, 0.9), row(1, 0.8), row(0, 0.6), row(2, 0.95), row(0, 0.5), row(1, 0.7)];
const gold = [0, 1, 0, OOS, OOS, OOS];

describe('chooseOosThreshold', () => {
  it('rejects out-of-scope examples below every in-scope one', () => {
    // A threshold accepts a top probability equal to it. 0.6 rejects the OOS example at 0.5 and keeps
    // every in-scope one.
    expect(chooseOosThreshold(probs, gold, OOS)).toBeCloseTo(0.6, 6);
  });

  it('rejects an in-scope example when that catches more out-of-scope ones', () => {
    // Sorted by confidence: OOS 0.5, in-scope 0.55, OOS 0.58 and 0.59, in-scope 0.9. Rejecting up to
    // 0.59 loses one in-scope example and catches three OOS ones: accuracy 4/5 against 1/5 at 0.
    const p = [row(0, 0.5), row(1, 0.55), row(0, 0.58), row(1, 0.59), row(0, 0.9)];
    expect(chooseOosThreshold(p, [OOS, 1, OOS, OOS, 0], OOS)).toBeCloseTo(0.9, 6);
    // One OOS example above the in-scope one is not worth losing it: stop at 0.55.
    expect(chooseOosThreshold(p, [OOS, 1, OOS, 1, 0], OOS)).toBeCloseTo(0.55, 6);
  });

  it('can reject every example predicted in scope', () => {
    expect(chooseOosThreshold([row(0, 0.9), row(1, 0.7), row(2, 0.8)], [OOS, OOS, 0], OOS)).toBeGreaterThan(0.9);
  });

  it('returns the lowest threshold that reaches the best accuracy', () => {
    // 0.6 (reject the OOS example at 0.5) and 0.8 (also reject in-scope 0.6 and OOS 0.7) both get 5 of 6 right.
    expect(chooseOosThreshold(probs, gold, OOS)).toBeCloseTo(0.6, 6);
    expect(chooseOosThreshold(probs.slice(0, 5), gold.slice(0, 5), OOS)).toBeCloseTo(0.6, 6);
  });

  it('returns 0 (never reject) when a threshold would only cost accuracy', () => {
    // The only OOS example is predicted as OOS outright; a threshold adds nothing.
    expect(chooseOosThreshold([row(0, 0.9), row(1, 0.4), row(2, 0.8)], [0, 1, OOS], OOS)).toBe(0);
    // The OOS example is more confident than every in-scope one.
    expect(chooseOosThreshold([row(0, 0.6), row(1, 0.7), row(0, 0.99)], [0, 1, OOS], OOS)).toBe(0);
  });

  it('returns 0 without out-of-scope or without in-scope validation examples', () => {
    expect(chooseOosThreshold([row(0, 0.9), row(1, 0.5)], [0, 1], OOS)).toBe(0);
    expect(chooseOosThreshold([row(0, 0.9), row(1, 0.5)], [OOS, OOS], OOS)).toBe(0);
    expect(chooseOosThreshold([], [], OOS)).toBe(0);
  });

  it('does not count misclassified in-scope examples as lost by the threshold', () => {
    // The in-scope example at 0.55 is wrong anyway (gold 1, predicted 0): rejecting it with the OOS
    // example at 0.6 costs nothing.
    const p = [row(0, 0.9), row(0, 0.55), row(1, 0.6)];
    expect(chooseOosThreshold(p, [0, 1, OOS], OOS)).toBeCloseTo(0.9, 6);
  });
});
