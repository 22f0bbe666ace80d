/**
 * The generation half of `duet bench chat --model`: how likely the model finds the true replies
 * of DailyDialog test (perplexity per token of its own tokenizer) and how varied its sampled
 * replies are (distinct-1/2), on a seeded subset of the response-selection examples.
 */
import { createRng, shuffle } from '../util/random.js';
import { distinctN, perplexity, type SelectionExample } from './chat-bench.js';

/** What the benchmark needs of a reply model (src/model/reply-generator.ts has it). */
export interface ReplyModel {
  /** Names the tokenizer the perplexity is counted in. */
  readonly tokenizerDescription: string;
  logProbOf(context: string[], response: string): Promise<{ logProbSum: number; tokens: number }>;
  reply(
    context: string[],
    options: { maxTokens: number; topP: number; temperature: number; repetitionPenalty: number; seed: number },
  ): Promise<{ text: string; tokens: number; ended?: boolean }>;
}

/** How replies are sampled: fixed, so runs compare. */
export const GENERATION_SETTINGS = Object.freeze({ topP: 0.9, temperature: 0.8, repetitionPenalty: 1.2, maxTokens: 30 });

/** Default cap on the contexts the generation metrics read. */
export const DEFAULT_GENERATION_EXAMPLES = 200;

/** The generation figures of one run. */
export interface GenerationResult {
  /** exp(−Σ ln p / Σ tokens) over the true replies and their closing [SEP]. */
  perplexity: number;
  distinct1: number;
  distinct2: number;
  generation: {
    dataset: string;
    examples: number;
    /** The tokenizer both perplexity and lengths are counted in. */
    tokenizer: string;
    /** Tokens the perplexity averages over (reply pieces plus one [SEP] each). */
    scored_tokens: number;
    /** Tokens generated per second of reply(), prompt reading included; a closing [SEP] counts. */
    tokens_per_s: number;
    /** Mean generated reply length in tokens ([SEP] not counted). */
    mean_tokens: number;
    /** Share of replies the model ended itself with [SEP] (the rest hit max_tokens). */
    ended_share: number;
    settings: { top_p: number; temperature: number; repetition_penalty: number; max_tokens: number; seed: number };
    /** A few contexts with the true and the generated reply, to read. */
    samples: { context: string[]; reference: string; reply: string }[];
  };
}

/** A seeded sample of `max` of the examples, in their original order. */
export function pickGenerationExamples(examples: SelectionExample[], max: number, seed: number): SelectionExample[] {
  if (examples.length <= max) return examples;
  const picked = shuffle(
    examples.map((_, i) => i),
    createRng(seed),
  )
    .slice(0, max)
    .sort((a, b) => a - b);
  return picked.map((i) => examples[i]);
}

/** Score the true replies, then sample a reply per context (seed + i for the i-th). */
export async function runGenerationBench(model: ReplyModel, examples: SelectionExample[], options: { dataset: string; seed: number; samples?: number }): Promise<GenerationResult> {
  const sums: number[] = [];
  const counts: number[] = [];
  for (const example of examples) {
    const { logProbSum, tokens } = await model.logProbOf(example.context, example.candidates[0]);
    sums.push(logProbSum);
    counts.push(tokens);
  }
  const replies: string[] = [];
  let generated = 0;
  let ended = 0;
  let steps = 0;
  let seconds = 0;
  for (let i = 0; i < examples.length; i++) {
    const started = performance.now();
    const reply = await model.reply(examples[i].context, { ...GENERATION_SETTINGS, seed: options.seed + i });
    seconds += (performance.now() - started) / 1000;
    replies.push(reply.text);
    generated += reply.tokens;
    if (reply.ended) ended++;
    // The closing [SEP] was generated too: it counts for speed, not for length.
    steps += reply.tokens + (reply.ended ? 1 : 0);
  }
  const n = Math.max(1, examples.length);
  return {
    perplexity: round(perplexity(sums, counts), 2),
    distinct1: round(distinctN(replies, 1), 4),
    distinct2: round(distinctN(replies, 2), 4),
    generation: {
      dataset: options.dataset,
      examples: examples.length,
      tokenizer: model.tokenizerDescription,
      scored_tokens: counts.reduce((a, b) => a + b, 0),
      tokens_per_s: round(seconds > 0 ? steps / seconds : 0, 1),
      mean_tokens: round(generated / n, 2),
      ended_share: round(ended / n, 4),
      settings: {
        top_p: GENERATION_SETTINGS.topP,
        temperature: GENERATION_SETTINGS.temperature,
        repetition_penalty: GENERATION_SETTINGS.repetitionPenalty,
        max_tokens: GENERATION_SETTINGS.maxTokens,
        seed: options.seed,
      },
      samples: examples.slice(0, options.samples ?? 3).map((e, i) => ({ context: e.context, reference: e.candidates[0], reply: replies[i] })),
    },
  };
}

/** The lines printed under the selection table. */
export function formatGenerationSummary(name: string, result: GenerationResult): string {
  const g = result.generation;
  const s = g.settings;
  return [
    `generation by ${name} on ${g.dataset}, ${g.examples} contexts:`,
    `  perplexity ${result.perplexity.toFixed(2)} per token of the model's own tokenizer (${g.tokenizer}; ${g.scored_tokens} tokens, each reply's closing [SEP] included): not comparable with word-level perplexities in papers`,
    `  distinct-1 ${result.distinct1.toFixed(4)}, distinct-2 ${result.distinct2.toFixed(4)} of sampled replies (top-p ${s.top_p}, temperature ${s.temperature}, repetition penalty ${s.repetition_penalty}, at most ${s.max_tokens} tokens, seed ${s.seed} + i)`,
    `  mean reply ${g.mean_tokens.toFixed(1)} tokens, ${(g.ended_share * 100).toFixed(0)}% ended with [SEP], ${g.tokens_per_s.toFixed(1)} tokens/s`,
  ].join('\n');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
