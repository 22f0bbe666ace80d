import { describe, expect, it } from 'vitest';
import type { SelectionExample } from './chat-bench.js';
import { formatGenerationSummary, GENERATION_SETTINGS, pickGenerationExamples, runGenerationBench, type ReplyModel } from './generation-bench.js';

const examples: SelectionExample[] = Array.from({ length: 10 }, (_, d) => ({ dialogue: d, context: [`question ${d}`], candidates: [`answer ${d} is here`, 'negative'] }));

/** Every token has probability 1/4; replies echo the seed so distinct-n is known. */
const fake: ReplyModel & { seeds: number[]; settings: unknown[] } = {
  tokenizerDescription: 'test pieces',
  seeds: [],
  settings: [],
  async logProbOf(_context, response) {
    const tokens = response.split(' ').length + 1;
    return { logProbSum: tokens * Math.log(0.25), tokens };
  },
  async reply(_context, options) {
    this.seeds.push(options.seed);
    this.settings.push(options);
    return { text: options.seed % 2 === 0 ? 'yes yes' : 'no thanks', tokens: 2, ended: options.seed % 2 === 0 };
  },
};

describe('generation benchmark', () => {
  it('takes a seeded subset of the examples in their order, all of them when fewer', () => {
    const picked = pickGenerationExamples(examples, 4, 1);
    expect(picked).toHaveLength(4);
    expect(picked.map((e) => e.dialogue)).toEqual([...picked.map((e) => e.dialogue)].sort((a, b) => a - b));
    expect(pickGenerationExamples(examples, 4, 1)).toEqual(picked);
    expect(pickGenerationExamples(examples, 4, 2)).not.toEqual(picked);
    expect(pickGenerationExamples(examples, 50, 1)).toEqual(examples);
  });

  it('counts perplexity over the true replies and distinct-n over sampled ones, with the fixed settings', async () => {
    const result = await runGenerationBench(fake, examples.slice(0, 4), { dataset: 'toy', seed: 10 });
    expect(result.perplexity).toBe(4);
    expect(result.generation.scored_tokens).toBe(4 * 5);
    // Replies: "yes yes", "no thanks", "yes yes", "no thanks": 3 distinct words of 8, 3 distinct bigrams of 4.
    expect(result.distinct1).toBe(0.375);
    expect(result.distinct2).toBe(0.5);
    expect(fake.seeds).toEqual([10, 11, 12, 13]);
    expect(fake.settings[0]).toEqual({ ...GENERATION_SETTINGS, seed: 10 });
    expect(result.generation).toMatchObject({ examples: 4, tokenizer: 'test pieces', mean_tokens: 2, ended_share: 0.5, settings: { top_p: 0.9, temperature: 0.8, repetition_penalty: 1.2, max_tokens: 30, seed: 10 } });
    expect(result.generation.samples[0]).toEqual({ context: ['question 0'], reference: 'answer 0 is here', reply: 'yes yes' });
    const summary = formatGenerationSummary('toy model', result);
    expect(summary).toMatch(/perplexity 4\.00 per token of the model's own tokenizer \(test pieces; 20 tokens.*not comparable with word-level perplexities/);
    expect(summary).toMatch(/distinct-1 0\.3750, distinct-2 0\.5000/);
  });
});
