/**
 * `duet chat`: load (or train once) an assistant and talk to it in the terminal, or drive it
 * with JSON lines (`--jsonl`) for tests and automation.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { styleText } from 'node:util';
import { DateTime } from 'luxon';
import { packageRoot } from '../data/datasets/files.js';
import type { AssistantDefinition } from '../data/types.js';
import { Assistant, type TurnResult } from '../dialogue/assistant.js';
import { ConfigError } from '../errors.js';
import { MODEL_FORMAT_VERSION } from '../model/config.js';
import { loadModel, type DuetModel } from '../model/duet-model.js';
import { WorkerUnderstander } from '../model/worker-understander.js';
import { builtinSkills } from '../skills/index.js';
import { isPostgresUrl, openStore } from '../store/open-store.js';
import type { DueNotice, Store } from '../store/types.js';
import { trainToFolder } from './train-command.js';

export interface ChatOptions {
  model?: string;
  definition?: string;
  debug?: boolean;
  retrain?: boolean;
  jsonl?: boolean;
  now?: string;
  tz?: string;
  store?: string;
  user?: string;
  /**
   * A `duet train-ranker` or `duet pretrain` folder with a response index: small talk for
   * out-of-scope messages. `false` (`--no-chat`): none. Unset: the shipped ranker for the bundled
   * demo, none for other assistants.
   */
  chat?: string | false;
  chatMinScore?: number;
}

/** The bundled demo assistant's definition folder. */
export function demoDefinitionPath(): string {
  return join(packageRoot(), 'examples', 'assistant');
}

/** The demo's trained model, committed beside its definition. */
export function demoModelPath(): string {
  return join(demoDefinitionPath(), 'model');
}

/** The chat ranker shipped in the package: the bundled demo's small talk. */
export function shippedChatRankerPath(): string {
  return join(packageRoot(), 'models', 'duet-chat-ranker');
}

/**
 * The chat folder a runtime uses: `--chat <dir>`; none with `--no-chat`; for the bundled demo, the
 * shipped ranker. Another assistant gets small talk only when asked, since the shipped ranker's
 * DailyDialog training data is licensed for non-commercial use only.
 */
export function chatFolder(options: Pick<ChatOptions, 'chat' | 'model' | 'definition'>): string | undefined {
  if (options.chat === false) return undefined;
  if (options.chat) return options.chat;
  const demo = !options.model && !options.definition;
  return demo && existsSync(join(shippedChatRankerPath(), 'config.json')) ? shippedChatRankerPath() : undefined;
}

/** Hash of a definition's text (plus the model format): identifies what a model was trained on. */
export function definitionHash(definitionPath: string): string {
  const hash = createHash('sha256').update(`format ${MODEL_FORMAT_VERSION}\n`);
  const files = statSync(definitionPath).isDirectory()
    ? readdirSync(definitionPath).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(definitionPath, f))
    : [definitionPath];
  for (const file of files) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

/** Model cache folder for a definition: a new definition text or model format gets a new folder. */
export function cachedModelDir(definitionPath: string): string {
  return resolve('.duet', 'models', `assistant-${definitionHash(definitionPath)}`);
}

/** A model folder with the definition it was trained on (`assistant.json`, written by `duet train`). */
export async function loadAssistantModel(dir: string): Promise<{ model: DuetModel; definition: AssistantDefinition }> {
  const model = await loadModel(dir);
  const file = join(dir, 'assistant.json');
  const definition = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as AssistantDefinition)
    : { name: 'model', language: 'en', intents: [], slots: [], responses: {}, warnings: [] };
  return { model, definition };
}

/** The model to serve and the folder it lives in (loaded, or trained once into the cache). */
async function trainOrLoad(options: ChatOptions, log: (line: string) => void): Promise<{ model: DuetModel; definition: AssistantDefinition; dir: string }> {
  const load = async (dir: string) => ({ ...(await loadAssistantModel(dir)), dir });
  if (options.model) return load(resolve(options.model));
  const definitionPath = resolve(options.definition ?? demoDefinitionPath());
  if (!existsSync(definitionPath)) throw new ConfigError(`No assistant definition at ${definitionPath}.`);
  if (!options.retrain && !options.definition && existsSync(join(demoModelPath(), 'config.json'))) return load(demoModelPath());
  const dir = cachedModelDir(definitionPath);
  if (!options.retrain && existsSync(join(dir, 'config.json'))) {
    log(`Loading ${dir}`);
    return load(dir);
  }
  log(`Training the assistant in ${definitionPath} (first run only; saved to ${dir})`);
  const { model, data } = await trainToFolder(definitionPath, { out: dir, seed: 42, quiet: options.jsonl });
  return { model, definition: data.definition as AssistantDefinition, dir };
}

/** `--now`: an ISO-8601 instant (with an offset, or read in `timeZone`). */
export function parseNow(text: string, timeZone: string): Date {
  const parsed = DateTime.fromISO(text, { zone: timeZone, setZone: true });
  if (!parsed.isValid) throw new ConfigError(`--now "${text}" is not an ISO-8601 date-time (for example 2026-11-25T10:00:00+01:00).`);
  return parsed.toJSDate();
}

/** `--tz`: an IANA zone; default the machine's. */
export function resolveTimeZone(zone: string | undefined): string {
  const tz = zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  if (!DateTime.local().setZone(tz).isValid) throw new ConfigError(`--tz "${tz}" is not an IANA time zone (for example Europe/Paris).`);
  return tz;
}

/** Default store: one SQLite file under `.duet/` in the working folder. */
export function defaultStorePath(): string {
  return resolve('.duet', 'duet.sqlite');
}

export interface Runtime {
  assistant: Assistant;
  store: Store;
  /** Closes the store and releases the model (and its thread). */
  close(): Promise<void>;
}

export interface RuntimeOptions extends ChatOptions {
  /** Run the model on its own thread (`duet serve`): see src/model/worker-understander.ts. */
  modelThread?: boolean;
  /** Commit a SQLite store's writes in groups (`duet serve`, which waits for `store.durable()` before replying). */
  groupCommit?: boolean;
}

/** Model + definition + built-in skills + store → a ready assistant. */
export async function openRuntime(options: RuntimeOptions, log: (line: string) => void): Promise<Runtime> {
  const timeZone = resolveTimeZone(options.tz);
  const fixedNow = options.now ? parseNow(options.now, timeZone) : undefined;
  const storeSpec = options.store ?? defaultStorePath();
  const store = openStore(storeSpec, { groupCommit: options.groupCommit });
  let loaded;
  try {
    loaded = await trainOrLoad(options, log);
  } catch (error) {
    store.close();
    throw error;
  }
  const { model, definition } = loaded;
  let thread: WorkerUnderstander | undefined;
  if (options.modelThread) {
    try {
      thread = await WorkerUnderstander.start(loaded.dir);
    } catch (error) {
      store.close();
      model.dispose();
      throw error;
    }
    // The thread holds its own copy; this one is not needed any more.
    model.dispose();
  }
  let chat: Awaited<ReturnType<typeof openChatter>> | undefined;
  const chatDir = chatFolder(options);
  if (chatDir) {
    try {
      chat = await openChatter(chatDir, options.chatMinScore);
    } catch (error) {
      store.close();
      if (thread) await thread.close();
      else model.dispose();
      throw error;
    }
  }
  const clock = { now: fixedNow };
  const assistant = new Assistant({
    understander: thread ?? model,
    chatter: chat?.chatter,
    definition,
    skills: builtinSkills,
    store,
    timeZone,
    now: () => clock.now ?? new Date(),
    // A PostgreSQL store may be shared by several processes: replay each conversation from the
    // store on every turn instead of trusting a cached state another process may have outdated.
    cacheConversations: !isPostgresUrl(storeSpec),
    log,
  });
  for (const missing of assistant.missingSkills()) log(`warning: no skill named "${missing}" is available; its intent will say so`);
  return {
    assistant,
    store,
    async close() {
      store.close();
      chat?.dispose();
      if (thread) await thread.close();
      else model.dispose();
    },
  };
}

/**
 * Small talk from a chat folder: its ranker over its response index, and, for a `duet pretrain`
 * folder, its generator below `minScore` (a `duet train-ranker` folder has no generator: below
 * `minScore` the assistant answers as it does without small talk).
 */
async function openChatter(dir: string, minScoreOption: number | undefined) {
  const { openChatEncoder } = await import('./chat-index-command.js');
  const { isChatRankerFolder } = await import('../model/chat-ranker.js');
  const { loadResponseIndex, RetrievalChatter } = await import('../dialogue/chatter.js');
  const index = loadResponseIndex(dir);
  const encoder = await openChatEncoder(dir);
  // A ranker folder's threshold was chosen on validation; a pretrain folder's is a default.
  const minScore = minScoreOption ?? encoder.minScore ?? 0.5;
  let generator: import('../model/reply-generator.js').ReplyGenerator | undefined;
  if (!isChatRankerFolder(dir)) {
    const { ReplyGenerator } = await import('../model/reply-generator.js');
    try {
      generator = await ReplyGenerator.load(dir);
    } catch (error) {
      encoder.dispose();
      throw error;
    }
  }
  const writer = generator && {
    reply: (context: string[], o: { seed?: number; onText?: (textSoFar: string) => void }) =>
      generator.reply(context, { maxTokens: 30, topP: 0.9, temperature: 0.8, repetitionPenalty: 1.2, seed: o.seed ?? 0, ...(o.onText && { onText: o.onText }) }),
  };
  return {
    // A ranker folder's request gate, when it has one, keeps requests the assistant cannot run from small talk.
    chatter: new RetrievalChatter(encoder, index, { minScore, generator: writer, ...(encoder.requestGate && { requestGate: encoder.requestGate }) }),
    dispose() {
      encoder.dispose();
      generator?.dispose();
    },
  };
}

/** One line for a due reminder or finished timer. */
export function describeNotice(notice: DueNotice): string {
  return notice.kind === 'reminder'
    ? `Reminder: ${notice.reminder.text}`
    : `Time's up${notice.timer.name ? ` for the ${notice.timer.name} timer` : ''}!`;
}

export async function runChat(options: ChatOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (options.jsonl) return runJsonl(options, log);
  const runtime = await openRuntime(options, log);
  const user = options.user ?? 'local';
  const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  const paint = (format: Parameters<typeof styleText>[0], text: string) => (interactive ? styleText(format, text) : text);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  const print = (line: string) => {
    if (interactive) process.stdout.write('\r\x1b[K');
    process.stdout.write(`${line}\n`);
  };
  print(`${runtime.assistant.definition.name} is ready: I can ${runtime.assistant.capabilities()}.`);
  print(paint('dim', 'Type a message (/debug toggles details, /quit or Ctrl-D ends).'));
  let debug = Boolean(options.debug);
  // Due reminders and timers are printed as they come, between turns.
  const deliver = () => {
    for (const notice of runtime.assistant.claimDue(user)) print(paint(['bold', 'yellow'], `⏰ ${describeNotice(notice)}`));
  };
  // Not while a turn runs: a generated reply is being written on the current line.
  let inTurn = false;
  const ticker = setInterval(() => {
    if (inTurn) return;
    deliver();
    if (interactive) rl.prompt(true);
  }, 1000);
  rl.setPrompt(paint('cyan', 'you> '));
  if (interactive) rl.prompt();
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/quit' || text === '/exit') break;
      if (text === '/debug') {
        debug = !debug;
        print(`debug ${debug ? 'on' : 'off'}`);
      } else if (text) {
        if (!interactive) print(`you> ${text}`);
        // At a terminal a generated reply appears as it is written; piped output gets whole lines.
        let streamed = '';
        const onReplyText = (part: string) => {
          if (!streamed) process.stdout.write(`\r\x1b[K${paint('green', 'bot>')} `);
          streamed += part;
          process.stdout.write(part);
        };
        inTurn = true;
        const result = await runtime.assistant.handle({ user, text, ...(interactive && { onReplyText }) }).finally(() => (inTurn = false));
        if (streamed) process.stdout.write(`${result.reply.slice(streamed.length)}\n`);
        else print(`${paint('green', 'bot>')} ${result.reply}`);
        if (debug) print(paint('dim', debugLine(result)));
      }
      deliver();
      if (interactive) rl.prompt();
    }
  } finally {
    clearInterval(ticker);
    rl.close();
    await runtime.close();
  }
}

function debugLine(result: TurnResult): string {
  const slots = Object.entries(result.slots).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const action = result.action ? ` → ${result.action.skill} ${result.action.status} ${JSON.stringify(result.action.args)}` : '';
  return `     intent ${result.intent} (${(result.confidence * 100).toFixed(1)}%)${slots ? ` ${slots}` : ''}${action}`;
}

/** Scripted mode: one JSON object per input line, one JSON line per turn. */
async function runJsonl(options: ChatOptions, log: (line: string) => void): Promise<void> {
  const runtime = await openRuntime(options, log);
  const rl = createInterface({ input: process.stdin, terminal: false });
  const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  try {
    let lineNo = 0;
    for await (const line of rl) {
      lineNo++;
      if (!line.trim()) continue;
      let request: { text?: unknown; user?: unknown };
      try {
        request = JSON.parse(line) as { text?: unknown; user?: unknown };
      } catch (error) {
        write({ error: `line ${lineNo}: not JSON (${(error as Error).message})` });
        continue;
      }
      if (typeof request !== 'object' || request === null || typeof request.text !== 'string') {
        write({ error: `line ${lineNo}: expected {"text": string, "user"?: string}` });
        continue;
      }
      const user = typeof request.user === 'string' && request.user ? request.user : (options.user ?? 'local');
      const result = await runtime.assistant.handle({ user, text: request.text });
      const notices = runtime.assistant.claimDue(user).map((n) => ({ kind: n.kind, text: describeNotice(n) }));
      write(notices.length > 0 ? { ...result, notices } : result);
    }
  } finally {
    rl.close();
    await runtime.close();
  }
}
