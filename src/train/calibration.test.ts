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
  it('rejects as many out-of-scope examples as it can without losing in-scope accuracy', () => {
    // A threshold accepts a top probability equal to it. 0.6 rejects the OOS example at 0.5 and keeps
    // every in-scope one; anything higher would reject the in-scope 0.6.
    expect(chooseOosThreshold(probs, gold, OOS)).toBeCloseTo(0.6, 6);
  });

  it('trades in-scope accuracy for OOS recall within the budget', () => {
    // Budget 0.5: 0.8 loses one of three in-scope examples (accuracy 2/3) and rejects every OOS example
    // (0.7 would lose the same in-scope example but still accept the OOS one at 0.7).
    expect(chooseOosThreshold(probs, gold, OOS, 0.5)).toBeCloseTo(0.8, 6);
    // Losing one in three needs a budget of at least 1/3.
    expect(chooseOosThreshold(probs, gold, OOS, 0.34)).toBeCloseTo(0.8, 6);
    expect(chooseOosThreshold(probs, gold, OOS, 0.3)).toBeCloseTo(0.6, 6);
  });

  it('returns the lowest threshold that reaches the best recall', () => {
    // With a budget of 1 every threshold is allowed; 0.8 already rejects every OOS example, so 0.9 and 0.95 are not chosen.
    expect(chooseOosThreshold(probs, gold, OOS, 1)).toBeCloseTo(0.8, 6);
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
    // example at 0.6 costs nothing, even with no budget.
    const p = [row(0, 0.9), row(0, 0.55), row(1, 0.6)];
    expect(chooseOosThreshold(p, [0, 1, OOS], OOS, 0)).toBeCloseTo(0.9, 6);
  });
});
