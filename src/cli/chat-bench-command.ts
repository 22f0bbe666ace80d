/** `duet bench chat`: run response selection, print a table and a JSON line, optionally write the JSON to a file. */
import { writeFileSync } from 'node:fs';
import type { ChatTurnFigures } from '../bench/chat-turn-bench.js';
import { DuetError } from '../errors.js';
import {
  CHAT_BENCH_DATASETS,
  buildSelectionSets,
  formatChatBenchTable,
  runResponseSelection,
  type ChatBenchDataset,
  type ChatBenchRow,
  type ResponseRanker,
} from '../bench/chat-bench.js';
import { DEFAULT_GENERATION_EXAMPLES, formatGenerationSummary, pickGenerationExamples, runGenerationBench, type GenerationResult, type ReplyModel } from '../bench/generation-bench.js';

/** Options as commander parses them. */
export interface ChatBenchCommandOptions {
  datasets: string;
  examples: number;
  seed: number;
  json?: string;
  /** Cap on the DailyDialog contexts the generation metrics read (default 200). */
  generationExamples?: number;
}

/** A reply model to measure (perplexity, distinct-n), with the name the report gives it. */
export interface ChatBenchGenerator {
  name: string;
  model: ReplyModel;
}

/** What `duet bench chat` prints as JSON and writes with `--json`. */
export interface ChatBenchOutput {
  machine: string;
  date: string;
  sets: { dataset: ChatBenchDataset; description: string; dialogues: number; available: number; examples: number }[];
  notes: string[];
  results: ChatBenchRow[];
  /** The generator's perplexity on DailyDialog test replies, per token of its own tokenizer (only with --model). */
  perplexity?: number;
  distinct1?: number;
  distinct2?: number;
  generation?: GenerationResult['generation'] & { model: string };
  /** Latency of a small-talk turn's retrieval path (only with --model). */
  chat_turn?: ChatTurnFigures;
}

/** Said whenever no ranker of Duet's own is part of the run, so no table is mistaken for Duet's result. */
export const NO_DUET_RANKER_NOTE = "Duet's own response ranker is not wired into `duet bench chat` yet: only the BM25 and TF-IDF baselines ran.";

/** Said when no model generates: the JSON then has no perplexity or distinct-n. */
export const NO_GENERATOR_NOTE = 'Generation metrics (perplexity, distinct-1/2) need --model <pretrain-dir>: omitted.';

/** "dailydialog,topical-chat" → the dataset names, or a DuetError naming the valid ones. */
export function parseChatDatasets(list: string): ChatBenchDataset[] {
  const names = list.split(',').map((d) => d.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(CHAT_BENCH_DATASETS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new DuetError('BENCH_INVALID', `Unknown chat benchmark dataset(s) ${unknown.map((u) => `'${u}'`).join(', ') || '(none given)'}; valid: ${CHAT_BENCH_DATASETS.join(', ')}.`);
  }
  return names as ChatBenchDataset[];
}

/**
 * Run the benchmark with the baselines plus `rankers` (Duet's, when a caller has one), and, with a
 * `generator`, its perplexity and distinct-n on a seeded subset of the DailyDialog examples.
 */
export async function runChatBenchCommand(
  opts: ChatBenchCommandOptions,
  machine: string,
  rankers: ResponseRanker[] = [],
  generator?: ChatBenchGenerator,
  chatTurns?: (contexts: string[][]) => Promise<ChatTurnFigures>,
): Promise<ChatBenchOutput> {
  const datasets = parseChatDatasets(opts.datasets);
  const sets = buildSelectionSets({ datasets, maxExamples: opts.examples, seed: opts.seed });
  const notes = sets.map((s) => `${s.description}; ${s.examples.length} of ${s.available} contexts (seeded sample, seed ${opts.seed}), each with 99 negatives from other dialogues.`);
  notes.push('A tie with the true response counts as a miss.');
  if (rankers.length === 0) notes.push(NO_DUET_RANKER_NOTE);
  // Generation and the chat-turn timing read the DailyDialog selection examples, built here when --datasets leaves DailyDialog out.
  const dialogue = generator || chatTurns ? (sets.find((s) => s.dataset === 'dailydialog') ?? buildSelectionSets({ datasets: ['dailydialog'], maxExamples: opts.examples, seed: opts.seed })[0]) : undefined;
  const generationExamples = dialogue ? pickGenerationExamples(dialogue.examples, opts.generationExamples ?? DEFAULT_GENERATION_EXAMPLES, opts.seed) : [];
  if (generator) {
    notes.push(
      `Generation: ${generator.name} on ${generationExamples.length} of the DailyDialog test contexts above (seeded sample, seed ${opts.seed}); ` +
        `perplexity of the true replies per token of the model's own tokenizer (${generator.model.tokenizerDescription}), each reply's closing [SEP] counted, so it is not comparable with word-level perplexities in papers.`,
    );
  } else {
    notes.push(NO_GENERATOR_NOTE);
  }
  for (const note of notes) process.stderr.write(`${note}\n`);
  const results = await runResponseSelection(rankers, { sets });
  const output: ChatBenchOutput = {
    machine,
    date: new Date().toISOString(),
    sets: sets.map((s) => ({ dataset: s.dataset, description: s.description, dialogues: s.dialogues, available: s.available, examples: s.examples.length })),
    notes,
    results,
  };
  let summary = '';
  if (generator) {
    const measured = await runGenerationBench(generator.model, generationExamples, { dataset: 'DailyDialog test', seed: opts.seed });
    Object.assign(output, { perplexity: measured.perplexity, distinct1: measured.distinct1, distinct2: measured.distinct2, generation: { model: generator.name, ...measured.generation } });
    summary = `${formatGenerationSummary(generator.name, measured)}\n`;
  }
  if (chatTurns) {
    const figures = await chatTurns(generationExamples.map((e) => e.context));
    output.chat_turn = figures;
    summary += `small-talk turn, retrieval path: p50 ${figures.ms_p50} ms, p95 ${figures.ms_p95} ms over ${figures.examples} DailyDialog test contexts, index of ${figures.index_size} DailyDialog train replies (built in ${figures.index_s} s)\n`;
  }
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
  const notesUnder = [rankers.length === 0 ? NO_DUET_RANKER_NOTE : '', generator ? '' : NO_GENERATOR_NOTE].filter(Boolean).map((n) => `note: ${n}\n`);
  process.stdout.write(`${formatChatBenchTable(results)}\n${summary}${notesUnder.join('')}${JSON.stringify(output)}\n`);
  return output;
}
