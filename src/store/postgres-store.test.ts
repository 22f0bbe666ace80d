/** PostgreSQL-only behaviour (the shared suite in store.test.ts runs against PostgreSQL too). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { createPostgresStore, isPostgresUrl, openApiKeys, openPostgresApiKeys, openStore, PG_SCHEMA_VERSION } from './index.js';
import { PgSyncConnection } from './pg-sync.js';
import { findPgBin, freshSchema, PG_MISSING_MESSAGE, startPgServer, type PgServer } from './__fixtures__/pg-server.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const pgBin = findPgBin();

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

it('tells PostgreSQL URLs from file paths', () => {
  expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
  expect(isPostgresUrl('postgresql://u@h/db')).toBe(true);
  expect(isPostgresUrl('.duet/duet.sqlite')).toBe(false);
  expect(isPostgresUrl('postgres.sqlite')).toBe(false);
});

describe.skipIf(!pgBin)('postgres store', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = await startPgServer(pgBin!);
  });
  afterAll(() => server?.stop());

  const child = fileURLToPath(new URL('./__fixtures__/pg-child.ts', import.meta.url));
  const runChild = (args: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', child, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`child failed: ${stderr || String(error)}`));
        else resolve(stdout.split('\n').filter(Boolean));
      });
    });

  it('two processes adding list items and claiming due notices at once: nothing lost, nothing doubled', async () => {
    const schema = freshSchema();
    const setup = createPostgresStore(server.url, { schema });
    const count = 100;
    const step = 1000;
    // 100 reminders due at the same moment (the figure), plus timers and reminders due later.
    for (let i = 0; i < count; i++) setup.forUser(`user${i % 5}`).addReminder({ text: `same ${i}`, due: NOW, now: NOW });
    for (let i = 0; i < count; i++) {
      const u = setup.forUser(`user${i % 7}`);
      if (i % 2 === 0) u.addTimer({ name: `t${i}`, durationMs: (i + 1) * step, now: NOW });
      else u.addReminder({ text: `r${i}`, due: new Date(NOW.getTime() + (i + 1) * step), now: NOW });
    }
    setup.close();
    const startAt = Date.now() + 2000;
    const from = NOW.getTime();
    const to = NOW.getTime() + (count + 1) * step;
    const args = (name: string) => ['work', server.url, schema, name, String(startAt), String(from), String(to), String(step)];
    const [a, b] = await Promise.all([runChild(args('a')), runChild(args('b'))]);
    const lines = [...a, ...b].map((l) => JSON.parse(l) as { item?: number; text?: string; claimed?: string });
    const claimed = lines.flatMap((l) => (l.claimed ? [l.claimed] : []));
    expect(claimed).toHaveLength(2 * count);
    expect(new Set(claimed).size).toBe(2 * count);
    const items = lines.filter((l) => l.item !== undefined);
    const steps = (to - from) / step + 1;
    expect(items).toHaveLength(2 * steps);
    expect(new Set(items.map((l) => l.item)).size).toBe(2 * steps);

    const check = createPostgresStore(server.url, { schema });
    const stored = check.forUser('shared').listItems('shared');
    expect(stored.map((i) => i.id).sort((x, y) => x - y)).toEqual(items.map((l) => l.item!).sort((x, y) => x - y));
    expect(new Set(stored.map((i) => i.text)).size).toBe(2 * steps);
    expect(check.claimDue(new Date(to + 10 * step))).toEqual([]);
    check.close();
  });

  it('keeps data across close and reopen, and appends events after the last one', () => {
    const schema = freshSchema();
    const first = createPostgresStore(server.url, { schema });
    first.forUser('alice').addReminder({ text: 'call mom', due: NOW, now: NOW });
    first.appendEvents('c1', [{ type: 'user' }], NOW);
    first.close();
    const second = createPostgresStore(server.url, { schema });
    expect(second.forUser('alice').listReminders().map((r) => r.text)).toEqual(['call mom']);
    expect(second.appendEvents('c1', [{ type: 'bot' }], NOW)[0].seq).toBe(2);
    expect(second.lastEventSeq?.('c1')).toBe(2);
    second.close();
  });

  it('records the schema version and refuses a newer one with STORE_VERSION', () => {
    const schema = freshSchema();
    createPostgresStore(server.url, { schema }).close();
    const raw = new PgSyncConnection(server.url, { schema });
    expect(raw.query<{ version: number }>('SELECT version FROM duet_schema_version').rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
    raw.query('UPDATE duet_schema_version SET version = $1', [PG_SCHEMA_VERSION + 1]);
    raw.close();
    const err = thrown(() => createPostgresStore(server.url, { schema }));
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_VERSION');
  });

  it('reports an unreachable server with STORE_UNAVAILABLE and a refused login with STORE_AUTH, hiding the password', () => {
    const nowhere = `postgresql://postgres:secret@localhost:1/postgres?host=${encodeURIComponent(server.dir)}`;
    const unreachable = thrown(() => createPostgresStore(nowhere));
    expect(unreachable).toBeInstanceOf(StoreError);
    expect((unreachable as StoreError).code).toBe('STORE_UNAVAILABLE');
    expect((unreachable as Error).message).not.toContain('secret');
    expect((unreachable as Error).message).not.toContain('\n');
    const tcp = thrown(() => createPostgresStore('postgres://postgres@127.0.0.1:1/postgres'));
    expect((tcp as StoreError).code).toBe('STORE_UNAVAILABLE');

    const noRole = server.url.replace('postgres@', 'nobody_here@');
    const auth = thrown(() => createPostgresStore(noRole));
    expect((auth as StoreError).code).toBe('STORE_AUTH');
    const noDb = server.url.replace('/postgres?', '/no_such_db?');
    expect((thrown(() => createPostgresStore(noDb)) as StoreError).code).toBe('STORE_UNAVAILABLE');
  });

  it('reports STORE_LOCKED when another session holds a row lock past the busy timeout', () => {
    const schema = freshSchema();
    const store = createPostgresStore(server.url, { schema, busyTimeoutMs: 100 });
    const item = store.forUser('alice').addListItems('l', ['x'], NOW)[0];
    const other = new PgSyncConnection(server.url, { schema });
    other.query('BEGIN');
    other.query('SELECT * FROM list_items WHERE id = $1 FOR UPDATE', [item.id]);
    const err = thrown(() => store.forUser('alice').checkOffItem(item.id));
    expect((err as StoreError).code).toBe('STORE_LOCKED');
    other.query('ROLLBACK');
    other.close();
    expect(store.forUser('alice').checkOffItem(item.id)).toBe(true);
    store.close();
  });

  it('keeps API keys in PostgreSQL: create, verify, list, revoke', () => {
    const schema = freshSchema();
    const keys = openPostgresApiKeys(server.url, { schema });
    expect(keys.hasActive()).toBe(false);
    const { key, info } = keys.create('alice', NOW);
    expect(keys.hasActive()).toBe(true);
    expect(keys.verify(key)).toEqual(info);
    expect(keys.verify(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(keys.list()).toEqual([info]);
    expect(keys.revoke(info.id, NOW)).toBe(true);
    expect(keys.revoke(info.id, NOW)).toBe(false);
    expect(keys.verify(key)).toBeNull();
    expect(keys.hasActive()).toBe(false);
    keys.close();
  });

  it('opens PostgreSQL for a postgres:// --store and SQLite otherwise', () => {
    const store = openStore(server.url);
    store.forUser('bob').addReminder({ text: 'x', due: NOW, now: NOW });
    expect(store.claimDue(NOW).map((n) => n.user)).toEqual(['bob']);
    store.close();
    const keys = openApiKeys(server.url.replace('postgresql://', 'postgres://'));
    keys.create('bob', NOW);
    expect(keys.hasActive()).toBe(true);
    keys.close();
  });
});

if (!pgBin) {
  describe('postgres store', () => {
    it.skip(PG_MISSING_MESSAGE, () => undefined);
  });
}
