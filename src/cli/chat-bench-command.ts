/** `duet bench chat`: run response selection, print a table and a JSON line, optionally write the JSON to a file. */
import { writeFileSync } from 'node:fs';
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

/** Options as commander parses them. */
export interface ChatBenchCommandOptions {
  datasets: string;
  examples: number;
  seed: number;
  json?: string;
}

/** What `duet bench chat` prints as JSON and writes with `--json`. */
export interface ChatBenchOutput {
  machine: string;
  date: string;
  sets: { dataset: ChatBenchDataset; description: string; dialogues: number; available: number; examples: number }[];
  notes: string[];
  results: ChatBenchRow[];
}

/** Said whenever no ranker of Duet's own is part of the run, so no table is mistaken for Duet's result. */
export const NO_DUET_RANKER_NOTE = "Duet's own response ranker is not wired into `duet bench chat` yet: only the BM25 and TF-IDF baselines ran.";

/** "dailydialog,topical-chat" → the dataset names, or a DuetError naming the valid ones. */
export function parseChatDatasets(list: string): ChatBenchDataset[] {
  const names = list.split(',').map((d) => d.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(CHAT_BENCH_DATASETS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new DuetError('BENCH_INVALID', `Unknown chat benchmark dataset(s) ${unknown.map((u) => `'${u}'`).join(', ') || '(none given)'}; valid: ${CHAT_BENCH_DATASETS.join(', ')}.`);
  }
  return names as ChatBenchDataset[];
}

/** Run the benchmark with the baselines plus `rankers` (Duet's, when a caller has one). */
export async function runChatBenchCommand(opts: ChatBenchCommandOptions, machine: string, rankers: ResponseRanker[] = []): Promise<ChatBenchOutput> {
  const datasets = parseChatDatasets(opts.datasets);
  const sets = buildSelectionSets({ datasets, maxExamples: opts.examples, seed: opts.seed });
  const notes = sets.map((s) => `${s.description}; ${s.examples.length} of ${s.available} contexts (seeded sample, seed ${opts.seed}), each with 99 negatives from other dialogues.`);
  notes.push('A tie with the true response counts as a miss.');
  if (rankers.length === 0) notes.push(NO_DUET_RANKER_NOTE);
  for (const note of notes) process.stderr.write(`${note}\n`);
  const results = await runResponseSelection(rankers, { sets });
  const output: ChatBenchOutput = {
    machine,
    date: new Date().toISOString(),
    sets: sets.map((s) => ({ dataset: s.dataset, description: s.description, dialogues: s.dialogues, available: s.available, examples: s.examples.length })),
    notes,
    results,
  };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`${formatChatBenchTable(results)}\n${rankers.length === 0 ? `note: ${NO_DUET_RANKER_NOTE}\n` : ''}${JSON.stringify(output)}\n`);
  return output;
}
