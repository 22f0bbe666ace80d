/** `duet bench context`: train and measure the three context modes, print a table and a JSON line. */
import cliProgress from 'cli-progress';
import { formatContextTable, runContextBench, writeContextResults } from '../bench/context-bench.js';
import { DuetError } from '../errors.js';
import { CONTEXT_MODES, type ContextMode } from '../model/config.js';
import { initTensorBackend } from '../model/backend.js';

/** Options as commander parses them. */
export interface ContextBenchCommandOptions {
  modes: string;
  minutes: number;
  epochs?: number;
  conversations: number;
  maxTokens?: number;
  seed: number;
  peer: boolean;
  latencyOnly?: boolean;
  json?: string;
  plot?: string;
}

export async function runContextBenchCommand(opts: ContextBenchCommandOptions): Promise<void> {
  const modes = opts.modes
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  const unknown = modes.filter((m) => !CONTEXT_MODES.includes(m as ContextMode));
  if (unknown.length > 0 || modes.length === 0) {
    throw new DuetError('BAD_OPTION', `--modes: unknown mode "${unknown[0] ?? ''}"; use a comma-separated list of ${CONTEXT_MODES.join(', ')}`);
  }
  if (!(opts.minutes > 0)) throw new DuetError('BAD_OPTION', '--minutes must be a positive number');
  await initTensorBackend();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const result = await runContextBench({
    modes: modes as ContextMode[],
    minutes: opts.minutes,
    epochs: opts.epochs ? opts.epochs : undefined,
    latencyConversations: opts.conversations,
    peer: opts.peer,
    latencyOnly: opts.latencyOnly,
    train: { seed: opts.seed, ...(opts.maxTokens && { maxTokens: opts.maxTokens }) },
    log: (line) => {
      stopBar();
      process.stderr.write(`bench context: ${line}\n`);
    },
    onProgress: (mode, p) => {
      if (!process.stderr.isTTY) {
        // No terminal (a log file, CI): a plain line every 30 s instead of a bar.
        if (performance.now() - lastLine > 30_000) {
          process.stderr.write(`bench context: ${mode} step ${p.step}, ${p.turns} turns, loss ${p.loss.toFixed(3)}, ${p.elapsedMinutes.toFixed(1)} min\n`);
          lastLine = performance.now();
        }
        return;
      }
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: `${mode.padEnd(6)} |{bar}| {value}/{total} s | step {step} | {turns} turns | loss {loss}`, stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.round(opts.minutes * 60), 0, { step: 0, turns: 0, loss: '-' });
      }
      bar.update(Math.min(Math.round(p.elapsedMinutes * 60), Math.round(opts.minutes * 60)), { step: p.step, turns: p.turns, loss: p.loss.toFixed(3) });
    },
  });
  stopBar();
  process.stdout.write(`${formatContextTable(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  writeContextResults(result, opts.json, opts.plot);
}
