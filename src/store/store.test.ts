import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restoreMemory, storeMemory } from '../dialogue/conversation-memory.js';
import { replay, type ConversationEvent } from '../dialogue/events.js';
import { StoreError } from '../errors.js';
import { roundToHalfInPlace } from '../model/half-precision.js';
import { createMemoryStore, createPostgresStore, openSqliteStore, SCHEMA_VERSION, type Store } from './index.js';
import { findPgBin, freshSchema, PG_MISSING_MESSAGE, startPgServer, type PgServer } from './__fixtures__/pg-server.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duet-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Catches what `fn` throws, failing when it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

interface Implementation {
  name: string;
  open: () => Store;
  setup?: () => Promise<void>;
  teardown?: () => void;
}
const implementations: Implementation[] = [
  { name: 'memory', open: () => createMemoryStore() },
  { name: 'sqlite', open: () => openSqliteStore(join(tempDir(), 'duet.db')) },
];
// PostgreSQL: a throwaway server for this file; each store gets a fresh schema, so it starts empty.
const pgBin = findPgBin();
if (pgBin) {
  let server: PgServer | undefined;
  implementations.push({
    name: 'postgres',
    open: () => createPostgresStore(server!.url, { schema: freshSchema() }),
    setup: async () => {
      server = await startPgServer(pgBin);
    },
    teardown: () => server?.stop(),
  });
} else {
  describe('postgres store', () => {
    it.skip(PG_MISSING_MESSAGE, () => undefined);
  });
}

describe.each(implementations)('$name store', ({ open, setup, teardown }) => {
  beforeAll(async () => {
    await setup?.();
  });
  afterAll(() => teardown?.());
  let store: Store;
  beforeEach(() => {
    store = open();
    return () => store.close();
  });

  describe('reminders', () => {
    it('adds reminders and lists pending ones soonest first', () => {
      const u = store.forUser('alice');
      const later = u.addReminder({ text: 'call mom', due: minutes(120), now: NOW });
      const sooner = u.addReminder({ text: 'take pills', due: minutes(30), now: NOW });
      expect(later).toEqual({ id: later.id, text: 'call mom', due: minutes(120), createdAt: NOW, deliveredAt: null });
      expect(later.id).not.toBe(sooner.id);
      expect(u.listReminders().map((r) => r.text)).toEqual(['take pills', 'call mom']);
    });

    it('lists reminders due in [from, to)', () => {
      const u = store.forUser('alice');
      u.addReminder({ text: 'a', due: minutes(10), now: NOW });
      u.addReminder({ text: 'b', due: minutes(20), now: NOW });
      u.addReminder({ text: 'c', due: minutes(30), now: NOW });
      expect(u.listReminders({ from: minutes(10), to: minutes(30) }).map((r) => r.text)).toEqual(['a', 'b']);
      expect(u.listReminders({ from: minutes(11) }).map((r) => r.text)).toEqual(['b', 'c']);
      expect(u.listReminders({ to: minutes(20) }).map((r) => r.text)).toEqual(['a']);
      expect(u.listReminders({ from: minutes(31) })).toEqual([]);
    });

    it('orders reminders with the same due time by creation', () => {
      const u = store.forUser('alice');
      for (const text of ['first', 'second', 'third']) u.addReminder({ text, due: minutes(5), now: NOW });
      expect(u.listReminders().map((r) => r.text)).toEqual(['first', 'second', 'third']);
    });

    it('cancels one reminder, and says false for an unknown id', () => {
      const u = store.forUser('alice');
      const a = u.addReminder({ text: 'a', due: minutes(10), now: NOW });
      const b = u.addReminder({ text: 'b', due: minutes(20), now: NOW });
      expect(u.cancelReminder(a.id)).toBe(true);
      expect(u.cancelReminder(a.id)).toBe(false);
      expect(u.cancelReminder(9999)).toBe(false);
      expect(u.listReminders().map((r) => r.id)).toEqual([b.id]);
    });

    it('cancels all pending reminders and returns how many', () => {
      const u = store.forUser('alice');
      u.addReminder({ text: 'a', due: minutes(10), now: NOW });
      u.addReminder({ text: 'b', due: minutes(20), now: NOW });
      expect(u.cancelAllReminders()).toBe(2);
      expect(u.listReminders()).toEqual([]);
      expect(u.cancelAllReminders()).toBe(0);
    });

    it('does not list, cancel or count delivered reminders', () => {
      const u = store.forUser('alice');
      const due = u.addReminder({ text: 'due', due: minutes(1), now: NOW });
      u.addReminder({ text: 'later', due: minutes(60), now: NOW });
      expect(store.claimDue(minutes(5))).toHaveLength(1);
      expect(u.listReminders().map((r) => r.text)).toEqual(['later']);
      expect(u.cancelReminder(due.id)).toBe(false);
      expect(u.cancelAllReminders()).toBe(1);
    });

    it('does not mix up ids that a cancelled reminder used', () => {
      const u = store.forUser('alice');
      const a = u.addReminder({ text: 'a', due: minutes(10), now: NOW });
      u.cancelReminder(a.id);
      const b = u.addReminder({ text: 'b', due: minutes(10), now: NOW });
      expect(b.id).not.toBe(a.id);
      expect(u.cancelReminder(a.id)).toBe(false);
    });

    it('refuses an invalid date', () => {
      const u = store.forUser('alice');
      expect(() => u.addReminder({ text: 'a', due: new Date('nope'), now: NOW })).toThrow(TypeError);
      expect(u.listReminders()).toEqual([]);
    });
  });

  describe('lists', () => {
    it('adds several items at once, storing the list name lower-case', () => {
      const u = store.forUser('alice');
      const added = u.addListItems('Shopping', ['eggs', 'milk', 'bread'], NOW);
      expect(added.map((i) => [i.list, i.text, i.done])).toEqual([
        ['shopping', 'eggs', false],
        ['shopping', 'milk', false],
        ['shopping', 'bread', false],
      ]);
      expect(u.listItems('SHOPPING').map((i) => i.text)).toEqual(['eggs', 'milk', 'bread']);
      expect(u.listItems(' shopping ').map((i) => i.id)).toEqual(added.map((i) => i.id));
    });

    it('keeps items in the order they were added, across calls', () => {
      const u = store.forUser('alice');
      u.addListItems('todo', ['b'], NOW);
      u.addListItems('todo', ['a'], NOW);
      expect(u.listItems('todo').map((i) => i.text)).toEqual(['b', 'a']);
    });

    it('checks off and removes items, false for unknown ids', () => {
      const u = store.forUser('alice');
      const [eggs, milk] = u.addListItems('shopping', ['eggs', 'milk'], NOW);
      expect(u.checkOffItem(eggs.id)).toBe(true);
      expect(u.listItems('shopping').map((i) => [i.text, i.done])).toEqual([
        ['eggs', true],
        ['milk', false],
      ]);
      expect(u.removeItem(milk.id)).toBe(true);
      expect(u.removeItem(milk.id)).toBe(false);
      expect(u.checkOffItem(milk.id)).toBe(false);
      expect(u.listItems('shopping').map((i) => i.text)).toEqual(['eggs']);
    });

    it('clears one list and leaves the others', () => {
      const u = store.forUser('alice');
      u.addListItems('shopping', ['eggs', 'milk'], NOW);
      u.addListItems('todo', ['taxes'], NOW);
      expect(u.clearList('Shopping')).toBe(2);
      expect(u.listItems('shopping')).toEqual([]);
      expect(u.listItems('todo').map((i) => i.text)).toEqual(['taxes']);
      expect(u.clearList('shopping')).toBe(0);
    });

    it('counts open and total items per list, by name', () => {
      const u = store.forUser('alice');
      expect(u.lists()).toEqual([]);
      const [eggs] = u.addListItems('shopping', ['eggs', 'milk', 'bread'], NOW);
      u.addListItems('todo', ['taxes'], NOW);
      u.checkOffItem(eggs.id);
      expect(u.lists()).toEqual([
        { list: 'shopping', open: 2, total: 3 },
        { list: 'todo', open: 1, total: 1 },
      ]);
    });

    it('adds nothing for an empty item list', () => {
      const u = store.forUser('alice');
      expect(u.addListItems('todo', [], NOW)).toEqual([]);
      expect(u.lists()).toEqual([]);
    });
  });

  describe('timers', () => {
    it('adds timers and lists them soonest end first', () => {
      const u = store.forUser('alice');
      const pasta = u.addTimer({ name: 'pasta', durationMs: 600_000, now: NOW });
      const egg = u.addTimer({ name: null, durationMs: 180_000, now: NOW });
      expect(pasta).toEqual({ id: pasta.id, name: 'pasta', durationMs: 600_000, startedAt: NOW, endsAt: minutes(10), deliveredAt: null });
      expect(u.listTimers().map((t) => t.id)).toEqual([egg.id, pasta.id]);
    });

    it('cancels a timer; finished and announced timers are no longer listed', () => {
      const u = store.forUser('alice');
      const a = u.addTimer({ name: 'a', durationMs: 60_000, now: NOW });
      const b = u.addTimer({ name: 'b', durationMs: 120_000, now: NOW });
      const c = u.addTimer({ name: 'c', durationMs: 600_000, now: NOW });
      expect(u.cancelTimer(b.id)).toBe(true);
      expect(u.cancelTimer(b.id)).toBe(false);
      store.claimDue(minutes(1));
      expect(u.listTimers().map((t) => t.id)).toEqual([c.id]);
      expect(u.cancelTimer(a.id)).toBe(false);
    });
  });

  describe('conversation events', () => {
    it('appends events with increasing sequence numbers and loads them in order', () => {
      const first = store.appendEvents('c1', [{ type: 'user', text: 'hi' }, { type: 'bot', text: 'hello' }], NOW);
      store.appendEvents('c2', [{ type: 'user', text: 'other' }], NOW);
      const second = store.appendEvents('c1', [{ type: 'user', text: 'bye' }], minutes(1));
      expect(first.map((e) => e.seq)).toEqual([1, 2]);
      expect(second).toEqual([{ seq: 3, conversation: 'c1', at: minutes(1), data: { type: 'user', text: 'bye' } }]);
      const loaded = store.loadEvents('c1');
      expect(loaded.map((e) => [e.seq, (e.data as { text: string }).text])).toEqual([
        [1, 'hi'],
        [2, 'hello'],
        [3, 'bye'],
      ]);
      expect(loaded[0].at).toEqual(NOW);
      expect(store.loadEvents('c2')).toHaveLength(1);
      expect(store.loadEvents('nobody')).toEqual([]);
    });

    it('tells the sequence number of the last event, 0 for none', () => {
      expect(store.lastEventSeq?.('c1')).toBe(0);
      store.appendEvents('c1', [{ type: 'user' }, { type: 'bot' }], NOW);
      store.appendEvents('c2', [{ type: 'user' }], NOW);
      expect(store.lastEventSeq?.('c1')).toBe(2);
      expect(store.lastEventSeq?.('c2')).toBe(1);
    });

    it('stores events as JSON: a later change to the caller object does not leak in', () => {
      const event = { type: 'slot', value: { when: '2026-11-26T17:00:00+00:00' }, at: NOW };
      store.appendEvents('c', [event], NOW);
      event.value.when = 'changed';
      expect(store.loadEvents('c')[0].data).toEqual({ type: 'slot', value: { when: '2026-11-26T17:00:00+00:00' }, at: NOW.toISOString() });
    });

    it('keeps a memory-mode model\'s memory on its user events: replay gives it back, value for value', () => {
      const owner = { fingerprint: '0123456789abcdef', shape: [4, 128] as const };
      const values = Float32Array.from({ length: 4 * 128 }, (_, i) => Math.sin(i) * 3);
      const turn = (text: string, memory?: ReturnType<typeof storeMemory> | null): ConversationEvent => ({ type: 'user', text, intent: 'greet', confidence: 0.9, slots: [], ...(memory !== undefined && { memory }) });
      store.appendEvents('c', [turn('hi', storeMemory(values.map((v) => -v), owner)), { type: 'bot', text: 'hello' }], NOW);
      store.appendEvents('c', [turn('and now', storeMemory(values, owner)), { type: 'bot', text: 'ok' }, turn('')], minutes(1));
      const state = replay(store.loadEvents('c').map((e) => e.data as ConversationEvent));
      const restored = restoreMemory(state.memory!, owner);
      // Stored in half precision: each value comes back as its nearest half-precision value.
      const expected = Float32Array.from(values);
      roundToHalfInPlace(expected);
      expect('memory' in restored && restored.memory).toEqual(expected);
      expect(Math.max(...expected.map((v, i) => Math.abs(v - values[i])))).toBeLessThan(2e-3);
      store.appendEvents('c', [turn('reset', null)], minutes(2));
      expect(replay(store.loadEvents('c').map((e) => e.data as ConversationEvent)).memory).toBeUndefined();
    });
  });

  describe('claimDue', () => {
    it('claims due reminders and finished timers once, in due order, with their user', () => {
      const alice = store.forUser('alice');
      const bob = store.forUser('bob');
      const r1 = alice.addReminder({ text: 'stretch', due: minutes(5), now: NOW });
      const t1 = bob.addTimer({ name: 'tea', durationMs: 3 * 60_000, now: NOW });
      alice.addReminder({ text: 'later', due: minutes(60), now: NOW });
      expect(store.claimDue(minutes(2))).toEqual([]);
      const claimed = store.claimDue(minutes(5));
      expect(claimed.map((n) => [n.kind, n.user])).toEqual([
        ['timer', 'bob'],
        ['reminder', 'alice'],
      ]);
      const [timerNotice, reminderNotice] = claimed;
      expect(timerNotice.kind === 'timer' && timerNotice.timer.id).toBe(t1.id);
      expect(reminderNotice.kind === 'reminder' && reminderNotice.reminder).toEqual({ ...r1, deliveredAt: minutes(5) });
      expect(store.claimDue(minutes(5))).toEqual([]);
      expect(store.claimDue(minutes(59))).toEqual([]);
      expect(store.claimDue(minutes(60)).map((n) => n.kind)).toEqual(['reminder']);
    });

    it('claims only one user when asked', () => {
      store.forUser('alice').addReminder({ text: 'a', due: minutes(1), now: NOW });
      store.forUser('bob').addReminder({ text: 'b', due: minutes(1), now: NOW });
      expect(store.claimDue(minutes(1), 'bob').map((n) => n.user)).toEqual(['bob']);
      expect(store.claimDue(minutes(1)).map((n) => n.user)).toEqual(['alice']);
    });
  });

  it('keeps every user apart: what A does never shows up for B, and B cannot touch A\'s ids', () => {
    const user = fc.string({ minLength: 1, maxLength: 8 });
    const op = fc.record({
      who: fc.constantFrom('a', 'b'),
      kind: fc.constantFrom('reminder', 'item', 'timer'),
      text: fc.string({ maxLength: 12 }),
      list: fc.constantFrom('todo', 'Shopping', 'shopping', "x'; DROP TABLE list_items; --"),
      offset: fc.integer({ min: 1, max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(user, { minLength: 2, maxLength: 2 }), fc.array(op, { maxLength: 15 }), ([nameA, nameB], ops) => {
        const s = open();
        try {
          const users = { a: s.forUser(nameA), b: s.forUser(nameB) };
          const made = { a: { reminders: [] as number[], items: [] as number[], timers: [] as number[] }, b: { reminders: [] as number[], items: [] as number[], timers: [] as number[] } };
          for (const o of ops) {
            const u = users[o.who as 'a' | 'b'];
            const mine = made[o.who as 'a' | 'b'];
            if (o.kind === 'reminder') mine.reminders.push(u.addReminder({ text: o.text, due: minutes(o.offset), now: NOW }).id);
            else if (o.kind === 'item') mine.items.push(...u.addListItems(o.list, [o.text], NOW).map((i) => i.id));
            else mine.timers.push(u.addTimer({ name: o.text, durationMs: o.offset * 1000, now: NOW }).id);
          }
          const seen = (who: 'a' | 'b') => ({
            reminders: users[who].listReminders().map((r) => r.id).sort((x, y) => x - y),
            items: users[who].lists().flatMap((l) => users[who].listItems(l.list).map((i) => i.id)).sort((x, y) => x - y),
            timers: users[who].listTimers().map((t) => t.id).sort((x, y) => x - y),
          });
          const sorted = (m: typeof made.a) => ({
            reminders: [...m.reminders].sort((x, y) => x - y),
            items: [...m.items].sort((x, y) => x - y),
            timers: [...m.timers].sort((x, y) => x - y),
          });
          expect(seen('a')).toEqual(sorted(made.a));
          expect(seen('b')).toEqual(sorted(made.b));
          // B tries every id of A: all refused, nothing of A changes.
          const before = { reminders: users.a.listReminders(), lists: users.a.lists(), timers: users.a.listTimers() };
          for (const id of made.a.reminders) expect(users.b.cancelReminder(id)).toBe(false);
          for (const id of made.a.items) {
            expect(users.b.checkOffItem(id)).toBe(false);
            expect(users.b.removeItem(id)).toBe(false);
          }
          for (const id of made.a.timers) expect(users.b.cancelTimer(id)).toBe(false);
          users.b.cancelAllReminders();
          for (const l of before.lists) users.b.clearList(l.list);
          expect(s.claimDue(minutes(20_000), nameB).every((n) => n.user === nameB)).toBe(true);
          expect({ reminders: users.a.listReminders(), lists: users.a.lists(), timers: users.a.listTimers() }).toEqual(before);
        } finally {
          s.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses use after close with STORE_CLOSED', () => {
    const s = open();
    const u = s.forUser('alice');
    s.close();
    const err = thrown(() => u.listReminders());
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_CLOSED');
  });
});

describe('sqlite store', () => {
  const child = fileURLToPath(new URL('./__fixtures__/store-child.ts', import.meta.url));

  /** Runs the child fixture under tsx; resolves with its stdout lines. */
  function runChild(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let buffered = '';
      let stderr = '';
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          onLine?.(line, () => proc.kill('SIGKILL'));
        }
      });
      proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      proc.on('error', reject);
      proc.on('close', (code, signal) => {
        if (code === 0 || signal === 'SIGKILL') resolve(lines);
        else reject(new Error(`child exited with ${code}: ${stderr}`));
      });
    });
  }

  it('keeps every kind of data across close and reopen', () => {
    const path = join(tempDir(), 'duet.db');
    const first = openSqliteStore(path);
    const u = first.forUser('alice');
    u.addReminder({ text: 'call mom', due: minutes(60), now: NOW });
    u.addReminder({ text: 'delivered', due: minutes(1), now: NOW });
    const [eggs] = u.addListItems('shopping', ['eggs', 'milk'], NOW);
    u.checkOffItem(eggs.id);
    u.addTimer({ name: 'pasta', durationMs: 600_000, now: NOW });
    first.appendEvents('c1', [{ type: 'user', text: 'hi' }], NOW);
    expect(first.claimDue(minutes(2))).toHaveLength(1);
    first.close();

    const second = openSqliteStore(path);
    const v = second.forUser('alice');
    expect(v.listReminders().map((r) => [r.text, r.due])).toEqual([['call mom', minutes(60)]]);
    expect(v.listItems('shopping').map((i) => [i.text, i.done])).toEqual([
      ['eggs', true],
      ['milk', false],
    ]);
    expect(v.listTimers().map((t) => [t.name, t.endsAt])).toEqual([['pasta', minutes(10)]]);
    expect(second.loadEvents('c1').map((e) => e.data)).toEqual([{ type: 'user', text: 'hi' }]);
    expect(second.appendEvents('c1', [{ type: 'bot' }], NOW)[0].seq).toBe(2);
    // The delivered reminder is not handed out again after a restart.
    expect(second.claimDue(minutes(2))).toEqual([]);
    second.close();
  });

  it('creates the parent folder, uses WAL and records the schema version', () => {
    const path = join(tempDir(), 'a', 'b', 'duet.db');
    openSqliteStore(path).close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('keeps a reminder whose write was acknowledged when the process is killed', async () => {
    const path = join(tempDir(), 'duet.db');
    const lines = await runChild(['add-and-hang', path, 'survive the crash', String(minutes(30).getTime())], (line, kill) => {
      if (line === 'added') kill();
    });
    expect(lines).toEqual(['added']);
    const store = openSqliteStore(path);
    expect(store.forUser('u').listReminders().map((r) => r.text)).toEqual(['survive the crash']);
    store.close();
  });

  it('hands each due notice to exactly one of several connections claiming at once', async () => {
    const path = join(tempDir(), 'duet.db');
    const setup = openSqliteStore(path);
    const count = 200;
    for (let i = 0; i < count; i++) {
      const u = setup.forUser(`user${i % 7}`);
      if (i % 3 === 0) u.addTimer({ name: `t${i}`, durationMs: (i + 1) * 1000, now: NOW });
      else u.addReminder({ text: `r${i}`, due: new Date(NOW.getTime() + (i + 1) * 1000), now: NOW });
    }
    setup.close();

    const startAt = Date.now() + 1500;
    const from = NOW.getTime();
    const to = NOW.getTime() + (count + 1) * 1000;
    const args = ['claim', path, String(startAt), String(from), String(to), '1000'];
    // Two child processes and this one, each its own connection, stepping through the same times.
    const children = [runChild(args), runChild(args)];
    const here = openSqliteStore(path);
    const mine: string[] = [];
    while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 5));
    for (let now = from; now <= to; now += 1000) {
      for (const n of here.claimDue(new Date(now))) mine.push(JSON.stringify({ kind: n.kind, id: n.kind === 'reminder' ? n.reminder.id : n.timer.id }));
    }
    here.close();
    const all = [...mine, ...(await Promise.all(children)).flat()];
    expect(all).toHaveLength(count);
    expect(new Set(all).size).toBe(count);
  });

  it('refuses a file that is not a database with STORE_CORRUPT, naming it and leaving its bytes alone', () => {
    const path = join(tempDir(), 'duet.db');
    const garbage = Buffer.alloc(8192);
    let x = 12345;
    for (let i = 0; i < garbage.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      garbage[i] = x >>> 24;
    }
    writeFileSync(path, garbage);
    const err = thrown(() => openSqliteStore(path));
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_CORRUPT');
    expect((err as StoreError).file).toBe(path);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).not.toContain('\n');
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it('refuses a damaged database with STORE_CORRUPT and leaves it as it was', () => {
    const path = join(tempDir(), 'duet.db');
    const s = openSqliteStore(path);
    s.forUser('alice').addReminder({ text: 'a', due: minutes(1), now: NOW });
    s.close();
    const bytes = readFileSync(path);
    // Keep the 100-byte header, wreck the schema page after it.
    bytes.fill(0xab, 100, 4096);
    writeFileSync(path, bytes);
    const err = thrown(() => openSqliteStore(path));
    expect((err as StoreError).code).toBe('STORE_CORRUPT');
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('reports STORE_LOCKED when another connection holds the write lock past the busy timeout', () => {
    const path = join(tempDir(), 'duet.db');
    openSqliteStore(path).close();
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    const store = openSqliteStore(path, { busyTimeoutMs: 50 });
    const u = store.forUser('alice');
    const err = thrown(() => u.addReminder({ text: 'a', due: minutes(1), now: NOW }));
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_LOCKED');
    expect((err as Error).message).toContain(path);
    expect(() => store.claimDue(minutes(1))).toThrow(StoreError);
    other.exec('COMMIT');
    other.close();
    // Once the other writer is gone the same store works.
    u.addReminder({ text: 'a', due: minutes(1), now: NOW });
    expect(u.listReminders()).toHaveLength(1);
    store.close();
  });

  it('reports STORE_LOCKED when a new file is locked while being set up', () => {
    const path = join(tempDir(), 'duet.db');
    const other = new Database(path);
    other.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);');
    const err = thrown(() => openSqliteStore(path, { busyTimeoutMs: 50 }));
    expect((err as StoreError).code).toBe('STORE_LOCKED');
    other.exec('ROLLBACK');
    other.close();
  });

  it('reports STORE_UNAVAILABLE for a path that cannot be a database file', () => {
    const dir = tempDir();
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a folder');
    const underFile = thrown(() => openSqliteStore(join(file, 'duet.db')));
    expect((underFile as StoreError).code).toBe('STORE_UNAVAILABLE');
    expect((underFile as Error).message).toContain(join(file, 'duet.db'));
    const isFolder = thrown(() => openSqliteStore(dir));
    expect((isFolder as StoreError).code).toBe('STORE_UNAVAILABLE');
    expect((isFolder as Error).message).toContain(dir);
  });

  it('refuses a store written by a newer schema with STORE_VERSION', () => {
    const path = join(tempDir(), 'duet.db');
    openSqliteStore(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const err = thrown(() => openSqliteStore(path));
    expect((err as StoreError).code).toBe('STORE_VERSION');
    expect((err as Error).message).toContain(path);
  });
});
