/**
 * `duet bench chat`: response selection on held-out conversations. Each example is a context
 * (up to the last 3 turns), its true next turn and negatives drawn (seeded) from the responses
 * of other dialogues of the same test set. A system gets the example right when it scores the
 * true response strictly above every negative: 1-of-100 ("r1_at_100") with 99 negatives, and
 * 1-of-10 ("r1_at_10") with the first 9 of them. Ties count as misses, so a system that scores
 * everything alike gets 0, not 1/100. BM25 and TF-IDF run in the same call as baselines.
 *
 * Also the generation metrics that later benchmarks report: distinct-n and perplexity.
 */
import { DuetError } from '../errors.js';
import { loadDailyDialog } from '../data/corpora/dailydialog.js';
import { looseKey } from '../data/corpora/detokenise.js';
import { loadTopicalChat } from '../data/corpora/topical-chat.js';
import { createRng, shuffle } from '../util/random.js';
import { createBm25Ranker, createTfidfRanker, tokenizeWords, type ResponseRanker } from './lexical-rankers.js';

export { createBm25Ranker, createTfidfRanker, tokenizeWords, type ResponseRanker } from './lexical-rankers.js';

/** Datasets `duet bench chat` evaluates on. */
export const CHAT_BENCH_DATASETS = Object.freeze(['dailydialog', 'topical-chat'] as const);

/** One of `CHAT_BENCH_DATASETS`. */
export type ChatBenchDataset = (typeof CHAT_BENCH_DATASETS)[number];

/** One row of results. */
export interface ChatBenchRow {
  dataset: ChatBenchDataset;
  system: string;
  r1_at_100: number;
  r1_at_10: number;
  examples: number;
}

/** One response-selection example: `candidates[0]` is the true response, the rest negatives. */
export interface SelectionExample {
  /** Index of the dialogue the context comes from. */
  dialogue: number;
  context: string[];
  /** True response first, then the negatives; the 1-of-10 set is the first 10. */
  candidates: string[];
}

/** An evaluation set of one dataset. */
export interface SelectionSet {
  dataset: ChatBenchDataset;
  /** Where the dialogues come from and what was dropped, for the report. */
  description: string;
  dialogues: number;
  /** Examples the dialogues offer before the cap. */
  available: number;
  examples: SelectionExample[];
  /** Every distinct response text of the set (a superset of the candidates): the baselines' IDF statistics. */
  pool: string[];
}

/** Options of `buildSelectionExamples`. */
export interface SelectionOptions {
  /** Negatives per example (default 99). */
  negatives?: number;
  /** Cap on examples, a seeded sample (default 1,000). */
  maxExamples?: number;
  /** Earlier turns kept as context (default 3). */
  maxContext?: number;
  seed?: number;
}

/** Default cap on examples per dataset. */
export const DEFAULT_EXAMPLES = 1000;

/**
 * Build response-selection examples from dialogues: every turn after the first is a response
 * (a sample of `maxExamples` of them), with negatives drawn from the responses of the other
 * dialogues. A negative never has the loose text of any utterance of the example's own
 * dialogue (so never the true response either), and the negatives of one example are distinct.
 */
export function buildSelectionExamples(dialogues: string[][], options: SelectionOptions = {}): { examples: SelectionExample[]; available: number; pool: string[] } {
  const negatives = options.negatives ?? 99;
  const maxContext = options.maxContext ?? 3;
  const rng = createRng(options.seed ?? 1);

  // Negatives come from `pool`, one text per loose key; `responses` keeps every distinct text.
  const pool: { text: string; key: string }[] = [];
  const poolKeys = new Set<string>();
  const responses = new Set<string>();
  const all: { dialogue: number; turn: number }[] = [];
  dialogues.forEach((dialogue, d) => {
    dialogue.forEach((text, turn) => {
      if (turn === 0) return;
      const key = looseKey(text);
      if (!key) return; // "..." alone says nothing a ranker could match
      all.push({ dialogue: d, turn });
      responses.add(text);
      if (!poolKeys.has(key)) {
        poolKeys.add(key);
        pool.push({ text, key });
      }
    });
  });

  const picked = shuffle(
    all.map((_, i) => i),
    rng,
  )
    .slice(0, options.maxExamples ?? DEFAULT_EXAMPLES)
    .sort((a, b) => a - b);
  const examples = picked.map((i) => {
    const { dialogue: d, turn } = all[i];
    const own = new Set(dialogues[d].map(looseKey));
    const eligible = pool.length - [...own].filter((key) => poolKeys.has(key)).length;
    if (eligible < negatives) {
      throw new DuetError('BENCH_INVALID', `Not enough responses from other dialogues for ${negatives} negatives (only ${eligible}); use fewer negatives or more dialogues.`);
    }
    const chosen = new Set<number>();
    const drawn: string[] = [];
    while (drawn.length < negatives) {
      const j = Math.floor(rng() * pool.length);
      if (chosen.has(j) || own.has(pool[j].key)) continue;
      chosen.add(j);
      drawn.push(pool[j].text);
    }
    return { dialogue: d, context: dialogues[d].slice(Math.max(0, turn - maxContext), turn), candidates: [dialogues[d][turn], ...drawn] };
  });
  return { examples, available: all.length, pool: [...responses] };
}

/**
 * Whether the true response (index 0) scores strictly above every other candidate among the
 * first `k` (all when omitted). Ties and non-finite scores count as misses.
 */
export function hitAt1(scores: number[], k = scores.length): boolean {
  const truth = scores[0];
  if (!Number.isFinite(truth)) return false;
  for (let i = 1; i < Math.min(k, scores.length); i++) if (!(truth > scores[i])) return false;
  return true;
}

/** Options of `buildSelectionSets`. */
export interface ChatBenchOptions extends SelectionOptions {
  datasets?: readonly ChatBenchDataset[];
  /** Data folder (default: `DUET_DATA_DIR` or `<package>/../shared/data`). */
  dataDir?: string;
}

/** Build the evaluation sets: DailyDialog test (dialogues not in train) and Topical-Chat test_freq. */
export function buildSelectionSets(options: ChatBenchOptions = {}): SelectionSet[] {
  const load = options.dataDir ? { dataDir: options.dataDir } : {};
  return (options.datasets ?? CHAT_BENCH_DATASETS).map((dataset) => {
    let dialogues: string[][];
    let description: string;
    if (dataset === 'dailydialog') {
      const dd = loadDailyDialog(load);
      dialogues = dd.test;
      description = `DailyDialog test: ${dd.test.length} of ${dd.stats.released.test} dialogues (dropped ${dd.stats.heldOutRepeats.test} repeated within test and ${dd.stats.heldOutOverlappingTrain.test} that overlap train)`;
    } else if (dataset === 'topical-chat') {
      dialogues = loadTopicalChat('test_freq', load).map((c) => c.turns.map((t) => t.text));
      description = `Topical-Chat test_freq: ${dialogues.length} conversations`;
    } else {
      throw new DuetError('BENCH_INVALID', `Unknown chat benchmark dataset '${String(dataset)}'; valid: ${CHAT_BENCH_DATASETS.join(', ')}.`);
    }
    const built = buildSelectionExamples(dialogues, options);
    return { dataset, description, dialogues: dialogues.length, ...built };
  });
}

/** Recall@1 of one ranker on one set. */
export async function evaluateRanker(ranker: ResponseRanker, examples: SelectionExample[]): Promise<{ r1_at_100: number; r1_at_10: number }> {
  let hits100 = 0;
  let hits10 = 0;
  for (const example of examples) {
    const scores = await ranker.score(example.context, example.candidates);
    if (scores.length !== example.candidates.length) {
      throw new DuetError('BENCH_INVALID', `Ranker '${ranker.name}' returned ${scores.length} scores for ${example.candidates.length} candidates.`);
    }
    if (hitAt1(scores)) hits100++;
    if (hitAt1(scores, 10)) hits10++;
  }
  const n = Math.max(1, examples.length);
  return { r1_at_100: round4(hits100 / n), r1_at_10: round4(hits10 / n) };
}

/** Options of `runResponseSelection`. */
export interface ResponseSelectionOptions extends ChatBenchOptions {
  /** Prebuilt sets (from `buildSelectionSets`); built from the other options when absent. */
  sets?: SelectionSet[];
  /** Add BM25 and TF-IDF, built on each set's response pool (default true). */
  baselines?: boolean;
}

/** Run the baselines and `rankers` on every set; one row per (dataset, system). */
export async function runResponseSelection(rankers: ResponseRanker[], options: ResponseSelectionOptions = {}): Promise<ChatBenchRow[]> {
  const sets = options.sets ?? buildSelectionSets(options);
  const rows: ChatBenchRow[] = [];
  for (const set of sets) {
    const systems = [...(options.baselines === false ? [] : [createBm25Ranker(set.pool), createTfidfRanker(set.pool)]), ...rankers];
    for (const system of systems) {
      const result = await evaluateRanker(system, set.examples);
      rows.push({ dataset: set.dataset, system: system.name, ...result, examples: set.examples.length });
    }
  }
  return rows;
}

/** The rows as an aligned text table (recall in %). */
export function formatChatBenchTable(rows: ChatBenchRow[]): string {
  const pct = (v: number) => (v * 100).toFixed(1);
  const header = ['dataset', 'system', 'R@1/100 %', 'R@1/10 %', 'examples'];
  const cells = rows.map((r) => [r.dataset, r.system, pct(r.r1_at_100), pct(r.r1_at_10), String(r.examples)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (c: string[]) => c.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * distinct-n (Li et al. 2016): distinct n-grams over all n-grams of `texts` (words as
 * `tokenizeWords` splits them; n-grams do not cross texts). 0 when there is no n-gram.
 */
export function distinctN(texts: string[], n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new DuetError('BENCH_INVALID', `distinct-n needs a positive integer n, got ${n}.`);
  const seen = new Set<string>();
  let total = 0;
  for (const text of texts) {
    const words = tokenizeWords(text);
    for (let i = 0; i + n <= words.length; i++) {
      seen.add(words.slice(i, i + n).join(' '));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/**
 * Corpus perplexity exp(-Σ log p / Σ tokens) from per-text sums of natural-log token
 * probabilities and the token counts they cover.
 */
export function perplexity(logProbSums: number[], tokenCounts: number[]): number {
  if (logProbSums.length !== tokenCounts.length) throw new DuetError('BENCH_INVALID', `perplexity: ${logProbSums.length} log-probability sums for ${tokenCounts.length} token counts.`);
  const tokens = tokenCounts.reduce((a, b) => a + b, 0);
  if (tokens <= 0) throw new DuetError('BENCH_INVALID', 'perplexity: no tokens to average over.');
  const logProb = logProbSums.reduce((a, b) => a + b, 0);
  return Math.exp(-logProb / tokens);
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
