/**
 * SGD's standard metrics (Rastogi et al. 2020, and the DSTC8 `evaluate.py`) for a turn-level
 * model plus tracker, computed over the user turns of a split. The data folder holds only part of
 * SGD's dev and test sets (see sgd/SOURCE.md), so every figure from here is on PARTIAL data and
 * not comparable with published SGD results; `SgdMetrics.partial` carries that into reports.
 *
 * The unit is SGD's: a frame is one service of one user turn. Labels are compared as SGD spells
 * them; spans and states are keyed by service (see examples.ts for the label scheme).
 */
import { type SgdTurnExample, turnKey } from './examples.js';

/** What a system predicts for one user turn; a missing field counts as an empty prediction. */
export interface SgdTurnPrediction {
  /** service → predicted active intent (`NONE` allowed). */
  activeIntents?: Record<string, string>;
  /** service → slots the user is predicted to request. */
  requestedSlots?: Record<string, string[]>;
  /** Predicted spans in the user utterance (offsets end-exclusive). */
  spans?: { service: string; slot: string; start: number; end: number }[];
  /** Tracked state after the turn: service → slot → one value. */
  state?: Record<string, Record<string, string>>;
}

/** Precision, recall and F1 with the counts behind them. */
export interface PrfCounts {
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** The metrics of one split; each is `null` when no prediction carried the field it needs. */
export interface SgdMetrics {
  /** Always true here: SGD's dev/test in the data folder are incomplete. */
  partial: true;
  note: string;
  /** User turns and frames scored (after the service filter). */
  turns: number;
  frames: number;
  /**
   * Active-intent accuracy: over frames, the share whose predicted intent for the frame's
   * service equals SGD's (`NONE` included); a frame with no prediction is wrong.
   */
  activeIntentAccuracy: number | null;
  /**
   * Requested-slot F1, as SGD's evaluate.py: per frame, F1 of the predicted vs. gold requested
   * slots (precision or recall is 1 when its denominator is 0, so an empty prediction for an
   * empty gold list scores 1), then the mean over frames. Precision and recall likewise.
   */
  requestedSlots: { f1: number; precision: number; recall: number } | null;
  /**
   * Slot F1, conlleval-style: micro-averaged over all spans of the scored user turns; a
   * predicted span is right only if service, slot, start and end all equal a gold span's.
   * (SGD's own script instead averages a per-frame F1 over (slot, text) pairs.)
   */
  slotF1: PrfCounts | null;
  /**
   * Joint goal accuracy, per user turn: the share of turns where, for every frame of the turn,
   * the predicted state of the frame's service has exactly the gold slots, each with a value
   * equal (trimmed, case-insensitive) to one of SGD's acceptable values. SGD's script uses fuzzy
   * matching for non-categorical values and scores frames; we match exactly, and report both units.
   */
  jointGoalAccuracy: number | null;
  /** The same test per frame, averaged over frames (the unit of SGD's DSTC8 script). */
  jointGoalAccuracyPerFrame: number | null;
  /**
   * Average goal accuracy (SGD): per frame, the share of the gold state's slots whose predicted
   * value matches; averaged over frames with a non-empty gold state (extra slots do not count).
   */
  averageGoalAccuracy: number | null;
}

/** Options of `evaluateSgd`. */
export interface EvaluateOptions {
  /** Score only the frames (and predicted spans) of services this accepts, e.g. services seen in training. */
  services?: (service: string) => boolean;
}

/** The caveat every SGD figure carries. */
export const PARTIAL_NOTE = "Partial SGD: the data folder holds 2,098 of 2,482 dev and 2,921 of 4,201 test dialogues; not comparable with published SGD results.";

/** How state values are compared: trimmed and lower-cased. */
export function normaliseValue(value: string): string {
  return value.trim().toLowerCase();
}

/** Whether a predicted value equals (trimmed, case-insensitive) any of the acceptable gold values. */
export function valueMatches(predicted: string, acceptable: readonly string[]): boolean {
  const p = normaliseValue(predicted);
  return acceptable.some((v) => normaliseValue(v) === p);
}

/** Whether a frame's predicted state is exactly right: the same slots, each value acceptable. */
export function frameStateCorrect(gold: Readonly<Record<string, readonly string[]>>, predicted: Readonly<Record<string, string>> = {}): boolean {
  const goldSlots = Object.keys(gold);
  const predictedSlots = Object.keys(predicted);
  if (goldSlots.length !== predictedSlots.length) return false;
  return goldSlots.every((slot) => Object.hasOwn(predicted, slot) && valueMatches(predicted[slot], gold[slot]));
}

/** SGD's per-frame F1 of two lists (multiset), with precision / recall 1 on an empty denominator. */
export function listF1(gold: readonly string[], predicted: readonly string[]): { f1: number; precision: number; recall: number } {
  const remaining = new Map<string, number>();
  for (const g of gold) remaining.set(g, (remaining.get(g) ?? 0) + 1);
  let truePositives = 0;
  for (const p of predicted) {
    const left = remaining.get(p) ?? 0;
    if (left > 0) {
      truePositives += 1;
      remaining.set(p, left - 1);
    }
  }
  const precision = predicted.length > 0 ? truePositives / predicted.length : 1;
  const recall = gold.length > 0 ? truePositives / gold.length : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { f1, precision, recall };
}

/** Precision / recall / F1 from counts (0 when a denominator is 0). */
export function prf(truePositives: number, falsePositives: number, falseNegatives: number): PrfCounts {
  const precision = truePositives + falsePositives > 0 ? truePositives / (truePositives + falsePositives) : 0;
  const recall = truePositives + falseNegatives > 0 ? truePositives / (truePositives + falseNegatives) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, truePositives, falsePositives, falseNegatives };
}

const mean = (values: number[]): number => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0);

/**
 * Score predictions (keyed by `turnKey(dialogueId, turnIndex)`) against the gold user-turn
 * examples of a split. A gold turn with no prediction counts as predicting nothing.
 */
export function evaluateSgd(gold: readonly SgdTurnExample[], predictions: ReadonlyMap<string, SgdTurnPrediction>, options: EvaluateOptions = {}): SgdMetrics {
  const keep = options.services ?? (() => true);
  const has = { intents: false, requested: false, spans: false, state: false };
  for (const p of predictions.values()) {
    has.intents ||= p.activeIntents !== undefined;
    has.requested ||= p.requestedSlots !== undefined;
    has.spans ||= p.spans !== undefined;
    has.state ||= p.state !== undefined;
  }
  let turns = 0;
  let frames = 0;
  let intentsRight = 0;
  const requested: { f1: number; precision: number; recall: number }[] = [];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let turnsRight = 0;
  let framesRight = 0;
  const averageGoal: number[] = [];
  for (const example of gold) {
    const services = example.services.filter(keep);
    if (services.length === 0) continue;
    const p = predictions.get(turnKey(example.dialogueId, example.turnIndex)) ?? {};
    turns += 1;
    let turnRight = true;
    for (const service of services) {
      frames += 1;
      if (p.activeIntents?.[service] === example.activeIntents[service]) intentsRight += 1;
      requested.push(listF1(example.requestedSlots[service] ?? [], p.requestedSlots?.[service] ?? []));
      const goldState = example.state[service] ?? {};
      const predictedState = p.state?.[service] ?? {};
      if (frameStateCorrect(goldState, predictedState)) framesRight += 1;
      else turnRight = false;
      const goldSlots = Object.keys(goldState);
      if (goldSlots.length > 0) {
        averageGoal.push(goldSlots.filter((slot) => Object.hasOwn(predictedState, slot) && valueMatches(predictedState[slot], goldState[slot])).length / goldSlots.length);
      }
    }
    if (turnRight) turnsRight += 1;
    const spanKey = (s: { service: string; slot: string; start: number; end: number }) => `${s.service}\u0000${s.slot}\u0000${s.start}\u0000${s.end}`;
    const goldSpans = new Set(example.spans.filter((s) => keep(s.service)).map(spanKey));
    const predictedSpans = new Set((p.spans ?? []).filter((s) => keep(s.service)).map(spanKey));
    for (const s of predictedSpans) {
      if (goldSpans.has(s)) tp += 1;
      else fp += 1;
    }
    for (const s of goldSpans) if (!predictedSpans.has(s)) fn += 1;
  }
  const share = (n: number, of: number) => (of > 0 ? n / of : 0);
  return {
    partial: true,
    note: PARTIAL_NOTE,
    turns,
    frames,
    activeIntentAccuracy: has.intents ? share(intentsRight, frames) : null,
    requestedSlots: has.requested
      ? { f1: mean(requested.map((r) => r.f1)), precision: mean(requested.map((r) => r.precision)), recall: mean(requested.map((r) => r.recall)) }
      : null,
    slotF1: has.spans ? prf(tp, fp, fn) : null,
    jointGoalAccuracy: has.state ? share(turnsRight, turns) : null,
    jointGoalAccuracyPerFrame: has.state ? share(framesRight, frames) : null,
    averageGoalAccuracy: has.state ? mean(averageGoal) : null,
  };
}
