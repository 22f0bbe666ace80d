/** `duet eval <model-dir> --data <dataset|definition> --split test [--json] [--html report.html]` */
import { writeFileSync } from 'node:fs';
import { loadModel } from '../model/duet-model.js';
import { evaluateModel } from '../nlu/evaluate-model.js';
import { loadTrainingData, type SplitName } from '../nlu/training-data.js';
import { formatReportTable, renderReportHtml } from '../eval/report.js';
import { DuetError } from '../errors.js';

export interface EvalCommandOptions {
  data: string;
  split: string;
  json?: boolean;
  html?: string;
}

const SPLITS: SplitName[] = ['train', 'validation', 'test'];

export async function runEval(modelDir: string, options: EvalCommandOptions): Promise<void> {
  const split = options.split === 'dev' || options.split === 'val' ? 'validation' : options.split;
  if (!SPLITS.includes(split as SplitName)) {
    throw new DuetError('ARGUMENT_INVALID', `--split must be one of ${SPLITS.join(', ')} (got "${options.split}")`);
  }
  const model = await loadModel(modelDir);
  const data = await loadTrainingData(options.data);
  const examples = data[split as SplitName];
  if (examples.length === 0) throw new DuetError('ARGUMENT_INVALID', `${data.source} has no ${split} examples`);
  const { report, inferMsP50, sentenceHeadShare } = await evaluateModel(model, examples, { outOfScopeIntent: data.outOfScopeIntent });
  const headLine =
    sentenceHeadShare === undefined
      ? ''
      : `sentence-encoder head mixed into ${(sentenceHeadShare * 100).toFixed(1)}% of the messages (the network decided the others alone)\n`;
  const engine = await model.engineInUse();
  if (options.html) {
    writeFileSync(
      options.html,
      renderReportHtml(report, {
        title: `Duet evaluation: ${data.source} (${split})`,
        details: { model: modelDir, data: data.source, split, examples: examples.length, 'single-utterance p50 (ms)': inferMsP50.toFixed(2), engine },
      }),
    );
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ model: modelDir, data: data.source, split, inferMsP50, engine, ...(sentenceHeadShare !== undefined && { sentenceHeadShare }), ...report }, null, 2)}\n`);
  } else {
    process.stdout.write(`${data.source} (${split}, ${examples.length} examples)\n${formatReportTable(report)}\n`);
    process.stdout.write(`single-utterance latency p50: ${inferMsP50.toFixed(2)} ms (${engine} engine)\n${headLine}`);
    if (options.html) process.stdout.write(`HTML report: ${options.html}\n`);
  }
  model.dispose();
}
