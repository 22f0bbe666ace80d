/**
 * Conversation tests: YAML files listing user turns and what the assistant must do at each
 * (intent, action, reply text, due notices) and the state it must leave behind (reminders,
 * lists, timers). `duet test <dir>` runs them; the format is in docs/conversation-tests.md.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DefinitionError } from '../errors.js';
import { parseYaml, resolvePath, valueLocation } from '../data/definition/yaml-source.js';
import type { Store } from '../store/types.js';
import type { Assistant, TurnResult } from './assistant.js';

const textOrList = z.union([z.string(), z.array(z.string())]);

const turnSchema = z.strictObject({
  user: z.string(),
  /** Who speaks this turn (default: the conversation's user). */
  as: z.string().optional(),
  /** The clock for this turn and the following ones (ISO-8601). */
  now: z.string().optional(),
  intent: z.string().optional(),
  reply_contains: textOrList.optional(),
  reply_not_contains: textOrList.optional(),
  action: z
    .union([
      z.null(),
      z.strictObject({
        skill: z.string().optional(),
        status: z.enum(['done', 'needs_slot', 'needs_confirmation', 'cancelled', 'failed']).optional(),
        args: z.record(z.string(), z.unknown()).optional(),
        result: z.unknown().optional(),
      }),
    ])
    .optional(),
  /** Due reminders/timers announced after this turn: each text must appear in one notice. */
  notices: z.array(z.string()).optional(),
});

const stateSchema = z.strictObject({
  /** Pending reminder texts (any order, exact set, case-insensitive). */
  reminders: z.array(z.string()).optional(),
  /** Open items per list (any order, exact set); a list not named is not checked. */
  lists: z.record(z.string(), z.array(z.string())).optional(),
  /** Running timers: their count. */
  timers: z.number().int().nonnegative().optional(),
});

const conversationSchema = z.strictObject({
  name: z.string(),
  user: z.string().optional(),
  now: z.string().optional(),
  tz: z.string().optional(),
  turns: z.array(turnSchema).min(1),
  /** State after the last turn, per user (`state: { alice: {...} }`) or for the conversation's user. */
  state: z.union([stateSchema, z.record(z.string(), stateSchema)]).optional(),
});

const fileSchema = z.strictObject({
  now: z.string().optional(),
  tz: z.string().optional(),
  conversations: z.array(conversationSchema).min(1),
});

export type ConversationTurn = z.infer<typeof turnSchema>;
export type ExpectedState = z.infer<typeof stateSchema>;

export interface ConversationTest {
  file: string;
  name: string;
  user: string;
  now: string;
  tz: string;
  turns: ConversationTurn[];
  state: Record<string, ExpectedState>;
}

/** Defaults when a file gives no clock or zone: tests must not depend on when they run. */
export const DEFAULT_TEST_NOW = '2026-11-25T10:00:00Z';
export const DEFAULT_TEST_TZ = 'Europe/London';

/** Reads conversation test files (`.yml`/`.yaml`; folders are searched recursively). */
export function loadConversationTests(paths: string[]): ConversationTest[] {
  const files = paths.flatMap((p) => yamlFiles(p)).sort();
  return files.flatMap((file) => parseConversationFile(readFileSync(file, 'utf8'), file));
}

function yamlFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? yamlFiles(full) : /\.ya?ml$/.test(name) ? [full] : [];
  });
}

/** Parses one file; problems are `DefinitionError`s at file:line:column. */
export function parseConversationFile(text: string, file: string): ConversationTest[] {
  const source = parseYaml(text, file);
  const parsed = fileSchema.safeParse(source.doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = valueLocation(source, resolvePath(source, issue.path));
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new DefinitionError(at, `${where}${issue.message}`);
  }
  const data = parsed.data;
  return data.conversations.map((c) => {
    const user = c.user ?? 'tester';
    const state: Record<string, ExpectedState> = {};
    if (c.state) {
      const keys = Object.keys(c.state);
      const perUser = keys.length > 0 && keys.every((k) => !['reminders', 'lists', 'timers'].includes(k));
      if (perUser) Object.assign(state, c.state);
      else state[user] = c.state as ExpectedState;
    }
    return {
      file,
      name: c.name,
      user,
      now: c.now ?? data.now ?? DEFAULT_TEST_NOW,
      tz: c.tz ?? data.tz ?? DEFAULT_TEST_TZ,
      turns: c.turns,
      state,
    };
  });
}

export interface ConversationOutcome {
  test: ConversationTest;
  passed: boolean;
  failures: string[];
  /** The turns as they went, for the report. */
  transcript: { user: string; result: TurnResult; notices: string[] }[];
}

/** What a test needs: a fresh assistant over a fresh store, with a clock the test moves. */
export interface TestHarness {
  assistant: Assistant;
  store: Store;
  setNow(date: Date): void;
  close(): void;
}

/** Runs one conversation against a fresh harness. */
export async function runConversationTest(
  test: ConversationTest,
  makeHarness: (tz: string, now: Date) => TestHarness,
  parseTime: (iso: string, tz: string) => Date,
  describeNotice: (notice: ReturnType<Store['claimDue']>[number]) => string,
): Promise<ConversationOutcome> {
  const harness = makeHarness(test.tz, parseTime(test.now, test.tz));
  const failures: string[] = [];
  const transcript: ConversationOutcome['transcript'] = [];
  try {
    for (const [index, turn] of test.turns.entries()) {
      if (turn.now) harness.setNow(parseTime(turn.now, test.tz));
      const user = turn.as ?? test.user;
      const result = await harness.assistant.handle({ user, text: turn.user });
      const notices = harness.assistant.claimDue(user).map(describeNotice);
      transcript.push({ user: turn.user, result, notices });
      const at = `turn ${index + 1} ("${turn.user.slice(0, 60)}")`;
      for (const problem of checkTurn(turn, result, notices)) failures.push(`${at}: ${problem}`);
    }
    for (const [user, expected] of Object.entries(test.state)) {
      for (const problem of checkState(harness.store, user, expected)) failures.push(`state of ${user}: ${problem}`);
    }
  } finally {
    harness.close();
  }
  return { test, passed: failures.length === 0, failures, transcript };
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Every way a turn's result differs from its expectations. */
export function checkTurn(turn: ConversationTurn, result: TurnResult, notices: string[]): string[] {
  const problems: string[] = [];
  const reply = result.reply.toLowerCase();
  if (turn.intent !== undefined && result.intent !== turn.intent) {
    problems.push(`intent ${result.intent} (${result.confidence.toFixed(2)}), expected ${turn.intent}`);
  }
  for (const text of asList(turn.reply_contains)) {
    if (!reply.includes(text.toLowerCase())) problems.push(`reply ${JSON.stringify(result.reply)} lacks ${JSON.stringify(text)}`);
  }
  for (const text of asList(turn.reply_not_contains)) {
    if (reply.includes(text.toLowerCase())) problems.push(`reply ${JSON.stringify(result.reply)} contains ${JSON.stringify(text)}`);
  }
  if (turn.action === null && result.action !== null) {
    problems.push(`action ${result.action.skill} ${result.action.status}, expected none`);
  } else if (turn.action) {
    const action = result.action;
    if (!action) problems.push(`no action, expected ${turn.action.skill ?? ''} ${turn.action.status ?? ''}`.trim());
    else {
      if (turn.action.skill !== undefined && action.skill !== turn.action.skill) problems.push(`action skill ${action.skill}, expected ${turn.action.skill}`);
      if (turn.action.status !== undefined && action.status !== turn.action.status) {
        problems.push(`action status ${action.status}, expected ${turn.action.status} (reply ${JSON.stringify(result.reply)})`);
      }
      if (turn.action.args !== undefined) problems.push(...partialMismatch('args', turn.action.args, action.args));
      if (turn.action.result !== undefined) problems.push(...partialMismatch('result', turn.action.result, action.result));
    }
  }
  for (const text of turn.notices ?? []) {
    if (!notices.some((n) => n.toLowerCase().includes(text.toLowerCase()))) problems.push(`no due notice containing ${JSON.stringify(text)} (got ${JSON.stringify(notices)})`);
  }
  return problems;
}

/**
 * Differences between an expected value and an actual one, where objects match when every
 * expected key matches (extra actual keys are fine), strings case-insensitively, and numbers
 * within a relative 1e-6.
 */
export function partialMismatch(path: string, expected: unknown, actual: unknown): string[] {
  if (expected === null || typeof expected !== 'object') {
    if (typeof expected === 'number' && typeof actual === 'number') {
      return Math.abs(expected - actual) <= 1e-6 * Math.max(1, Math.abs(expected)) ? [] : [`${path} is ${actual}, expected ${expected}`];
    }
    if (typeof expected === 'string' && typeof actual === 'string') {
      return expected.toLowerCase() === actual.toLowerCase() ? [] : [`${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
    }
    return expected === actual ? [] : [`${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [`${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
    }
    return expected.flatMap((e, i) => partialMismatch(`${path}[${i}]`, e, actual[i]));
  }
  if (actual === null || typeof actual !== 'object') return [`${path} is ${JSON.stringify(actual)}, expected an object`];
  return Object.entries(expected).flatMap(([key, value]) => partialMismatch(`${path}.${key}`, value, (actual as Record<string, unknown>)[key]));
}

function sameSet(expected: string[], actual: string[]): boolean {
  const norm = (xs: string[]) => xs.map((x) => x.toLowerCase().trim()).sort();
  return JSON.stringify(norm(expected)) === JSON.stringify(norm(actual));
}

/** Every way a user's stored data differs from the expected state. */
export function checkState(store: Store, user: string, expected: ExpectedState): string[] {
  const data = store.forUser(user);
  const problems: string[] = [];
  if (expected.reminders) {
    const actual = data.listReminders().map((r) => r.text);
    if (!sameSet(expected.reminders, actual)) problems.push(`reminders ${JSON.stringify(actual)}, expected ${JSON.stringify(expected.reminders)}`);
  }
  for (const [list, items] of Object.entries(expected.lists ?? {})) {
    const actual = data.listItems(list).filter((i) => !i.done).map((i) => i.text);
    if (!sameSet(items, actual)) problems.push(`list ${list} ${JSON.stringify(actual)}, expected ${JSON.stringify(items)}`);
  }
  if (expected.timers !== undefined) {
    const running = data.listTimers().length;
    if (running !== expected.timers) problems.push(`${running} timers, expected ${expected.timers}`);
  }
  return problems;
}
