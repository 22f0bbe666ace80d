/**
 * Group commit of the SQLite store (`groupCommit: true`, as `duet serve` opens it): writes made in
 * one turn of the event loop share a transaction, committed at the next; `durable()` says when.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { createRng } from '../util/random.js';
import { openSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = new Date('2026-11-25T10:00:00Z');

/** Reminder texts another connection sees: only what is committed. */
function committedTexts(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT text FROM reminders ORDER BY id').all() as { text: string }[]).map((r) => r.text);
  } finally {
    db.close();
  }
}

it('commits the writes of one turn of the loop together, and durable() resolves once they are on disk', async () => {
  const path = join(dir, 'group.sqlite');
  const store = openSqliteStore(path, { groupCommit: true });
  try {
    const user = store.forUser('ann');
    user.addReminder({ text: 'one', due: NOW, now: NOW });
    store.appendEvents('ann', [{ type: 'user', text: 'hi' }], NOW);
    user.addListItems('shopping', ['milk'], NOW);
    // The writing connection reads its own writes at once; others only after the commit.
    expect(user.listReminders().map((r) => r.text)).toEqual(['one']);
    expect(committedTexts(path)).toEqual([]);
    await store.durable!();
    expect(committedTexts(path)).toEqual(['one']);
    expect(store.loadEvents('ann')).toHaveLength(1);
    // With nothing written since, there is nothing to wait for.
    await store.durable!();
  } finally {
    store.close();
  }
});

it('a write that fails inside a group rolls back alone; the others in the group are committed', async () => {
  const path = join(dir, 'savepoint.sqlite');
  const store = openSqliteStore(path, { groupCommit: true });
  try {
    store.appendEvents('bob', [{ type: 'user', text: 'kept' }], NOW);
    const circular: Record<string, unknown> = { type: 'user' };
    circular.self = circular;
    // The first event of this append is written, then the second cannot be serialised: both go.
    expect(() => store.appendEvents('bob', [{ type: 'user', text: 'half' }, circular], NOW)).toThrow();
    store.appendEvents('bob', [{ type: 'user', text: 'after' }], NOW);
    await store.durable!();
  } finally {
    store.close();
  }
  const reopened = openSqliteStore(path);
  try {
    expect(reopened.loadEvents('bob').map((e) => (e.data as { text: string }).text)).toEqual(['kept', 'after']);
  } finally {
    reopened.close();
  }
});

it('close() commits what is pending', () => {
  const path = join(dir, 'close.sqlite');
  const store = openSqliteStore(path, { groupCommit: true });
  store.forUser('cy').addReminder({ text: 'at close', due: NOW, now: NOW });
  store.close();
  expect(committedTexts(path)).toEqual(['at close']);
});

const KILLS = Number(process.env.DUET_GROUP_CRASH_KILLS ?? 10);
const writer = fileURLToPath(new URL('./__fixtures__/group-writer.ts', import.meta.url));

/** Runs the writer until `afterMs` after it is ready, then SIGKILLs it; returns the acknowledged numbers. */
function runAndKill(path: string, first: number, afterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', writer, path, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffer = '';
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') setTimeout(() => proc.kill('SIGKILL'), afterMs);
        else if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      }
    });
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`writer exited without being killed: ${stderr}`))));
  });
}

it(`keeps every acknowledged write through ${KILLS} SIGKILLs at random points, and the file stays sound`, async () => {
  const path = join(dir, 'crash.sqlite');
  openSqliteStore(path).close();
  const random = createRng(20261126);
  const acknowledged: number[] = [];
  let first = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const acked = await runAndKill(path, first, Math.floor(random() * 300));
    acknowledged.push(...acked);
    // The next life starts past anything this one may have written, acknowledged or not.
    first += 1_000_000;
  }
  const stored = committedTexts(path);
  const storedNumbers = new Set(stored.map((t) => Number(t.replace('reminder ', ''))));
  expect(acknowledged.length).toBeGreaterThan(KILLS);
  expect(acknowledged.filter((n) => !storedNumbers.has(n))).toEqual([]);
  expect(new Set(stored).size).toBe(stored.length);
  console.log(`group commit: ${KILLS} kills, ${acknowledged.length} acknowledged writes all stored once; ${stored.length} rows stored in all (writes killed before their acknowledgement included)`);
  const db = new Database(path, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
}, 120_000);
