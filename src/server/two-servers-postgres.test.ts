/**
 * Issue #6's figure, end to end: two `duet serve` processes on one PostgreSQL database, 100
 * reminders due at the same moment, event feeds for each user open on both servers at once. Each
 * reminder must reach exactly one feed: none twice, none lost, none to another user.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../store/postgres-store.js';
import { findPgBin, freshSchema, PG_MISSING_MESSAGE, startPgServer, type PgServer } from '../store/__fixtures__/pg-server.js';
import { SseReader } from './__fixtures__/sse-reader.js';

const pgBin = findPgBin();
const runner = fileURLToPath(new URL('../cli/__fixtures__/run-cli.ts', import.meta.url));

const REMINDERS = 100;
const USERS = 10;
const FEEDS_PER_USER_PER_SERVER = 2;
/** The feed polls every second (the server's default): the due moment is this far after the feeds open. */
const DUE_AFTER_MS = 2500;
/** After the last reminder arrives, keep reading longer than one poll, so a late duplicate shows. */
const GRACE_MS = 2500;
const DELIVERY_TIMEOUT_MS = 20_000;

interface ServeProcess {
  name: string;
  url: string;
  proc: ChildProcessByStdio<null, Readable, Readable>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The end of what it printed so far (JSON log lines on stdout, then stderr): a failing model load can print a whole wasm bundle. */
  output(): string;
  /** Its JSON log lines (stdout), all of them. */
  logs(): string;
}

/** `duet serve` from source in a child process, on a free port; resolves once it listens. */
async function serve(name: string, store: string): Promise<ServeProcess> {
  const args = ['--import', 'tsx', runner, 'serve', '--port', '0', '--tz', 'UTC', '--rate-limit', '0', '--log-level', 'info', '--store', store];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const output = () => `${stdout}${stderr}`.slice(-4000);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not listen within 60 s:\n${output()}`)), 60_000);
    const look = () => {
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { url?: unknown };
        if (typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve(entry.url);
          return;
        }
      }
    };
    proc.stdout.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${output()}`));
    });
  });
  return { name, url, proc, exited, output, logs: () => stdout };
}

interface Delivery {
  server: string;
  user: string;
  id: number;
  text: string;
  due: string;
}

describe.skipIf(!pgBin)('two duet serve processes on one PostgreSQL', () => {
  let pg: PgServer;
  const servers: ServeProcess[] = [];
  const readers: SseReader[] = [];
  beforeAll(async () => {
    pg = await startPgServer(pgBin!);
  });
  afterAll(async () => {
    for (const r of readers) await r.cancel();
    // Only if the test failed before stopping them itself.
    for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    pg?.stop();
  });

  it('delivers 100 reminders due at the same moment each exactly once across both servers, then both stop cleanly', async () => {
    const schema = freshSchema();
    // Creates the schema and its tables; the servers reach it through the URL's search_path.
    const store = createPostgresStore(pg.url, { schema });
    const url = `${pg.url}&options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    servers.push(...(await Promise.all([serve('A', url), serve('B', url)])));

    // Every feed opens at once, so both servers poll for the same users at about the same moments.
    const users = Array.from({ length: USERS }, (_, u) => `user${u}`);
    const opening = users.flatMap((user) => servers.flatMap((server) => Array.from({ length: FEEDS_PER_USER_PER_SERVER }, () => ({ server, user }))));
    const feeds = await Promise.all(
      opening.map(async ({ server, user }) => {
        const response = await fetch(`${server.url}/v1/events?user=${user}`);
        expect(response.status).toBe(200);
        const reader = new SseReader(response);
        readers.push(reader);
        expect(await reader.next(10_000)).toMatchObject({ event: 'ready', data: JSON.stringify({ user }) });
        return { server, user, reader };
      }),
    );

    const due = new Date(Date.now() + DUE_AFTER_MS);
    const added = new Map<number, string>();
    for (let i = 0; i < REMINDERS; i++) {
      const user = users[i % USERS];
      const reminder = store.forUser(user).addReminder({ text: `${user} #${i}`, due, now: new Date() });
      added.set(reminder.id, user);
    }
    store.close();
    expect(Date.now()).toBeLessThan(due.getTime()); // all were in before any fell due

    const deliveries: Delivery[] = [];
    const seen = new Set<number>();
    let deadline = due.getTime() + DELIVERY_TIMEOUT_MS;
    await Promise.all(
      feeds.map(async ({ server, user, reader }) => {
        for (let left = deadline - Date.now(); left > 0; left = deadline - Date.now()) {
          const event = await reader.next(Math.min(left, 200));
          if (!event) continue;
          expect(event.event).toBe('reminder');
          const { reminder } = JSON.parse(event.data) as { reminder: { id: number; text: string; due: string } };
          expect(event.id).toBe(`reminder-${reminder.id}`);
          deliveries.push({ server: server.name, user, ...reminder });
          seen.add(reminder.id);
          if (seen.size === REMINDERS) deadline = Math.min(deadline, Date.now() + GRACE_MS);
        }
      }),
    );

    const perServer = Object.fromEntries(servers.map((s) => [s.name, deliveries.filter((d) => d.server === s.name).length]));
    const duplicates = deliveries.length - seen.size;
    const missing = [...added.keys()].filter((id) => !seen.has(id));
    const splitUsers = users.filter((user) => new Set(deliveries.filter((d) => d.user === user).map((d) => d.server)).size > 1).length;
    console.log(
      `two servers on one PostgreSQL: ${REMINDERS} reminders due at the same moment, ${USERS} users, ${feeds.length} feeds; ` +
        `delivered by A ${perServer.A}, by B ${perServer.B}; duplicates ${duplicates}; missing ${missing.length}; users served by both ${splitUsers}`,
    );

    expect(duplicates).toBe(0);
    expect(missing).toEqual([]);
    expect(deliveries).toHaveLength(REMINDERS);
    for (const d of deliveries) {
      expect(added.get(d.id)).toBe(d.user); // to its own user's feed only
      expect(d.text.startsWith(`${d.user} #`)).toBe(true);
      expect(d.due).toBe(due.toISOString());
    }
    // Not asserted: how the reminders split between the servers. Whichever feed polls first after
    // the due moment claims all of its user's reminders, and one process's timers often run a few
    // milliseconds ahead of the other's for every user, so one server taking all 100 is a
    // legitimate outcome (seen in about one run in three), not a failure.

    for (const r of readers) await r.cancel();
    for (const s of servers) s.proc.kill('SIGTERM');
    const exits = await Promise.all(servers.map((s) => s.exited));
    for (const [i, exit] of exits.entries()) {
      expect(exit, servers[i].output()).toEqual({ code: 0, signal: null });
      expect(servers[i].logs()).toContain('"msg":"stopped"');
    }
  });
});

if (!pgBin) {
  describe('two duet serve processes on one PostgreSQL', () => {
    it.skip(PG_MISSING_MESSAGE, () => undefined);
  });
}
