/** The `duet` command line. */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DATASET_NAMES } from '../data/datasets/index.js';
import { DuetError } from '../errors.js';
import { runChat } from './chat-command.js';
import { runEval } from './eval-command.js';
import { trainToFolder } from './train-command.js';
import { trainingProgressBar } from './progress.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('duet')
    .description('Build assistants that understand and talk with one BERT-style model, trained and run on your CPU.')
    .showHelpAfterError();

  program
    .command('chat', { isDefault: true })
    .description('chat in the terminal with an assistant (default: the bundled demo, trained on first run)')
    .option('--model <dir>', 'a trained model folder to load instead of training')
    .option('--definition <path>', 'assistant definition file or folder (default: the bundled demo)')
    .option('--retrain', 'train again even if a cached model exists')
    .option('--debug', 'show intent, confidence and slots for every turn')
    .action((opts) => runChat(opts));

  program
    .command('train')
    .description(`train a model on an assistant definition (YAML, or Rasa NLU YAML) or a dataset (${DATASET_NAMES.join(', ')})`)
    .argument('<inputs...>', 'definition files/folders, or one dataset name')
    .requiredOption('-o, --out <dir>', 'output model folder')
    .option('--seed <n>', 'random seed (same seed, same model)', integer, 42)
    .option('--epochs <n>', 'maximum epochs (early stopping on validation may stop sooner)', integer)
    .option('--patience <n>', 'epochs without validation improvement before stopping', integer)
    .option('--batch-size <n>', 'examples per step', integer)
    .option('--learning-rate <x>', 'peak learning rate', number)
    .option('--layers <n>', 'transformer layers', integer)
    .option('--width <n>', 'hidden width (dModel)', integer)
    .option('--heads <n>', 'attention heads', integer)
    .addOption(new Option('--norm <kind>', 'layer norm placement').choices(['pre', 'post']))
    .option('--oos-threshold <p>', 'reject as out-of-scope below this confidence (default: chosen on validation)', number)
    .option('--quiet', 'no progress bar')
    .action(async (inputs: string[], opts) => {
      const { report } = await trainToFolder(inputs.length === 1 ? inputs[0] : inputs, opts);
      const v = report.validation;
      const validation =
        report.validationExamples === 0
          ? 'no validation examples (add more examples per intent to get early stopping and a score)'
          : `validation intent ${(v.intentAccuracy * 100).toFixed(2)}%, slot F1 ${(v.slotF1 * 100).toFixed(2)}`;
      process.stdout.write(
        `Saved ${opts.out}: ${report.epochs} epochs (best ${report.bestEpoch}) in ${report.trainSeconds.toFixed(1)} s; ` +
          `${validation}, oos threshold ${report.oosThreshold.toFixed(3)}\n`,
      );
    });

  program
    .command('eval')
    .description('evaluate a model on a dataset split or a definition')
    .argument('<model-dir>', 'trained model folder')
    .requiredOption('--data <dataset|definition>', `dataset name (${DATASET_NAMES.join(', ')}) or definition path`)
    .option('--split <name>', 'train, validation or test', 'test')
    .option('--json', 'print the full report as JSON')
    .option('--html <file>', 'also write an HTML report with a confusion-matrix picture')
    .action((modelDir: string, opts) => runEval(modelDir, opts));

  const bench = program.command('bench').description('benchmarks that print JSON and run nlp.js on the same data');
  bench
    .command('nlu')
    .description('train and test Duet and nlp.js on NLU datasets')
    .option('--datasets <list>', 'comma-separated datasets', DATASET_NAMES.join(','))
    .option('--json <file>', 'write the results as JSON')
    .option('--epochs <n>', 'maximum epochs per dataset', integer)
    .option('--max-train-seconds <s>', 'stop training a dataset after this many seconds', number)
    .option('--no-peer', 'skip nlp.js')
    .option('--seed <n>', 'random seed', integer, 42)
    .action(async (opts) => {
      const { runNluBench, formatBenchTable } = await import('../bench/nlu-bench.js');
      const datasets = String(opts.datasets).split(',').map((d) => d.trim()).filter(Boolean);
      let bar: ReturnType<typeof trainingProgressBar> | undefined;
      const results = await runNluBench({
        datasets,
        peer: opts.peer,
        train: {
          seed: opts.seed,
          ...(opts.epochs && { maxEpochs: opts.epochs }),
          ...(opts.maxTrainSeconds && { maxTrainSeconds: opts.maxTrainSeconds }),
        },
        onProgress: (dataset, event) => {
          if (event.kind === 'start') bar = trainingProgressBar(`duet ${dataset}`);
          bar?.onProgress(event);
        },
        log: (line) => {
          bar?.stop();
          bar = undefined;
          process.stderr.write(`${line}\n`);
        },
      });
      const output = { machine: machineDescription(), date: new Date().toISOString(), results };
      if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
      process.stdout.write(`${formatBenchTable(results)}\n${JSON.stringify(output)}\n`);
    });
  return program;
}

function machineDescription(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${process.platform} ${process.arch}, node ${process.version}`;
}

/** Entry point used by bin/duet.js: one-line errors for user mistakes, exit code 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof DuetError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
