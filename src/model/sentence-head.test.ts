import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initTensorBackend } from './backend.js';
import { SENTENCE_VECTOR_SIZE } from './sentence-encoder.js';
import {
  chooseMixWeight,
  chooseNetworkAloneAbove,
  DEFAULT_SENTENCE_HEAD_OPTIONS,
  LEAST_SHARE_ALONE,
  mixProbs,
  NETWORK_ALONE_MARGIN,
  SentenceHead,
  stackVectors,
  trainSentenceHead,
  trainSentenceHeadEnsemble,
} from './sentence-head.js';

const p = (...values: number[]) => Float32Array.from(values);

/** Three intents whose vectors sit around three directions, with seeded noise. */
function syntheticVectors(): (n: number) => { vectors: Float32Array[]; intents: number[] } {
  let state = 1;
  const noise = () => ((state = (state * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1;
  const vector = (intent: number) => Float32Array.from({ length: SENTENCE_VECTOR_SIZE }, (_, i) => (i % 3 === intent ? 0.07 : 0) + noise());
  return (n) => {
    const intents = Array.from({ length: n }, (_, i) => i % 3);
    return { vectors: intents.map(vector), intents };
  };
}

describe('sentence head', () => {
  it('mixes probabilities linearly, for models trained before the geometric mix', () => {
    const mixed = mixProbs(p(0.8, 0.2), p(0.2, 0.8), 0.25, 'linear');
    expect(mixed[0]).toBeCloseTo(0.65, 6);
    expect(mixed[1]).toBeCloseTo(0.35, 6);
  });

  it('mixes geometrically: the normalised weighted product', () => {
    // 0.8^0.75 · 0.2^0.25 against 0.2^0.75 · 0.8^0.25: a ratio of 4^0.5 = 2.
    const mixed = mixProbs(p(0.8, 0.2), p(0.2, 0.8), 0.25, 'geometric');
    expect(mixed[0]).toBeCloseTo(2 / 3, 6);
    expect(mixed[1]).toBeCloseTo(1 / 3, 6);
    expect(Array.from(mixProbs(p(0.7, 0.3), p(0.1, 0.9), 0, 'geometric'))).toEqual(Array.from(p(0.7, 0.3)));
    // A probability that underflowed to 0 does not veto its class outright.
    const split = mixProbs(p(1, 0), p(0, 1), 0.5, 'geometric');
    expect(split[0]).toBeCloseTo(0.5, 6);
    // Three classes, checked against the formula written out.
    const [n, h, w] = [p(0.5, 0.3, 0.2), p(0.1, 0.6, 0.3), 0.4];
    const product = Array.from(n, (x, i) => x ** (1 - w) * h[i] ** w);
    const total = product.reduce((a, b) => a + b, 0);
    mixProbs(n, h, w, 'geometric').forEach((v, i) => expect(v).toBeCloseTo(product[i] / total, 6));
  });

  it('keeps the network alone when the head does not help on validation, and mixes it in when it does', () => {
    const network = [p(0.9, 0.1), p(0.6, 0.4), p(0.3, 0.7)];
    const gold = [0, 1, 1];
    // A head that is always wrong: no weight beats 0.
    expect(chooseMixWeight(network, [p(0, 1), p(1, 0), p(1, 0)], gold, 'linear')).toEqual({ weight: 0, accuracy: 2 / 3 });
    expect(chooseMixWeight(network, [p(0, 1), p(1, 0), p(1, 0)], gold, 'geometric')).toEqual({ weight: 0, accuracy: 2 / 3 });
    // A head that fixes the second example from weight 0.2 on (0.8 × 0.6 + 0.2 × 0 = 0.48 < 0.52).
    const chosen = chooseMixWeight(network, [p(0.9, 0.1), p(0, 1), p(0.3, 0.7)], gold, 'linear');
    expect(chosen).toEqual({ weight: 0.2, accuracy: 1 });
    // Geometrically a head that finds the second example's class near certain fixes it from weight
    // 0.1 on: 0.6^0.9 · 0.01^0.1 ≈ 0.40 < 0.4^0.9 · 0.99^0.1 ≈ 0.44.
    expect(chooseMixWeight(network, [p(0.9, 0.1), p(0.01, 0.99), p(0.3, 0.7)], gold, 'geometric')).toEqual({ weight: 0.1, accuracy: 1 });
  });

  it('lets the network decide alone a quarter of the way from the surest confidence at which the head changed a decision to certainty', () => {
    const sure = Array.from({ length: 9 }, () => p(0.95, 0.05));
    const network = [...sure, p(0.6, 0.4), p(0.3, 0.7), p(0.55, 0.45)];
    // The head flips the tenth (network sure at 0.6) and the twelfth (0.55); the others stay.
    const mixed = [...sure.map(() => p(0.9, 0.1)), p(0.4, 0.6), p(0.2, 0.8), p(0.45, 0.55)];
    expect(NETWORK_ALONE_MARGIN).toBe(0.25);
    expect(chooseNetworkAloneAbove(network, mixed, 0)).toBeCloseTo(1 - 0.4 * 0.25, 6);
    // Nothing changed: a quarter of the way from 0 (9 of the 12 messages are surer than 0.75).
    expect(chooseNetworkAloneAbove(network, network, 0)).toBeCloseTo(0.75, 6);
  });

  it('mixes every message when fewer than three quarters of the validation messages could skip the head', () => {
    const network = [p(0.99, 0.01), p(0.98, 0.02), p(0.97, 0.03), p(0.6, 0.4), p(0.3, 0.7), p(0.55, 0.45)];
    // A mix that lowers the first below the out-of-scope threshold changes that decision (0.99 → 0.9975):
    // no message is surer, so none could skip.
    const rejected = [p(0.7, 0.3), p(0.98, 0.02), p(0.97, 0.03), p(0.6, 0.4), p(0.3, 0.7), p(0.55, 0.45)];
    expect(chooseNetworkAloneAbove(network, rejected, 0.8)).toBeUndefined();
    // The surest change at 0.88 puts the level at 0.97: half the messages (3 of 6) would skip, too few.
    const sure = network.slice(0, 3);
    const flippedAt88 = [...sure, p(0.88, 0.12), p(0.3, 0.7), p(0.55, 0.45)];
    const flipped = [...sure, p(0.4, 0.6), p(0.3, 0.7), p(0.55, 0.45)];
    expect(chooseNetworkAloneAbove(flippedAt88, flipped, 0)).toBeUndefined();
    // With three more sure messages 6 of 9 skip, still under three quarters; with six more, 9 of 12.
    const more = [p(0.99, 0.01), p(0.99, 0.01), p(0.99, 0.01)];
    expect(chooseNetworkAloneAbove([...flippedAt88, ...more], [...flipped, ...more], 0)).toBeUndefined();
    const most = [...more, p(0.99, 0.01), p(0.99, 0.01), p(0.99, 0.01)];
    expect(chooseNetworkAloneAbove([...flippedAt88, ...most], [...flipped, ...most], 0)).toBeCloseTo(0.97, 6);
    expect(LEAST_SHARE_ALONE).toBe(0.75);
    expect(chooseNetworkAloneAbove([], [], 0)).toBeUndefined();
  });

  it('learns intents from sentence vectors, the same with the same seed', async () => {
    await initTensorBackend();
    const make = syntheticVectors();
    const train = make(90);
    const validation = make(30);
    const options = { ...DEFAULT_SENTENCE_HEAD_OPTIONS, maxEpochs: 6, hidden: 16 };
    const a = trainSentenceHead(train, validation, 3, options);
    const b = trainSentenceHead(train, validation, 3, options);
    expect(a.validationAccuracy).toBeGreaterThan(0.9);
    expect(b.weights).toEqual(a.weights);
  });

  it('joins an ensemble into one head that computes the mean of its members\' logits', async () => {
    await initTensorBackend();
    const make = syntheticVectors();
    const train = make(90);
    const validation = make(30);
    const options = { ...DEFAULT_SENTENCE_HEAD_OPTIONS, maxEpochs: 6, hidden: 16, members: 3, seed: 5 };
    const joined = trainSentenceHeadEnsemble(train, validation, 3, options);
    expect(joined.hidden).toBe(48);
    expect(joined.epochs).toHaveLength(3);
    const members = [5, 6, 7].map((seed) => trainSentenceHead(train, validation, 3, { ...options, seed }));
    const logitsOf = (weights: typeof joined.weights, hidden: number) =>
      tf.tidy(() => {
        const head = new SentenceHead(weights, hidden);
        // log p differs from the logits by a per-row constant: compare softmaxes instead.
        const probs = head.probs(tf.tensor2d(stackVectors(validation.vectors), [validation.vectors.length, SENTENCE_VECTOR_SIZE])).log();
        return probs.arraySync() as number[][];
      });
    const meanOfMembers = tf.tidy(() => {
      const logs = members.map((m) => tf.tensor2d(logitsOf(m.weights, 16)));
      return tf.logSoftmax(tf.addN(logs).div(3)).arraySync() as number[][];
    });
    const ours = logitsOf(joined.weights, 48);
    ours.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(meanOfMembers[i][j], 4)));
    expect(joined.validationAccuracy).toBeGreaterThan(0.9);
    // Asked to stop after the first member, it is that member alone.
    const single = trainSentenceHeadEnsemble(train, validation, 3, options, () => false);
    expect(single.hidden).toBe(16);
    expect(single.weights).toEqual(members[0].weights);
  });
});
