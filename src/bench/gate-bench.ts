/**
 * `duet bench gate`: the request gate (src/model/request-gate.ts) on test messages it never saw,
 * requests from the task corpora against small talk from the dialogue corpora, with nlp.js
 * trained on the same training messages (two intents) in the same run. Test splits are read here
 * only; the gate's threshold was chosen on validation when it was trained.
 */
import type { ChatRanker } from '../model/chat-ranker.js';
import { gateValidation, requestGateData, type GateExample } from '../train/train-request-gate.js';
import { percentile } from './chat-turn-bench.js';
import { trainNlpjs } from './peer-nlpjs.js';

export interface GateBenchRow {
  system: 'duet' | 'nlp.js';
  balanced_accuracy: number;
  request_recall: number;
  small_talk_recall: number;
  /** Share right per test source. */
  by_source: Record<string, number>;
  /** Per message, sentence encoding included for Duet. */
  infer_ms_p50: number;
  train_s?: number;
  /** nlp.js only: test messages it matched to neither intent (counted as requests, which the assistant declines). */
  none?: number;
  /** nlp.js only: the training sample size chosen on validation. */
  train_messages?: number;
}

export interface GateBenchOutput {
  test: { messages: number; by_source: Record<string, number> };
  notes: string[];
  results: GateBenchRow[];
}

export interface GateBenchOptions {
  dataDir?: string;
  /** Most test messages per source (default 500). */
  perSource?: number;
  /** The seed the ranker's gate was trained with (the same training sample for nlp.js). */
  seed?: number;
  peer?: boolean;
  log?: (line: string) => void;
}

const REQUEST = 'request';
/** Training sizes tried for nlp.js (besides all messages). */
const NLPJS_SIZES = [1000, 2000, 4000, 8000];
const SMALL_TALK = 'small_talk';

export async function benchRequestGate(ranker: ChatRanker, options: GateBenchOptions = {}): Promise<GateBenchOutput> {
  const log = options.log ?? (() => {});
  if (!ranker.hasRequestGate) throw new Error('this chat ranker has no request gate: train one with `duet train-ranker` (without --no-request-gate)');
  const seed = options.seed ?? 1;
  const load = options.dataDir ? { dataDir: options.dataDir } : {};
  // One read of the corpora: the test messages, and the training and validation ones nlp.js needs.
  const { train, validation, test } = requestGateData({ ...load, seed, validationPerSource: options.perSource ?? 500, test: true });
  const bySource: Record<string, number> = {};
  for (const e of test) bySource[e.source] = (bySource[e.source] ?? 0) + 1;
  log(`bench gate: ${test.length} test messages (${Object.entries(bySource).map(([s, n]) => `${s} ${n}`).join(', ')})`);
  const notes = [
    'Requests: CLINC150 test outside its small-talk and yes/no/maybe/repeat/cancel intents (out-of-scope queries included), SNIPS, ATIS and Banking77 test, the first user turn of SGD test dialogues. Small talk: DailyDialog test turns and CLINC150 small-talk test intents.',
    `At most ${options.perSource ?? 500} messages per source, a seeded sample (seed ${seed}).`,
  ];
  const results: GateBenchRow[] = [];

  const duet = await classify(test, async (text) => ((await ranker.isRequest(text)) ? REQUEST : SMALL_TALK));
  results.push({ system: 'duet', ...duet.scores });
  log(`bench gate: duet balanced accuracy ${(duet.scores.balanced_accuracy * 100).toFixed(1)}%`);

  if (options.peer ?? true) {
    // nlp.js's network collapses to one class on some training sizes here (all 31k messages gave
    // 40% on validation, 2,000 gave 86%), so its size is chosen on validation, as Duet's threshold is.
    let best: { size: number; score: number; peer: Awaited<ReturnType<typeof trainNlpjs>> } | undefined;
    for (const size of NLPJS_SIZES.filter((n) => n < train.length).concat(train.length)) {
      const sample = train.filter((_, i) => i % Math.ceil(train.length / size) === 0);
      const peer = await trainNlpjs(
        sample.map((e) => ({ text: e.text, intent: e.request ? REQUEST : SMALL_TALK, slots: [] })),
        { outOfScopeIntent: 'none' },
      );
      const { scores } = await classify(validation, async (text) => ((await peer.predict(text)).intent === SMALL_TALK ? SMALL_TALK : REQUEST));
      log(`bench gate: nlp.js on ${sample.length} training messages: validation balanced accuracy ${(scores.balanced_accuracy * 100).toFixed(1)}%`);
      if (!best || scores.balanced_accuracy > best.score) best = { size: sample.length, score: scores.balanced_accuracy, peer };
    }
    const chosen = best as NonNullable<typeof best>;
    let none = 0;
    const nlpjs = await classify(test, async (text) => {
      const { intent } = await chosen.peer.predict(text);
      if (intent === 'none') none++;
      return intent === SMALL_TALK ? SMALL_TALK : REQUEST;
    });
    results.push({ system: 'nlp.js', ...nlpjs.scores, train_s: round(chosen.peer.trainSeconds), none, train_messages: chosen.size });
    notes.push(
      `nlp.js (node-nlp) trained as two intents on an even sample of Duet's ${train.length} training messages, its size (${[...NLPJS_SIZES, train.length].join(', ')}) chosen on the gate's validation messages: ${chosen.size}. Its None answer counts as a request, since an assistant declines what it cannot place.`,
    );
    log(`bench gate: nlp.js balanced accuracy ${(nlpjs.scores.balanced_accuracy * 100).toFixed(1)}%`);
  }
  return { test: { messages: test.length, by_source: bySource }, notes, results };
}

async function classify(test: GateExample[], predict: (text: string) => Promise<string>): Promise<{ scores: Omit<GateBenchRow, 'system'> }> {
  const ms: number[] = [];
  const scored: (GateExample & { p: number })[] = [];
  for (const example of test) {
    const t0 = performance.now();
    const label = await predict(example.text);
    ms.push(performance.now() - t0);
    scored.push({ ...example, p: label === REQUEST ? 1 : 0 });
  }
  const v = gateValidation(scored, 0.5);
  ms.sort((a, b) => a - b);
  return {
    scores: {
      balanced_accuracy: round(v.balancedAccuracy),
      request_recall: round(v.requestRecall),
      small_talk_recall: round(v.smallTalkRecall),
      by_source: Object.fromEntries(Object.entries(v.bySource).map(([k, x]) => [k, round(x)])),
      infer_ms_p50: round(percentile(ms, 0.5)),
    },
  };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** A readable table of the rows. */
export function formatGateTable(output: GateBenchOutput): string {
  const sources = Object.keys(output.test.by_source);
  const pct = (x: number | undefined) => (x === undefined ? '-' : (x * 100).toFixed(1));
  const head = ['system', 'balanced %', 'requests %', 'small talk %', ...sources.map((s) => `${s} %`), 'ms p50'];
  const rows = output.results.map((r) => [r.system, pct(r.balanced_accuracy), pct(r.request_recall), pct(r.small_talk_recall), ...sources.map((s) => pct(r.by_source[s])), r.infer_ms_p50.toFixed(2)]);
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
