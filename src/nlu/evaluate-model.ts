/** Run a model over labelled examples and score it. */
import type { NluExample } from '../data/types.js';
import { evaluateNlu, type EvaluationReport } from '../eval/metrics.js';
import type { DuetModel } from '../model/duet-model.js';

export interface ModelEvaluation {
  report: EvaluationReport;
  /** Median latency of single-utterance `understand` calls, in milliseconds. */
  inferMsP50: number;
  /** Share of the examples the sentence head was mixed into, for a model that has one mixed in. */
  sentenceHeadShare?: number;
}

/** Evaluate in batches, then time single-utterance calls on up to `latencySamples` examples. */
export async function evaluateModel(
  model: DuetModel,
  examples: NluExample[],
  options: { outOfScopeIntent?: string; latencySamples?: number } = {},
): Promise<ModelEvaluation> {
  const use = model.sentenceHeadUse;
  const before = { ...use };
  const predictions = await model.understandBatch(examples.map((e) => e.text));
  // Counted over the batch pass only: the timed calls below read the same messages again.
  const read = use.messages - before.messages;
  const mixed = use.mixed - before.mixed;
  const headMixed = (model.metadata.sentenceHead?.weight ?? 0) > 0;
  const report = evaluateNlu(
    examples,
    predictions.map((p) => ({ intent: p.intent, slots: p.slots.map(({ slot, start, end }) => ({ slot, start, end })) })),
    { outOfScopeIntent: options.outOfScopeIntent ?? model.config.heads.outOfScopeIntent },
  );
  const samples = examples.slice(0, options.latencySamples ?? 200);
  const times: number[] = [];
  for (const example of samples) {
    const start = performance.now();
    await model.understand(example.text);
    times.push(performance.now() - start);
  }
  return { report, inferMsP50: median(times), ...(headMixed && read > 0 && { sentenceHeadShare: mixed / read }) };
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
