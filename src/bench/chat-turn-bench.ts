/**
 * The retrieval path of a small-talk turn, timed (issue #4: ≤ 30 ms p50): the chatter encodes the
 * conversation and scans its response index. The index here is DailyDialog's train responses
 * (deduplicated against validation and test by the loader), a seeded sample of `indexSize`.
 */
import { loadDailyDialog } from '../data/corpora/dailydialog.js';
import type { Chatter } from '../dialogue/assistant.js';
import { buildResponseIndex, RetrievalChatter, type TextEncoder } from '../dialogue/chatter.js';
import { createRng, shuffle } from '../util/random.js';

export interface ChatTurnFigures {
  index_size: number;
  examples: number;
  ms_p50: number;
  ms_p95: number;
  /** Index building time (encoding every candidate once). */
  index_s: number;
}

/** DailyDialog train replies (every utterance after a dialogue's first), deduplicated, a seeded sample of `max`. */
export function dailyDialogReplies(max: number, seed: number): string[] {
  const replies = [...new Set(loadDailyDialog().train.flatMap((d) => d.slice(1)))];
  return shuffle(replies, createRng(seed)).slice(0, max);
}

/** Times `chatter.reply` on each context (its last turn as the message, the turns before as context). */
export async function timeChatTurns(chatter: Chatter, contexts: string[][]): Promise<number[]> {
  const ms: number[] = [];
  for (const turns of contexts) {
    if (turns.length === 0) continue;
    const t0 = performance.now();
    await chatter.reply({ context: turns.slice(0, -1), text: turns[turns.length - 1], exclude: new Set() });
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** The `p` quantile of ascending `sorted` (nearest rank); 0 for none. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
const round = (x: number) => Math.round(x * 100) / 100;

/**
 * Builds an index of `replies` with `encoder`, then times the retrieval path (no score threshold,
 * no generator, no known-words check, so every turn is encoded and ranked) on `contexts`.
 */
export async function measureChatTurns(encoder: TextEncoder, replies: string[], contexts: string[][]): Promise<ChatTurnFigures> {
  const t0 = performance.now();
  const index = await buildResponseIndex(encoder, replies);
  const indexS = (performance.now() - t0) / 1000;
  const chatter = new RetrievalChatter(encoder, index, { minScore: -Infinity, minKnownWords: 0 });
  // Warm-up: the first calls compile kernels.
  await timeChatTurns(chatter, contexts.slice(0, 5));
  const ms = (await timeChatTurns(chatter, contexts)).sort((a, b) => a - b);
  return { index_size: index.texts.length, examples: ms.length, ms_p50: round(percentile(ms, 0.5)), ms_p95: round(percentile(ms, 0.95)), index_s: round(indexS) };
}
