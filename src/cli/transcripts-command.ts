/** `duet transcripts`: play the scripted conversations of src/docs/transcripts.ts with the demo assistant (docs/transcripts.md). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { packageRoot } from '../data/datasets/files.js';
import { renderTranscripts, TRANSCRIPT_CLOCK, type ScriptedConversation } from '../docs/transcripts.js';
import { chatFolder, demoModelPath, openRuntime } from './chat-command.js';

export interface TranscriptsCommandOptions {
  /** Markdown file to write (default: stdout). */
  out?: string;
  /** Model folder (default: the shipped demo model). */
  model?: string;
}

/** The transcripts as Markdown: the model on a fixed clock, with a temporary store deleted afterwards. */
export async function generateTranscripts(
  opts: TranscriptsCommandOptions & { conversations?: readonly ScriptedConversation[] },
  log: (line: string) => void = () => {},
): Promise<string> {
  const model = resolve(opts.model ?? demoModelPath());
  // The demo talks with the shipped chat ranker, as `duet chat` runs it; another model without small talk.
  const chat = opts.model ? undefined : chatFolder({});
  const dir = mkdtempSync(join(tmpdir(), 'duet-transcripts-'));
  try {
    const runtime = await openRuntime({ model, chat: chat ?? false, now: TRANSCRIPT_CLOCK.now, tz: TRANSCRIPT_CLOCK.timeZone, store: join(dir, 'transcripts.sqlite') }, log);
    try {
      return await renderTranscripts(runtime.assistant, {
        command: ['duet transcripts', ...(opts.out ? ['--out', opts.out] : []), ...(opts.model ? ['--model', opts.model] : [])].join(' '),
        model: displayPath(model),
        ...(chat && { chat: displayPath(chat) }),
        now: TRANSCRIPT_CLOCK.now,
        timeZone: TRANSCRIPT_CLOCK.timeZone,
        conversations: opts.conversations,
      });
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run `duet transcripts`: write the Markdown to `--out`, or print it. */
export async function runTranscriptsCommand(opts: TranscriptsCommandOptions): Promise<void> {
  const markdown = await generateTranscripts(opts, (line) => process.stderr.write(`${line}\n`));
  if (!opts.out) {
    process.stdout.write(markdown);
    return;
  }
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  writeFileSync(opts.out, markdown);
  process.stdout.write(`Wrote ${opts.out}\n`);
}

/** A folder inside this package by its relative path (the same on every machine), any other as given. */
function displayPath(dir: string): string {
  const inside = relative(packageRoot(), dir);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split('\\').join('/') : dir;
}
