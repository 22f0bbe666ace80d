/**
 * `duet bench context`: the three context modes side by side on the partial SGD data
 * (docs/context-modes.md). For each mode: train on train for the same time budget, report dev
 * (where choices are made) and test (once), then per-turn latency at turns 1, 5, 10, 20 and 40 of
 * long conversations made by chaining test dialogues, the process's peak memory while doing so,
 * and the per-conversation state each mode keeps. nlp.js runs on the same turns in the same run
 * (active intent only: it has no slot tagger; see `nlpjsActiveIntents`).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { sgdTurnExamples, turnKey, type SgdTurnExample } from '../data/sgd/examples.js';
import { NO_INTENT, loadSgd, type SgdSplitData } from '../data/sgd/load-sgd.js';
import { evaluateSgd, type SgdMetrics, type SgdTurnPrediction } from '../data/sgd/metrics.js';
import { CONTEXT_MODES, contextSettings, type ContextMode } from '../model/config.js';
import { chooseIntentFilter, chooseWeights, DEFAULT_SGD_TRAIN, groupByDialogue, scoreSplit, stackMemory, trainSgdModel, type SgdModel, type SgdTrainOptions } from '../context/sgd-model.js';
import { prepareTurn } from '../context/sgd-task.js';
import { trainNlpjs } from './peer-nlpjs.js';

export const LATENCY_TURNS = [1, 5, 10, 20, 40] as const;

export interface ContextBenchOptions {
  modes: ContextMode[];
  /** Training minutes per mode (a cap when `epochs` is given). */
  minutes: number;
  /** Passes over train's user turns per mode: the modes then see the same data (default: the time budget alone). */
  epochs?: number;
  /** Long conversations timed per mode. */
  latencyConversations: number;
  peer: boolean;
  /** Skip scoring dev and test: only latency and memory (e.g. of a concat cap too long to train well here). */
  latencyOnly?: boolean;
  train?: Partial<SgdTrainOptions>;
  log?: (line: string) => void;
  onProgress?: (mode: ContextMode, p: { step: number; turns: number; loss: number; elapsedMinutes: number }) => void;
}

export interface ContextBenchRow {
  mode: ContextMode | 'nlp.js';
  active_intent_acc: number | null;
  requested_slot_f1: number | null;
  slot_f1: number | null;
  joint_goal_acc: number | null;
  dev: { active_intent_acc: number | null; requested_slot_f1: number | null; slot_f1: number | null; joint_goal_acc: number | null };
  /** The intent temperature chosen on dev (null: hard picks) and dev's figures with each one tried (`chooseIntentFilter`). */
  intent_filter?: { chosen: number | null; dev: { temperature: number | null; active_intent_acc: number | null; joint_goal_acc: number | null }[] };
  /** The weights chosen on dev, the last step's or their moving average (`chooseWeights`, hard intent picks), and dev's figures with each. */
  weights?: { chosen: 'last' | 'averaged'; averaged_steps: number; dev: { weights: 'last' | 'averaged'; active_intent_acc: number | null; joint_goal_acc: number | null }[] };
  /** Longest input in tokens (concat: the history cap). */
  max_tokens?: number;
  /** Median milliseconds to read the user turn at each turn index (1-based), over the timed conversations. */
  ms_per_turn: Record<string, number>;
  /** The whole curve, turns 1..40. */
  ms_curve: number[];
  peak_rss_mb: number | null;
  /** What the mode keeps per conversation to read the next turn, at turn 40. */
  state_bytes_at_turn_40: number | null;
  train: { minutes: number; steps: number; turns: number; epochs: number; parameters: number } | null;
}

export interface ContextBenchResult {
  machine: string;
  date: string;
  partial_data_note: string;
  results: ContextBenchRow[];
}

const PARTIAL_NOTE =
  'SGD here is partial (train 7,451 / dev 2,098 / test 2,921 dialogues; 74% of test frames are services never seen in train): not comparable with published SGD figures.';

function figures(m: SgdMetrics | undefined): ContextBenchRow['dev'] {
  return {
    active_intent_acc: m?.activeIntentAccuracy ?? null,
    requested_slot_f1: m?.requestedSlots?.f1 ?? null,
    slot_f1: m?.slotF1?.f1 ?? null,
    joint_goal_acc: m?.jointGoalAccuracy ?? null,
  };
}

/** Long conversations: test dialogues chained until each has `turns` user turns. */
export function chainedConversations(examples: readonly SgdTurnExample[], count: number, turns: number): SgdTurnExample[][] {
  const dialogues = [...groupByDialogue(examples).values()];
  const out: SgdTurnExample[][] = [];
  let next = 0;
  for (let c = 0; c < count; c++) {
    const conversation: SgdTurnExample[] = [];
    const history: SgdTurnExample['history'] = [];
    while (conversation.length < turns) {
      const dialogue = dialogues[next++ % dialogues.length];
      for (const e of dialogue) {
        if (conversation.length === turns) break;
        // The history is every earlier dialogue of the chain, then this dialogue's own turns.
        conversation.push({ ...e, dialogueId: `chain${c}`, turnIndex: conversation.length * 2, history: [...history, ...e.history] });
      }
      const last = dialogue[dialogue.length - 1];
      history.push(...last.history, { speaker: 'USER', text: last.utterance });
    }
    out.push(conversation);
  }
  return out;
}

/** Time each user turn of each conversation (batch of one, as a server reads a turn). */
async function timeTurns(model: SgdModel, conversations: SgdTurnExample[][]): Promise<{ curve: number[]; peakRssMb: number; stateBytes: number }> {
  const k = contextSettings(model.network.config).memoryTokens;
  const C = model.network.config.dModel;
  const samples: number[][] = [];
  let peak = process.memoryUsage().rss;
  let stateBytes = 0;
  for (const conversation of conversations) {
    let memory: Float32Array | undefined;
    const intents: Record<string, string> = {};
    conversation.forEach((_, i) => (samples[i] ??= []));
    for (let i = 0; i < conversation.length; i++) {
      const e = conversation[i];
      const started = performance.now();
      const turn = await prepareTurn(e, model.catalog, model.tokens, model.input, false, intents);
      const incoming = memory && stackMemory([memory], k, C);
      const { outputs, memory: next } = model.run([turn], incoming);
      Object.assign(intents, outputs[0].activeIntents);
      incoming?.dispose();
      if (next) {
        memory = next.dataSync() as Float32Array;
        next.dispose();
      }
      samples[i].push(performance.now() - started);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (i === conversation.length - 1) {
        stateBytes = model.mode === 'memory' ? k * C * 4 : model.mode === 'concat' ? Buffer.byteLength(e.history.map((h) => h.text).join('\n')) : 0;
      }
    }
    model.tokens.clear();
  }
  return { curve: samples.map(median), peakRssMb: peak / 2 ** 20, stateBytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The peer: nlp.js trained on train's user turns that state an intent (label: the intent's name,
 * shared by services with the same intent) and on the other turns as None. For a frame it answers
 * the predicted intent when the frame's service has it, else the service's last answer (carry-over,
 * as the tracker does), else NONE.
 */
async function nlpjsActiveIntents(train: SgdSplitData, data: SgdSplitData): Promise<{ predictions: Map<string, SgdTurnPrediction>; trainSeconds: number }> {
  const examples = sgdTurnExamples(train.dialogues);
  const documents: { text: string; intent: string }[] = [];
  const last = new Map<string, string>();
  for (const e of examples) {
    let stated = 'None';
    for (const s of e.services) {
      const key = `${e.dialogueId}|${s}`;
      const intent = e.activeIntents[s];
      if (intent !== NO_INTENT && last.get(key) !== intent) stated = intent;
      last.set(key, intent);
    }
    documents.push({ text: e.utterance, intent: stated });
  }
  const peer = await trainNlpjs(documents.map((d) => ({ text: d.text, intent: d.intent, slots: [] })));
  const predictions = new Map<string, SgdTurnPrediction>();
  const state = new Map<string, string>();
  const intentsOf = new Map(data.schema.map((s) => [s.name, new Set(s.intents.map((i) => i.name))]));
  for (const e of sgdTurnExamples(data.dialogues)) {
    const { intent } = await peer.predict(e.utterance);
    const activeIntents: Record<string, string> = {};
    for (const s of e.services) {
      const key = `${e.dialogueId}|${s}`;
      const answer = intentsOf.get(s)?.has(intent) ? intent : (state.get(key) ?? NO_INTENT);
      state.set(key, answer);
      activeIntents[s] = answer;
    }
    predictions.set(turnKey(e.dialogueId, e.turnIndex), { activeIntents });
  }
  return { predictions, trainSeconds: peer.trainSeconds };
}

export async function runContextBench(options: ContextBenchOptions): Promise<ContextBenchResult> {
  const log = options.log ?? (() => undefined);
  const train = loadSgd('train');
  const dev = loadSgd('dev');
  const test = loadSgd('test');
  const testExamples = sgdTurnExamples(test.dialogues);
  const conversations = chainedConversations(testExamples, options.latencyConversations, LATENCY_TURNS[LATENCY_TURNS.length - 1]);
  const results: ContextBenchRow[] = [];
  for (const mode of options.modes) {
    if (!CONTEXT_MODES.includes(mode)) throw new Error(`unknown context mode "${mode}" (expected ${CONTEXT_MODES.join(', ')})`);
    log(`${mode}: training for ${options.epochs === undefined ? '' : `${options.epochs} epoch(s), at most `}${options.minutes} min`);
    const model = await trainSgdModel(train, [dev.schema, test.schema], {
      ...DEFAULT_SGD_TRAIN,
      ...options.train,
      mode,
      maxMinutes: options.minutes,
      maxEpochs: options.epochs,
      onProgress: (p) => options.onProgress?.(mode, p),
    });
    try {
      log(`${mode}: ${model.training.steps} steps, ${model.training.turns} turns${options.latencyOnly ? '' : '; scoring dev and test'}`);
      // The weights first (with hard intent picks), then the intent temperature for them.
      const weights = options.latencyOnly ? undefined : await chooseWeights(model, dev);
      if (weights && weights.trials.length > 0) log(`${mode}: weights chosen on dev: ${weights.chosen}`);
      const filter = options.latencyOnly ? undefined : await chooseIntentFilter(model, dev);
      const devMetrics = filter?.trials.find((t) => t.temperature === filter.chosen)?.metrics;
      if (filter) log(`${mode}: intent temperature chosen on dev: ${filter.chosen ?? 'none (hard picks)'}`);
      const testMetrics = options.latencyOnly ? undefined : scoreSplit(test, await model.predictSplit(test));
      log(`${mode}: timing ${conversations.length} conversations of ${conversations[0]?.length ?? 0} turns`);
      const timing = await timeTurns(model, conversations);
      results.push({
        mode,
        ...figures(testMetrics),
        dev: figures(devMetrics),
        intent_filter: filter && {
          chosen: filter.chosen ?? null,
          dev: filter.trials.map((t) => ({ temperature: t.temperature ?? null, active_intent_acc: t.metrics.activeIntentAccuracy, joint_goal_acc: t.metrics.jointGoalAccuracy })),
        },
        weights: weights && {
          chosen: weights.chosen,
          averaged_steps: model.training.averagedSteps,
          dev: weights.trials.map((t) => ({ weights: t.weights, active_intent_acc: t.metrics.activeIntentAccuracy, joint_goal_acc: t.metrics.jointGoalAccuracy })),
        },
        max_tokens: model.input.maxTokens,
        ms_per_turn: Object.fromEntries(LATENCY_TURNS.map((t) => [String(t), round(timing.curve[t - 1])])),
        ms_curve: timing.curve.map(round),
        peak_rss_mb: round(timing.peakRssMb),
        state_bytes_at_turn_40: timing.stateBytes,
        train: {
          minutes: round(model.training.minutes),
          steps: model.training.steps,
          turns: model.training.turns,
          epochs: round(model.training.epochs),
          parameters: model.training.parameters,
        },
      });
    } finally {
      model.dispose();
    }
    log(`${mode}: tensors still allocated ${tf.memory().numTensors}`);
  }
  if (options.peer && !options.latencyOnly) {
    log('nlp.js: training on train user turns (intent names), predicting dev and test');
    const devPeer = await nlpjsActiveIntents(train, dev);
    const testPeer = await nlpjsActiveIntents(train, test);
    const devMetrics = evaluateSgd(sgdTurnExamples(dev.dialogues), devPeer.predictions);
    const testMetrics = evaluateSgd(testExamples, testPeer.predictions);
    results.push({
      mode: 'nlp.js',
      ...figures(testMetrics),
      dev: figures(devMetrics),
      ms_per_turn: {},
      ms_curve: [],
      peak_rss_mb: null,
      state_bytes_at_turn_40: null,
      train: { minutes: round(testPeer.trainSeconds / 60), steps: 0, turns: 0, epochs: 1, parameters: 0 },
    });
  }
  return { machine: `${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus().length} cores`, date: new Date().toISOString(), partial_data_note: PARTIAL_NOTE, results };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The printed table. */
export function formatContextTable(result: ContextBenchResult): string {
  const pct = (x: number | null) => (x === null ? '–' : (100 * x).toFixed(1));
  const lines = [
    `partial SGD test (${result.partial_data_note})`,
    'mode     | active intent | requested F1 | slot F1 | JGA  | ms@1 | ms@5 | ms@10 | ms@20 | ms@40 | peak RSS MB',
  ];
  for (const r of result.results) {
    const ms = (t: number) => (r.ms_per_turn[String(t)] === undefined ? '–' : r.ms_per_turn[String(t)].toFixed(1));
    lines.push(
      [r.mode.padEnd(8), pct(r.active_intent_acc).padStart(13), pct(r.requested_slot_f1).padStart(12), pct(r.slot_f1).padStart(7), pct(r.joint_goal_acc).padStart(4), ...LATENCY_TURNS.map((t) => ms(t).padStart(4)), r.peak_rss_mb === null ? '–' : r.peak_rss_mb.toFixed(0)].join(' | '),
    );
  }
  return lines.join('\n');
}

/** Latency against turn index, one line per mode, as a self-contained SVG. */
export function latencyPlotSvg(result: ContextBenchResult): string {
  const rows = result.results.filter((r) => r.ms_curve.length > 0);
  const width = 640;
  const height = 400;
  const left = 60;
  const right = 130;
  const top = 30;
  const bottom = 50;
  const turns = Math.max(1, ...rows.map((r) => r.ms_curve.length));
  const maxMs = Math.max(1, ...rows.flatMap((r) => r.ms_curve)) * 1.1;
  const x = (turn: number) => left + ((turn - 1) / Math.max(1, turns - 1)) * (width - left - right);
  const y = (ms: number) => top + (1 - ms / maxMs) * (height - top - bottom);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="latency per turn by context mode">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">ms to read a user turn against its index in the conversation</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">turn</text>`,
    `<text x="16" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + height - bottom) / 2})">ms (median)</text>`,
  ];
  for (const t of [1, 10, 20, 30, 40].filter((t) => t <= turns)) {
    parts.push(`<text x="${x(t)}" y="${height - bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const ms = (maxMs * i) / 4;
    parts.push(`<text x="${left - 6}" y="${y(ms) + 4}" text-anchor="end">${ms.toFixed(1)}</text>`);
    parts.push(`<line x1="${left}" y1="${y(ms)}" x2="${width - right}" y2="${y(ms)}" stroke="#ddd"/>`);
  }
  rows.forEach((r, i) => {
    const colour = colours[i % colours.length];
    const points = r.ms_curve.map((ms, t) => `${x(t + 1).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    parts.push(`<text x="${width - right + 8}" y="${top + 16 + i * 18}" fill="${colour}">${r.mode}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function writeContextResults(result: ContextBenchResult, json?: string, plot?: string): void {
  if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  if (plot) writeFileSync(plot, `${latencyPlotSvg(result)}\n`);
}
