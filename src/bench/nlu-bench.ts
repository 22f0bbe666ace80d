/**
 * `duet bench nlu`: for each dataset, train Duet on train (choices on validation only), evaluate
 * the test split once, and run nlp.js on the same splits in the same process.
 */
import { engineFromEnvironment } from '../model/onnx/engine-choice.js';
import { loadDataset } from '../data/datasets/index.js';
import type { NluDataset } from '../data/types.js';
import { evaluateNlu, type EvaluationReport } from '../eval/metrics.js';
import { evaluateModel, median } from '../nlu/evaluate-model.js';
import { trainNluModel, type TrainOptions, type TrainProgress } from '../train/train-nlu.js';
import { trainNlpjs } from './peer-nlpjs.js';

export interface NluBenchResult {
  dataset: string;
  system: 'duet' | 'nlp.js';
  /** In-scope accuracy where the dataset has out-of-scope examples (CLINC150 convention), else accuracy. */
  intent_acc: number;
  intent_acc_all?: number;
  oos_recall?: number;
  oos_precision?: number;
  slot_f1?: number;
  exact_match?: number;
  train_s: number;
  infer_ms_p50: number;
  /** Share of the test messages Duet's sentence-encoder head was mixed into (absent where it is not mixed in). */
  head_share?: number;
  test_examples: number;
}

export interface NluBenchOptions {
  datasets: string[];
  train: Partial<TrainOptions>;
  peer: boolean;
  onProgress?: (dataset: string, event: TrainProgress) => void;
  log?: (line: string) => void;
}

function summarise(
  dataset: NluDataset,
  system: NluBenchResult['system'],
  report: EvaluationReport,
  trainSeconds: number,
  inferMs: number,
  tagsSlots: boolean,
): NluBenchResult {
  const result: NluBenchResult = {
    dataset: dataset.name,
    system,
    intent_acc: report.inScopeAccuracy ?? report.intentAccuracy,
    train_s: Number(trainSeconds.toFixed(1)),
    infer_ms_p50: Number(inferMs.toFixed(3)),
    test_examples: report.examples,
  };
  if (dataset.outOfScopeIntent) {
    result.intent_acc_all = report.intentAccuracy;
    result.oos_recall = report.outOfScope?.recall ?? 0;
    result.oos_precision = report.outOfScope?.precision ?? 0;
  }
  if (tagsSlots) {
    result.slot_f1 = report.slots.f1;
    result.exact_match = report.exactMatchAccuracy;
  }
  return result;
}

/** Run the benchmark; results come back in dataset order, Duet then nlp.js. */
export async function runNluBench(options: NluBenchOptions): Promise<NluBenchResult[]> {
  const results: NluBenchResult[] = [];
  const log = options.log ?? (() => {});
  for (const name of options.datasets) {
    const dataset = loadDataset(name);
    const { train, validation, test } = dataset.splits;
    log(`${name}: ${train.length} train / ${validation.length} validation / ${test.length} test`);

    const { model, report: trainReport } = await trainNluModel(train, validation, {
      ...options.train,
      outOfScopeIntent: dataset.outOfScopeIntent,
      onProgress: options.onProgress ? (e) => options.onProgress?.(name, e) : undefined,
    });
    const { validation: v, sentenceHead, epochs, bestEpoch } = trainReport;
    log(`${name}: trained ${epochs} epochs (best ${bestEpoch}); validation intent ${v.intentAccuracy}, slot F1 ${v.slotF1}${sentenceHead ? `; sentence head ${JSON.stringify(sentenceHead)}` : ''}`);
    // The weights are final: test the model on the engine a saved and loaded one runs on.
    model.useEngine(engineFromEnvironment());
    const duet = await evaluateModel(model, test, { outOfScopeIntent: dataset.outOfScopeIntent });
    log(`${name}: inference engine ${await model.engineInUse()}`);
    const duetResult = summarise(dataset, 'duet', duet.report, trainReport.trainSeconds, duet.inferMsP50, dataset.hasSlots);
    if (duet.sentenceHeadShare !== undefined) duetResult.head_share = Number(duet.sentenceHeadShare.toFixed(4));
    results.push(duetResult);
    log(`${name}: duet ${JSON.stringify(results[results.length - 1])}`);
    model.dispose();

    if (options.peer) {
      const peer = await trainNlpjs(train, { outOfScopeIntent: dataset.outOfScopeIntent });
      const predictions = [];
      const times: number[] = [];
      for (const example of test) {
        const start = performance.now();
        const p = await peer.predict(example.text);
        times.push(performance.now() - start);
        predictions.push({ intent: p.intent, slots: [] });
      }
      const report = evaluateNlu(test, predictions, { outOfScopeIntent: dataset.outOfScopeIntent });
      // nlp.js has no trained slot tagger: no slot figures rather than a zero that looks measured.
      const peerResult = summarise(dataset, 'nlp.js', report, peer.trainSeconds, median(times), false);
      results.push(peerResult);
      log(`${name}: nlp.js ${JSON.stringify(peerResult)}`);
    }
  }
  return results;
}

/** A readable table of benchmark results. */
export function formatBenchTable(results: NluBenchResult[]): string {
  const pct = (v?: number) => (v === undefined ? '-' : (v * 100).toFixed(1));
  const header = ['dataset', 'system', 'intent %', 'oos recall %', 'slot F1', 'train s', 'p50 ms'];
  const rows = results.map((r) => [r.dataset, r.system, pct(r.intent_acc), pct(r.oos_recall), pct(r.slot_f1), r.train_s.toFixed(1), r.infer_ms_p50.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
