/**
 * The PostgreSQL store: the same data and behaviour as the SQLite store, for several server
 * processes sharing one state. It implements the synchronous `Store` interface through a
 * synchronous facade over node-postgres running in a worker thread (see `pg-sync.ts` for why and
 * how). Each store is one PostgreSQL session.
 *
 * - Every write runs in a transaction (BEGIN ... COMMIT); a reply is sent only after COMMIT.
 * - `claimDue` marks rows delivered with `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
 *   LOCKED) RETURNING`: a row locked by another claimer is skipped, and one it already committed
 *   no longer matches `delivered_at IS NULL`, so each notice is handed out exactly once across
 *   processes, without claimers waiting on each other.
 * - Appending events takes a per-conversation advisory lock, so two processes appending to one
 *   conversation get consecutive sequence numbers instead of a conflict.
 * - Every user query binds `user_id = $n` to the user of `forUser`, as in SQLite.
 * - The schema is versioned (`duet_schema_version`); migrations run under an advisory lock, so
 *   several processes starting at once migrate once. Times are UTC milliseconds (BIGINT).
 */
import { StoreError } from '../errors.js';
import { normaliseListName } from './list-name.js';
import { PgSyncConnection, type PgConnectionOptions, type PgStep } from './pg-sync.js';
import type { DueNotice, ListItem, Reminder, Store, StoredEvent, Timer, UserStore } from './types.js';

export type PostgresStoreOptions = PgConnectionOptions;

/** Append new migrations; never edit a released one. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE reminders (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    due BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
  );
  CREATE INDEX reminders_by_user ON reminders (user_id, delivered_at, due);
  CREATE INDEX reminders_pending ON reminders (due) WHERE delivered_at IS NULL;

  CREATE TABLE list_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT NOT NULL,
    list TEXT NOT NULL,
    text TEXT NOT NULL,
    done BOOLEAN NOT NULL DEFAULT false,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX list_items_by_user ON list_items (user_id, list, id);

  CREATE TABLE timers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT,
    duration_ms BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    delivered_at BIGINT
  );
  CREATE INDEX timers_by_user ON timers (user_id, delivered_at, ends_at);
  CREATE INDEX timers_pending ON timers (ends_at) WHERE delivered_at IS NULL;

  CREATE TABLE events (
    conversation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation, seq)
  );
  `,
  `
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
  );
  `,
];

/** The schema version this code writes (the same numbering as the SQLite store's). */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Any constant: the advisory lock key under which migrations run. */
const MIGRATION_LOCK = 4_242_020_261_125;

/** Opens a connection and brings the schema up to date (creating the schema when `options.schema` names one). */
export function openPostgresDatabase(url: string, options: PgConnectionOptions = {}): PgSyncConnection {
  const conn = new PgSyncConnection(url, options);
  try {
    conn.transaction(() => {
      conn.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (options.schema !== undefined) conn.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
      conn.query('CREATE TABLE IF NOT EXISTS duet_schema_version (version INTEGER NOT NULL)');
      const row = conn.query<{ version: number }>('SELECT version FROM duet_schema_version').rows[0];
      const version = row?.version ?? 0;
      if (version > MIGRATIONS.length) {
        throw new StoreError(
          'STORE_VERSION',
          conn.label,
          `The store ${conn.label} has schema version ${version}, newer than this Duet knows (${MIGRATIONS.length}); upgrade Duet or use another database.`,
        );
      }
      for (let v = version; v < MIGRATIONS.length; v++) conn.query(MIGRATIONS[v]);
      if (!row) conn.query('INSERT INTO duet_schema_version (version) VALUES ($1)', [MIGRATIONS.length]);
      else if (version < MIGRATIONS.length) conn.query('UPDATE duet_schema_version SET version = $1', [MIGRATIONS.length]);
    });
    return conn;
  } catch (error) {
    conn.close();
    throw error;
  }
}

/**
 * Opens the PostgreSQL store at `url` (`postgres://user:password@host:port/database`; a Unix
 * socket folder as `?host=/path`). Throws StoreError: STORE_UNAVAILABLE (server unreachable, no
 * such database), STORE_AUTH (login refused), STORE_VERSION (schema newer than this Duet).
 */
export function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  return new PostgresStore(openPostgresDatabase(url, options));
}

function ms(date: Date, what: string): number {
  const t = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(t)) throw new TypeError(`${what} must be a valid Date`);
  return t;
}
const toDate = (t: number | null): Date | null => (t === null ? null : new Date(t));
/** An id PostgreSQL can compare with a BIGINT; anything else matches no row. */
const validId = (id: number) => Number.isSafeInteger(id);

interface ReminderRow {
  id: number;
  user_id: string;
  text: string;
  due: number;
  created_at: number;
  delivered_at: number | null;
}
interface ListItemRow {
  id: number;
  list: string;
  text: string;
  done: boolean;
  created_at: number;
}
interface TimerRow {
  id: number;
  user_id: string;
  name: string | null;
  duration_ms: number;
  started_at: number;
  ends_at: number;
  delivered_at: number | null;
}

const REMINDER_COLUMNS = 'id, user_id, text, due, created_at, delivered_at';
const ITEM_COLUMNS = 'id, list, text, done, created_at';
const TIMER_COLUMNS = 'id, user_id, name, duration_ms, started_at, ends_at, delivered_at';

function reminderFromRow(r: ReminderRow): Reminder {
  return { id: r.id, text: r.text, due: new Date(r.due), createdAt: new Date(r.created_at), deliveredAt: toDate(r.delivered_at) };
}
function listItemFromRow(r: ListItemRow): ListItem {
  return { id: r.id, list: r.list, text: r.text, done: r.done, createdAt: new Date(r.created_at) };
}
function timerFromRow(r: TimerRow): Timer {
  return {
    id: r.id,
    name: r.name,
    durationMs: r.duration_ms,
    startedAt: new Date(r.started_at),
    endsAt: new Date(r.ends_at),
    deliveredAt: toDate(r.delivered_at),
  };
}

class PostgresStore implements Store {
  constructor(readonly conn: PgSyncConnection) {}

  read<R>(text: string, values: unknown[]): R[] {
    return this.conn.query<R>(text, values).rows;
  }

  /** One write statement in its own transaction. */
  write<R>(text: string, values: unknown[]): { rows: R[]; rowCount: number } {
    const [result] = this.conn.batch([{ text, values }]);
    return result as { rows: R[]; rowCount: number };
  }

  forUser(user: string): UserStore {
    return new PostgresUserStore(this, user);
  }

  appendEvents(conversation: string, events: unknown[], at: Date): StoredEvent[] {
    const when = ms(at, 'at');
    if (events.length === 0) return [];
    const data = events.map((event) => JSON.stringify(event) ?? 'null');
    const steps: PgStep[] = [
      { text: 'SELECT pg_advisory_xact_lock(hashtext($1))', values: [`duet-events:${conversation}`] },
      ...data.map((d) => ({
        text: 'INSERT INTO events (conversation, seq, at, data) VALUES ($1, COALESCE((SELECT MAX(seq) FROM events WHERE conversation = $1), 0) + 1, $2, $3) RETURNING seq',
        values: [conversation, when, d],
      })),
    ];
    const results = this.conn.batch(steps).slice(1);
    return results.map((r, i) => ({ seq: r.rows[0].seq as number, conversation, at: new Date(when), data: JSON.parse(data[i]) as unknown }));
  }

  loadEvents(conversation: string): StoredEvent[] {
    return this.read<{ seq: number; at: number; data: string }>('SELECT seq, at, data FROM events WHERE conversation = $1 ORDER BY seq', [conversation]).map(
      (r) => ({ seq: r.seq, conversation, at: new Date(r.at), data: JSON.parse(r.data) as unknown }),
    );
  }

  lastEventSeq(conversation: string): number {
    return this.read<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE conversation = $1', [conversation])[0]?.seq ?? 0;
  }

  claimDue(now: Date, user?: string): DueNotice[] {
    const t = ms(now, 'now');
    const ofUser = user === undefined ? '' : ' AND user_id = $3';
    const values = user === undefined ? [t, t] : [t, t, user];
    const [reminders, timers] = this.conn.batch([
      {
        text: `UPDATE reminders SET delivered_at = $1 WHERE id IN (SELECT id FROM reminders WHERE delivered_at IS NULL AND due <= $2${ofUser} FOR UPDATE SKIP LOCKED) RETURNING ${REMINDER_COLUMNS}`,
        values,
      },
      {
        text: `UPDATE timers SET delivered_at = $1 WHERE id IN (SELECT id FROM timers WHERE delivered_at IS NULL AND ends_at <= $2${ofUser} FOR UPDATE SKIP LOCKED) RETURNING ${TIMER_COLUMNS}`,
        values,
      },
    ]);
    const notices: { at: number; id: number; notice: DueNotice }[] = [
      ...(reminders.rows as unknown as ReminderRow[]).map((r) => ({ at: r.due, id: r.id, notice: { kind: 'reminder' as const, user: r.user_id, reminder: reminderFromRow(r) } })),
      ...(timers.rows as unknown as TimerRow[]).map((r) => ({ at: r.ends_at, id: r.id, notice: { kind: 'timer' as const, user: r.user_id, timer: timerFromRow(r) } })),
    ];
    notices.sort((a, b) => a.at - b.at || a.id - b.id);
    return notices.map((n) => n.notice);
  }

  close(): void {
    this.conn.close();
  }
}

class PostgresUserStore implements UserStore {
  constructor(
    private readonly store: PostgresStore,
    readonly user: string,
  ) {}

  addReminder(input: { text: string; due: Date; now: Date }): Reminder {
    const due = ms(input.due, 'due');
    const now = ms(input.now, 'now');
    const { rows } = this.store.write<ReminderRow>(`INSERT INTO reminders (user_id, text, due, created_at) VALUES ($1, $2, $3, $4) RETURNING ${REMINDER_COLUMNS}`, [
      this.user,
      input.text,
      due,
      now,
    ]);
    return reminderFromRow(rows[0]);
  }

  listReminders(range: { from?: Date; to?: Date } = {}): Reminder[] {
    const from = range.from ? ms(range.from, 'from') : Number.MIN_SAFE_INTEGER;
    const to = range.to ? ms(range.to, 'to') : Number.MAX_SAFE_INTEGER;
    return this.store
      .read<ReminderRow>(`SELECT ${REMINDER_COLUMNS} FROM reminders WHERE user_id = $1 AND delivered_at IS NULL AND due >= $2 AND due < $3 ORDER BY due, id`, [this.user, from, to])
      .map(reminderFromRow);
  }

  cancelReminder(id: number): boolean {
    if (!validId(id)) return false;
    return this.store.write('DELETE FROM reminders WHERE user_id = $1 AND id = $2 AND delivered_at IS NULL', [this.user, id]).rowCount > 0;
  }

  cancelAllReminders(): number {
    return this.store.write('DELETE FROM reminders WHERE user_id = $1 AND delivered_at IS NULL', [this.user]).rowCount;
  }

  addListItems(list: string, items: string[], now: Date): ListItem[] {
    const name = normaliseListName(list);
    const t = ms(now, 'now');
    if (items.length === 0) return [];
    const results = this.store.conn.batch(
      items.map((text) => ({ text: `INSERT INTO list_items (user_id, list, text, created_at) VALUES ($1, $2, $3, $4) RETURNING ${ITEM_COLUMNS}`, values: [this.user, name, text, t] })),
    );
    return results.map((r) => listItemFromRow(r.rows[0] as unknown as ListItemRow));
  }

  listItems(list: string): ListItem[] {
    return this.store
      .read<ListItemRow>(`SELECT ${ITEM_COLUMNS} FROM list_items WHERE user_id = $1 AND list = $2 ORDER BY id`, [this.user, normaliseListName(list)])
      .map(listItemFromRow);
  }

  checkOffItem(id: number): boolean {
    if (!validId(id)) return false;
    return this.store.write('UPDATE list_items SET done = true WHERE user_id = $1 AND id = $2', [this.user, id]).rowCount > 0;
  }

  removeItem(id: number): boolean {
    if (!validId(id)) return false;
    return this.store.write('DELETE FROM list_items WHERE user_id = $1 AND id = $2', [this.user, id]).rowCount > 0;
  }

  clearList(list: string): number {
    return this.store.write('DELETE FROM list_items WHERE user_id = $1 AND list = $2', [this.user, normaliseListName(list)]).rowCount;
  }

  lists(): { list: string; open: number; total: number }[] {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    return this.store.read<{ list: string; open: number; total: number }>(
      'SELECT list, (COUNT(*) FILTER (WHERE NOT done))::int AS open, COUNT(*)::int AS total FROM list_items WHERE user_id = $1 GROUP BY list ORDER BY list COLLATE "C"',
      [this.user],
    );
  }

  addTimer(input: { name: string | null; durationMs: number; now: Date }): Timer {
    const now = ms(input.now, 'now');
    if (!Number.isFinite(input.durationMs)) throw new TypeError('durationMs must be a finite number');
    const duration = Math.round(input.durationMs);
    const { rows } = this.store.write<TimerRow>(
      `INSERT INTO timers (user_id, name, duration_ms, started_at, ends_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${TIMER_COLUMNS}`,
      [this.user, input.name, duration, now, now + duration],
    );
    return timerFromRow(rows[0]);
  }

  listTimers(): Timer[] {
    return this.store.read<TimerRow>(`SELECT ${TIMER_COLUMNS} FROM timers WHERE user_id = $1 AND delivered_at IS NULL ORDER BY ends_at, id`, [this.user]).map(timerFromRow);
  }

  cancelTimer(id: number): boolean {
    if (!validId(id)) return false;
    return this.store.write('DELETE FROM timers WHERE user_id = $1 AND id = $2 AND delivered_at IS NULL', [this.user, id]).rowCount > 0;
  }
}
