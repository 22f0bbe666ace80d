/** `duet pretrain --out <dir>`: pretrain the shared backbone on the public dialogue corpora (see src/train/pretrain.ts). */
import cliProgress from 'cli-progress';
import { loadPretrainingCorpus } from '../data/corpora/pretraining.js';
import type { Objective } from '../train/pretrain-batches.js';
import { parseCheckpointEvery, runPretraining, type PretrainOptions, type PretrainProgress, type PretrainReport } from '../train/pretrain.js';

export interface PretrainCommandOptions {
  out: string;
  steps?: number;
  batchSize?: number;
  maxTokens?: number;
  layers?: number;
  dModel?: number;
  heads?: number;
  ff?: number;
  lr?: number;
  seed?: number;
  vocabSize?: number;
  maxMinutes?: number;
  checkpointEvery?: string;
  resume?: boolean;
  maxPairs?: number;
  dataDir?: string;
  quiet?: boolean;
}

/** Run `duet pretrain` with a progress bar on stderr and a summary on stdout. */
export async function runPretrainCommand(opts: PretrainCommandOptions): Promise<PretrainReport> {
  // Unset flags stay undefined: a resumed run then keeps its own settings.
  const options: Partial<PretrainOptions> = {
    steps: opts.steps,
    batchSize: opts.batchSize,
    maxTokens: opts.maxTokens,
    layers: opts.layers,
    dModel: opts.dModel,
    heads: opts.heads,
    ff: opts.ff,
    learningRate: opts.lr,
    seed: opts.seed,
    vocabSize: opts.vocabSize,
    maxPairs: opts.maxPairs,
    dataDir: opts.dataDir,
  };
  const controller = new AbortController();
  // First Ctrl-C (or SIGTERM): finish the step, write a checkpoint, stop. A second one kills as usual.
  const onInterrupt = () => {
    process.stderr.write('\nstopping after this step (a checkpoint follows; continue later with --resume)\n');
    controller.abort();
  };
  process.once('SIGINT', onInterrupt);
  // SIGTERM too: a job started in the background of a non-interactive shell ignores SIGINT, and
  // process managers stop with SIGTERM.
  process.once('SIGTERM', onInterrupt);
  const bar = opts.quiet ? undefined : pretrainProgressBar();
  let report: PretrainReport;
  try {
    report = await runPretraining({
      outDir: opts.out,
      options,
      resume: opts.resume,
      maxMinutes: opts.maxMinutes,
      checkpointEvery: opts.checkpointEvery === undefined ? undefined : parseCheckpointEvery(opts.checkpointEvery),
      loadCorpus: (request) => loadPretrainingCorpus(request),
      onProgress: bar?.onProgress,
      signal: controller.signal,
    });
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
  }
  const losses = report.objectives.map((o) => `${o} ${report.finalLosses[o]?.toFixed(3) ?? '-'}`).join(', ');
  const why = report.stopped === 'done' ? 'finished' : report.stopped === 'time' ? 'time budget reached' : 'interrupted';
  const next = report.step < report.totalSteps ? `; continue with \`duet pretrain --out ${opts.out} --resume\`` : '';
  process.stdout.write(
    `Saved ${report.outDir}: step ${report.step} of ${report.totalSteps} (${why}), ${report.sessionSteps} steps this session at ${report.stepsPerSecond.toFixed(2)} steps/s, ` +
      `${(report.totalSeconds / 60).toFixed(1)} min in all; mean loss of the last steps: ${losses}${next}\n`,
  );
  return report;
}

/** A bar with each objective's loss (smoothed), steps/s and ETA; plain lines when stderr is not a terminal. */
export function pretrainProgressBar(): { onProgress: (e: PretrainProgress) => void; stop: () => void } {
  const interactive = Boolean(process.stderr.isTTY);
  const bar = new cliProgress.SingleBar(
    {
      format: 'pretrain |{bar}| {value}/{total} | {losses} | {rate} steps/s | ETA {left}',
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let objectives: Objective[] = [];
  const smooth: Partial<Record<Objective, number>> = {};
  let lastLine = 0;
  let lastStage = '';
  const lossText = () => objectives.map((o) => `${o} ${smooth[o]?.toFixed(3) ?? '-'}`).join(' ');
  return {
    onProgress(e) {
      if (e.kind === 'prepare') {
        // A stage's first report, then at most one line every 10 s (tokenizing reports often).
        const kind = e.stage.split(' ')[0];
        if (kind !== lastStage || performance.now() - lastLine > 10_000) {
          process.stderr.write(`pretrain: ${e.stage}\n`);
          lastStage = kind;
          lastLine = performance.now();
        }
        return;
      }
      if (e.kind === 'start') {
        objectives = e.objectives;
        const what = `${(e.parameters / 1e6).toFixed(2)}M parameters, objectives ${e.objectives.join(', ')}`;
        process.stderr.write(`pretrain: ${e.resumed ? `resuming at step ${e.fromStep} of ${e.totalSteps}` : `${e.totalSteps} steps`}; ${what}\n`);
        lastLine = 0;
        if (interactive) bar.start(e.totalSteps, e.fromStep, { losses: lossText(), rate: '-', left: '-' });
        started = interactive;
        return;
      }
      if (e.kind === 'step') {
        for (const [o, v] of Object.entries(e.losses) as [Objective, number][]) smooth[o] = smooth[o] === undefined ? v : 0.95 * (smooth[o] as number) + 0.05 * v;
        const payload = { losses: lossText(), rate: e.stepsPerSecond.toFixed(2), left: formatDuration(e.etaSeconds) };
        if (started) bar.update(e.step, payload);
        else if (performance.now() - lastLine > 30_000 || e.step === e.totalSteps) {
          lastLine = performance.now();
          process.stderr.write(`pretrain: step ${e.step}/${e.totalSteps} | ${payload.losses} | lr ${e.learningRate.toExponential(2)} | ${payload.rate} steps/s | ETA ${payload.left}\n`);
        }
        return;
      }
      if (e.kind === 'checkpoint' && !started) process.stderr.write(`pretrain: checkpoint at step ${e.step}\n`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
