import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../data/datasets/files.js';
import { looseKey } from '../data/corpora/detokenise.js';
import {
  buildSelectionExamples,
  buildSelectionSets,
  createBm25Ranker,
  createTfidfRanker,
  distinctN,
  evaluateRanker,
  formatChatBenchTable,
  hitAt1,
  perplexity,
  runResponseSelection,
  type ResponseRanker,
} from './chat-bench.js';

/** 30 dialogues of 4 turns; every utterance names its dialogue, so a negative's origin is visible. */
const dialogues = Array.from({ length: 30 }, (_, d) => Array.from({ length: 4 }, (_, t) => `dialogue ${d} turn ${t}`));
const origin = (text: string) => Number(/dialogue (\d+)/.exec(text)?.[1]);

describe('buildSelectionExamples', () => {
  it('puts the true response first and never a response of the same dialogue among the negatives', () => {
    const { examples, available } = buildSelectionExamples(dialogues, { negatives: 20, maxExamples: 50, seed: 3 });
    expect(available).toBe(30 * 3);
    expect(examples).toHaveLength(50);
    for (const example of examples) {
      const [truth, ...negatives] = example.candidates;
      expect(origin(truth)).toBe(example.dialogue);
      expect(negatives).toHaveLength(20);
      expect(new Set(negatives).size).toBe(20);
      expect(negatives.every((n) => origin(n) !== example.dialogue)).toBe(true);
      expect(example.context.length).toBeGreaterThanOrEqual(1);
      expect(example.context.length).toBeLessThanOrEqual(3);
      expect(example.context.every((c) => origin(c) === example.dialogue)).toBe(true);
    }
  });

  it('excludes a negative that repeats a line of the same dialogue, even from another dialogue', () => {
    // Every dialogue says "Thank you." at turn 1: it may never be a negative, since it is a line of every dialogue.
    const thanks = dialogues.map((d) => [d[0], 'Thank you.', ...d.slice(2)]);
    const { examples } = buildSelectionExamples(thanks, { negatives: 30, seed: 1 });
    for (const example of examples) expect(example.candidates.slice(1).some((n) => looseKey(n) === looseKey('Thank you!'))).toBe(false);
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = buildSelectionExamples(dialogues, { negatives: 9, maxExamples: 20, seed: 5 });
    expect(buildSelectionExamples(dialogues, { negatives: 9, maxExamples: 20, seed: 5 })).toEqual(a);
    expect(buildSelectionExamples(dialogues, { negatives: 9, maxExamples: 20, seed: 6 })).not.toEqual(a);
  });

  it('refuses to draw more negatives than other dialogues offer', () => {
    expect(() => buildSelectionExamples(dialogues.slice(0, 3), { negatives: 99 })).toThrow(/Not enough responses/);
  });
});

describe('recall@1', () => {
  const { examples } = buildSelectionExamples(dialogues, { negatives: 99 - 20, seed: 2 });

  it('is 1 for a ranker that knows the answer', async () => {
    const oracle: ResponseRanker = {
      name: 'oracle',
      score: async (context, candidates) => candidates.map((c) => (origin(c) === origin(context[0]) ? 1 : 0)),
    };
    expect(await evaluateRanker(oracle, examples)).toEqual({ r1_at_100: 1, r1_at_10: 1 });
  });

  it('is 0 for a constant ranker: a tie with the true response is a miss', async () => {
    const constant: ResponseRanker = { name: 'constant', score: async (_c, candidates) => candidates.map(() => 0.5) };
    expect(await evaluateRanker(constant, examples)).toEqual({ r1_at_100: 0, r1_at_10: 0 });
  });

  it('hitAt1 reads the first k candidates only, and NaN is a miss', () => {
    expect(hitAt1([2, 1, 1, 3])).toBe(false);
    expect(hitAt1([2, 1, 1, 3], 3)).toBe(true);
    expect(hitAt1([1, 1])).toBe(false);
    expect(hitAt1([Number.NaN, 0])).toBe(false);
  });

  it('rejects a ranker that returns the wrong number of scores', async () => {
    const broken: ResponseRanker = { name: 'broken', score: async () => [1] };
    await expect(evaluateRanker(broken, examples)).rejects.toThrow(/returned 1 scores for 80 candidates/);
  });
});

describe('lexical baselines', () => {
  const candidates = ['I love pizza with extra cheese.', 'The train leaves at noon.', 'My cat sleeps all day.', 'Do you like hiking?'];
  const context = ['What should we eat tonight?', 'Maybe pizza? With lots of cheese!'];

  it.each([['BM25', createBm25Ranker], ['TF-IDF', createTfidfRanker]] as const)('%s ranks the overlapping candidate first', async (_name, create) => {
    const scores = await create(candidates).score(context, candidates);
    expect(scores).toHaveLength(4);
    expect(scores.indexOf(Math.max(...scores))).toBe(0);
    expect(scores[1]).toBe(0);
  });

  it('score a candidate the same whichever candidates come with it', async () => {
    for (const ranker of [createBm25Ranker(candidates), createTfidfRanker(candidates)]) {
      const all = await ranker.score(context, candidates);
      const two = await ranker.score(context, [candidates[3], candidates[0]]);
      expect(two).toEqual([all[3], all[0]]);
    }
  });

  it('BM25 refuses a candidate outside its pool rather than scoring it wrongly', async () => {
    await expect(createBm25Ranker(candidates).score(context, ['something new'])).rejects.toThrow(/not in the pool/);
  });

  it('runResponseSelection runs both baselines and the given rankers on prebuilt sets', async () => {
    // Each dialogue talks about its own topic word, which the baselines can match.
    const topical = dialogues.map((d, i) => d.map((_, t) => `we talk about topic${i} now, part ${'abcd'[t]}`));
    const built = buildSelectionExamples(topical, { negatives: 20, maxExamples: 10, seed: 1 });
    const constant: ResponseRanker = { name: 'constant', score: async (_c, cs) => cs.map(() => 0) };
    const rows = await runResponseSelection([constant], { sets: [{ dataset: 'dailydialog', description: 'toy', dialogues: 30, ...built }] });
    expect(rows.map((r) => r.system)).toEqual(['BM25', 'TF-IDF', 'constant']);
    expect(rows.every((r) => r.examples === 10)).toBe(true);
    expect(rows[0].r1_at_100).toBe(1);
    expect(rows[1].r1_at_100).toBe(1);
    expect(rows[2].r1_at_100).toBe(0);
    expect(formatChatBenchTable(rows).split('\n')).toHaveLength(5);
  });
});

describe('generation metrics', () => {
  it('distinct-n counts unique n-grams over all n-grams', () => {
    expect(distinctN(['a b a b'], 1)).toBe(2 / 4);
    expect(distinctN(['a b a b'], 2)).toBe(2 / 3);
    expect(distinctN(['a b', 'a b'], 2)).toBe(1 / 2);
    expect(distinctN(['a'], 2)).toBe(0);
    expect(() => distinctN(['a'], 0)).toThrow(/positive integer/);
  });

  it('perplexity is exp of the mean negative log-probability per token', () => {
    expect(perplexity([4 * Math.log(0.5)], [4])).toBeCloseTo(2, 10);
    expect(perplexity([Math.log(0.25), 3 * Math.log(0.25)], [1, 3])).toBeCloseTo(4, 10);
    expect(() => perplexity([1], [1, 2])).toThrow(/1 log-probability sums for 2 token counts/);
    expect(() => perplexity([], [])).toThrow(/no tokens/);
  });
});

const dataDir = resolveDataDir();
describe.runIf(existsSync(join(dataDir, 'dailydialog')) && existsSync(join(dataDir, 'topical-chat')))('evaluation sets from the real data', () => {
  it('build 1-of-100 examples from DailyDialog test and Topical-Chat test_freq', () => {
    const sets = buildSelectionSets({ maxExamples: 30, seed: 1 });
    expect(sets.map((s) => s.dataset)).toEqual(['dailydialog', 'topical-chat']);
    const [dd, tc] = sets;
    expect(dd.dialogues).toBeGreaterThan(650);
    expect(dd.dialogues).toBeLessThan(1000);
    expect(dd.description).toMatch(/DailyDialog test: \d+ of 1000 dialogues \(dropped \d+ repeated within test and \d+ that overlap train\)/);
    expect(tc.dialogues).toBe(539);
    for (const set of sets) {
      expect(set.examples).toHaveLength(30);
      expect(set.available).toBeGreaterThan(4000);
      expect(set.examples.every((e) => e.candidates.length === 100)).toBe(true);
    }
  });
});
