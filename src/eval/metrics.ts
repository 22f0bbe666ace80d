/**
 * NLU evaluation from plain predictions: intent accuracy, CLINC-style in-scope and out-of-scope
 * scores, conlleval-style slot F1, exact-frame accuracy, per-intent scores and confusions.
 * Pure functions over arrays, so any model (Duet or a peer) is scored the same way.
 */
import { DuetError } from '../errors.js';
import type { NluExample, SlotSpan } from '../data/types.js';

/** What a model answered for one utterance. */
export interface NluPrediction {
  intent: string;
  slots: SlotSpan[];
}

/** Precision, recall and F1 (each 0 when its denominator is 0, as conlleval reports it). */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** Slot scores with the counts behind them (micro-average over all spans). */
export interface SlotScores extends PrecisionRecallF1 {
  /** Predicted spans that match a gold span exactly (slot name, start and end). */
  correct: number;
  predicted: number;
  gold: number;
}

/** Scores of one intent label. `support` is its gold count, `predicted` how often it was answered. */
export interface IntentScores extends PrecisionRecallF1 {
  intent: string;
  support: number;
  predicted: number;
  correct: number;
}

/** Out-of-scope detection, scored as a binary task on the out-of-scope label. */
export type OutOfScopeScores = IntentScores;

/** A gold → predicted intent confusion and how often it happened. */
export interface ConfusionPair {
  gold: string;
  predicted: string;
  count: number;
}

/** Confusion counts: `counts[i][j]` = examples with gold `labels[i]` predicted as `labels[j]`. */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
}

/** Everything `evaluateNlu` measures. */
export interface EvaluationReport {
  examples: number;
  /** Accuracy over every example, out-of-scope ones included. */
  intentAccuracy: number;
  /** Accuracy over examples whose gold intent is not out-of-scope (CLINC150's "in-scope accuracy"). */
  inScopeAccuracy?: number;
  outOfScope?: OutOfScopeScores;
  /** Unweighted mean F1 over the intents that occur in the gold data. */
  intentMacroF1: number;
  slots: SlotScores;
  /** Sentences whose intent and whole slot set are right. */
  exactMatchAccuracy: number;
  /** One entry per label seen in gold or predictions, in `confusionMatrix.labels` order. */
  perIntent: IntentScores[];
  /** Most frequent off-diagonal confusions, largest first. */
  confusionPairs: ConfusionPair[];
  confusionMatrix: ConfusionMatrix;
}

/** Options for `evaluateNlu`. */
export interface EvaluateOptions {
  /** Gold/predicted label meaning out-of-scope; enables in-scope accuracy and OOS scores. */
  outOfScopeIntent?: string;
  /** How many confusion pairs to keep (default 20). */
  topConfusions?: number;
}

/** `a / b`, or 0 when nothing was counted. */
function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Precision, recall and F1 from counts. */
export function precisionRecallF1(correct: number, predicted: number, gold: number): PrecisionRecallF1 {
  const precision = ratio(correct, predicted);
  const recall = ratio(correct, gold);
  return { precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
}

const spanKey = (span: SlotSpan): string => `${span.start}\u0000${span.end}\u0000${span.slot}`;

/** Exact span matches between gold and predicted slots; each gold span matches at most once. */
export function countSlotMatches(gold: readonly SlotSpan[], predicted: readonly SlotSpan[]): number {
  const remaining = new Map<string, number>();
  for (const span of gold) remaining.set(spanKey(span), (remaining.get(spanKey(span)) ?? 0) + 1);
  let correct = 0;
  for (const span of predicted) {
    const left = remaining.get(spanKey(span)) ?? 0;
    if (left > 0) {
      correct++;
      remaining.set(spanKey(span), left - 1);
    }
  }
  return correct;
}

/** Micro-averaged slot scores over all examples. */
export function scoreSlots(gold: readonly NluExample[], predictions: readonly NluPrediction[]): SlotScores {
  let correct = 0;
  let predicted = 0;
  let goldCount = 0;
  gold.forEach((example, i) => {
    correct += countSlotMatches(example.slots, predictions[i].slots);
    predicted += predictions[i].slots.length;
    goldCount += example.slots.length;
  });
  return { ...precisionRecallF1(correct, predicted, goldCount), correct, predicted, gold: goldCount };
}

/** Sorted labels from gold and predictions, with the out-of-scope label last so it stands apart. */
function labelOrder(gold: readonly NluExample[], predictions: readonly NluPrediction[], oos?: string): string[] {
  const labels = new Set([...gold.map((e) => e.intent), ...predictions.map((p) => p.intent)]);
  const sorted = [...labels].filter((l) => l !== oos).sort();
  return oos !== undefined && labels.has(oos) ? [...sorted, oos] : sorted;
}

/** Full confusion matrix (rows gold, columns predicted). */
export function confusionMatrix(gold: readonly NluExample[], predictions: readonly NluPrediction[], oos?: string): ConfusionMatrix {
  const labels = labelOrder(gold, predictions, oos);
  const index = new Map(labels.map((label, i) => [label, i]));
  const counts = labels.map(() => new Array<number>(labels.length).fill(0));
  gold.forEach((example, i) => {
    counts[index.get(example.intent) as number][index.get(predictions[i].intent) as number]++;
  });
  return { labels, counts };
}

/** Per-label precision, recall and F1 read off the confusion matrix. */
export function perIntentScores(matrix: ConfusionMatrix): IntentScores[] {
  return matrix.labels.map((intent, i) => {
    const correct = matrix.counts[i][i];
    const support = matrix.counts[i].reduce((a, b) => a + b, 0);
    const predicted = matrix.counts.reduce((sum, row) => sum + row[i], 0);
    return { intent, support, predicted, correct, ...precisionRecallF1(correct, predicted, support) };
  });
}

/** Code-unit order, like `Array.prototype.sort`, so output does not change with the machine's locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `limit` largest off-diagonal cells; ties go by gold then predicted label, for stable output. */
export function topConfusionPairs(matrix: ConfusionMatrix, limit = 20): ConfusionPair[] {
  const pairs: ConfusionPair[] = [];
  matrix.counts.forEach((row, i) =>
    row.forEach((count, j) => {
      if (i !== j && count > 0) pairs.push({ gold: matrix.labels[i], predicted: matrix.labels[j], count });
    }),
  );
  const byLabel = (a: ConfusionPair, b: ConfusionPair) => compareText(a.gold, b.gold) || compareText(a.predicted, b.predicted);
  return pairs.sort((a, b) => b.count - a.count || byLabel(a, b)).slice(0, limit);
}

function scoreOutOfScope(perIntent: readonly IntentScores[], oos: string): OutOfScopeScores {
  const row = perIntent.find((s) => s.intent === oos);
  if (!row) return { intent: oos, support: 0, predicted: 0, correct: 0, precision: 0, recall: 0, f1: 0 };
  return { ...row };
}

function inScopeAccuracy(gold: readonly NluExample[], predictions: readonly NluPrediction[], oos: string): number {
  let total = 0;
  let correct = 0;
  gold.forEach((example, i) => {
    if (example.intent === oos) return;
    total++;
    if (predictions[i].intent === example.intent) correct++;
  });
  return ratio(correct, total);
}

function exactMatchAccuracy(gold: readonly NluExample[], predictions: readonly NluPrediction[]): number {
  const exact = gold.filter((example, i) => {
    const prediction = predictions[i];
    if (prediction.intent !== example.intent) return false;
    const sameCount = prediction.slots.length === example.slots.length;
    return sameCount && countSlotMatches(example.slots, prediction.slots) === example.slots.length;
  });
  return ratio(exact.length, gold.length);
}

/** Score predictions against gold examples (same order, same length). */
export function evaluateNlu(gold: readonly NluExample[], predictions: readonly NluPrediction[], opts: EvaluateOptions = {}): EvaluationReport {
  if (gold.length !== predictions.length) {
    throw new DuetError('EVALUATION_INVALID', `Cannot evaluate: ${gold.length} gold examples but ${predictions.length} predictions; pass one prediction per example, in order.`);
  }
  const oos = opts.outOfScopeIntent;
  const matrix = confusionMatrix(gold, predictions, oos);
  const perIntent = perIntentScores(matrix);
  const inGold = perIntent.filter((s) => s.support > 0);
  const correct = perIntent.reduce((sum, s) => sum + s.correct, 0);
  return {
    examples: gold.length,
    intentAccuracy: ratio(correct, gold.length),
    ...(oos === undefined ? {} : { inScopeAccuracy: inScopeAccuracy(gold, predictions, oos), outOfScope: scoreOutOfScope(perIntent, oos) }),
    intentMacroF1: ratio(inGold.reduce((sum, s) => sum + s.f1, 0), inGold.length),
    slots: scoreSlots(gold, predictions),
    exactMatchAccuracy: exactMatchAccuracy(gold, predictions),
    perIntent,
    confusionPairs: topConfusionPairs(matrix, opts.topConfusions),
    confusionMatrix: matrix,
  };
}
