import { beforeAll, describe, expect, it } from 'vitest';
import type { SelectionExample } from '../bench/chat-bench.js';
import { initTensorBackend } from '../model/backend.js';
import { SENTENCE_VECTOR_SIZE } from '../model/sentence-encoder.js';
import { createRng, fillNormal } from '../util/random.js';
import { DEFAULT_CHAT_RANKER_OPTIONS, chooseMinScore, trainChatRanker, type RankerPair } from './train-chat-ranker.js';

beforeAll(() => initTensorBackend());

/**
 * A task the raw cosine cannot do and the towers can learn: a context's reply has the context's
 * vector with its coordinates permuted and some signs flipped (a fixed linear map), so the two
 * are nearly orthogonal before training.
 */
function syntheticTask(pairs: number, seed: number) {
  const rng = createRng(seed);
  const D = SENTENCE_VECTOR_SIZE;
  const permutation = Array.from({ length: D }, (_, i) => (i * 37 + 11) % D);
  const vectors = new Map<string, Float32Array>();
  const unit = (v: Float32Array) => v.map((x) => x / Math.hypot(...v));
  const made: RankerPair[] = [];
  for (let i = 0; i < pairs; i++) {
    const c = unit(fillNormal(new Float32Array(D), 1, rng));
    const r = unit(Float32Array.from({ length: D }, (_, j) => c[permutation[j]] * (j % 3 === 0 ? -1 : 1) + 0.2 * (rng() - 0.5)));
    vectors.set(`c${seed}-${i}`, c);
    vectors.set(`r${seed}-${i}`, r);
    made.push({ context: [`c${seed}-${i}`], response: `r${seed}-${i}` });
  }
  return { pairs: made, vectors };
}

describe('trainChatRanker', () => {
  it('learns a reply map the raw cosine misses, keeps the best epoch, and gives the same weights for the same seed', async () => {
    const train = syntheticTask(512, 1);
    const held = syntheticTask(40, 2);
    const vectors = new Map([...train.vectors, ...held.vectors]);
    const vectorOf = (t: string) => vectors.get(t) as Float32Array;
    // Validation: each held-out context against its reply and 19 other held-out replies.
    const validation: SelectionExample[] = held.pairs.map((p, i) => ({
      dialogue: i,
      context: p.context,
      candidates: [p.response, ...held.pairs.filter((_, j) => j !== i).slice(0, 19).map((q) => q.response)],
    }));
    const options = { ...DEFAULT_CHAT_RANKER_OPTIONS, contextTurns: 1, hidden: 64, epochs: 8, batchSize: 64, learningRate: 3e-3, dropout: 0 };
    const progress: number[] = [];
    const a = await trainChatRanker(train.pairs, vectorOf, validation, options, (p) => progress.push(p.step));
    expect(a.history[0].epoch).toBe(0);
    // Chance is 1 in 20; the raw cosine is near it, the trained towers far above it.
    expect(a.history[0].validation.r1_at_100).toBeLessThan(0.3);
    expect(a.best.validation.r1_at_100).toBeGreaterThan(0.6);
    expect(a.best.validation.r1_at_100).toBe(Math.max(...a.history.map((e) => e.validation.r1_at_100)));
    expect(a.history[8].loss).toBeLessThan(a.history[1].loss);
    expect(progress[progress.length - 1]).toBe(8 * 8);
    const b = await trainChatRanker(train.pairs, vectorOf, validation, options);
    expect(Array.from(b.weights['context.w2'].data)).toEqual(Array.from(a.weights['context.w2'].data));
  }, 60_000);

  it('refuses fewer pairs than one batch', async () => {
    await expect(trainChatRanker([{ context: ['a'], response: 'b' }], () => new Float32Array(SENTENCE_VECTOR_SIZE), [], DEFAULT_CHAT_RANKER_OPTIONS)).rejects.toThrow(/at least one batch of 256 pairs, got 1/);
  });
});

describe('chooseMinScore', () => {
  it('takes the middle score of the first window of similar scores whose picks are right less than half the time', () => {
    // 40 contexts, top scores 0.99 down to 0.60; picks right for the top 15, then every third.
    const tops = Array.from({ length: 40 }, (_, i) => ({ score: 0.99 - i * 0.01, hit: i < 15 || i % 3 === 0 }));
    // Windows of 10: [11..20] has 6 right (11–15, 18), [12..21] 6, [13..22] 5 (half: not below);
    // the first below half is [14..23] with 4 (14, 15, 18, 21), so the middle is i = 19.
    expect(chooseMinScore(tops)).toBeCloseTo(0.99 - 19 * 0.01, 10);
    // Every pick right: the lowest top score seen.
    expect(chooseMinScore(tops.map((t) => ({ ...t, hit: true })))).toBeCloseTo(0.6, 10);
    expect(chooseMinScore([])).toBe(0);
  });
});
