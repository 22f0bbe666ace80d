/**
 * The SQLite store: one database file for every user, WAL journal, `synchronous = FULL` so a
 * committed write survives a crash or power loss. Every user query binds `user = ?` to the user
 * of `forUser`, so isolation holds by construction rather than by each caller's care.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, type StoreErrorCode } from '../errors.js';
import { normaliseListName } from './list-name.js';
import type { DueNotice, ListItem, Reminder, Store, StoredEvent, Timer, UserStore } from './types.js';

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing with STORE_LOCKED (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * Group commit (for servers): writes made during one turn of the event loop share one
   * transaction, committed (one fsync) at the next; each write is still atomic on its own (a
   * savepoint). Callers must await `durable()` before acknowledging a write. Default off: each
   * write is committed before it returns.
   */
  groupCommit?: boolean;
}

/**
 * The schema, one migration per version: `PRAGMA user_version` records how many have run.
 * Append new migrations; never edit a released one. Times are UTC milliseconds since the epoch.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    text TEXT NOT NULL,
    due INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
  );
  CREATE INDEX reminders_by_user ON reminders (user, delivered_at, due);
  CREATE INDEX reminders_pending ON reminders (delivered_at, due);

  CREATE TABLE list_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    list TEXT NOT NULL,
    text TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX list_items_by_user ON list_items (user, list, id);

  CREATE TABLE timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    name TEXT,
    duration_ms INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    delivered_at INTEGER
  );
  CREATE INDEX timers_by_user ON timers (user, delivered_at, ends_at);
  CREATE INDEX timers_pending ON timers (delivered_at, ends_at);

  CREATE TABLE events (
    conversation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation, seq)
  ) WITHOUT ROWID;
  `,
  // API keys of the HTTP server (src/store/sqlite-api-keys.ts): only a SHA-256 of each key is kept.
  `
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

interface ReminderRow {
  id: number;
  text: string;
  due: number;
  created_at: number;
  delivered_at: number | null;
}
interface ReminderRowWithUser extends ReminderRow {
  user: string;
}
interface ListItemRow {
  id: number;
  list: string;
  text: string;
  done: number;
  created_at: number;
}
interface TimerRow {
  id: number;
  name: string | null;
  duration_ms: number;
  started_at: number;
  ends_at: number;
  delivered_at: number | null;
}
interface TimerRowWithUser extends TimerRow {
  user: string;
}
interface EventRow {
  conversation: string;
  seq: number;
  at: number;
  data: string;
}

/**
 * Opens (creating if needed, with its folder) the SQLite store at `path` and brings its schema up
 * to date. Throws `StoreError` when the file is not a database, is locked, cannot be opened, or
 * was written by a newer schema. A file that is not a database is never modified.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const db = openSqliteDatabase(path, options);
  try {
    // Preparing the statements reads the schema: a damaged file fails here, inside this guard.
    return new SqliteStore(db, path, options.groupCommit ?? false);
  } catch (err) {
    db.close();
    throw toStoreError(err, path);
  }
}

/**
 * The database file behind a store, opened the way the store opens it (WAL, synchronous FULL,
 * migrated), for other tables of the same file (the server's API keys). Same errors as `openSqliteStore`.
 */
export function openSqliteDatabase(path: string, options: SqliteStoreOptions = {}): Database.Database {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new StoreError(
        'STORE_UNAVAILABLE',
        path,
        `Cannot create the folder of the store ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); choose a path in a writable folder.`,
        { cause: err },
      );
    }
  }
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw toStoreError(err, path);
  }
  try {
    // journal_mode reads the header first: a file that is not a database fails here, untouched.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (!inMemory && mode !== 'wal') {
      throw new StoreError('STORE_UNAVAILABLE', path, `The store ${path} cannot use write-ahead logging (mode ${String(mode)}); put it on a local disk.`);
    }
    db.pragma('synchronous = FULL');
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    throw toStoreError(err, path);
  }
}

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) throw tooNew(path, version);
  if (version === MIGRATIONS.length) return;
  // IMMEDIATE so that two processes opening a fresh file do not both run the same migration.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) throw tooNew(path, current);
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function tooNew(path: string, version: number): StoreError {
  return new StoreError(
    'STORE_VERSION',
    path,
    `The store ${path} has schema version ${version}, newer than this Duet knows (${MIGRATIONS.length}); upgrade Duet or use another store file.`,
  );
}

/** Maps a SQLite failure to a one-line StoreError naming the file and what to do. */
export function toStoreError(err: unknown, path: string): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const detail = (err as Error).message.split('\n')[0];
  const make = (c: StoreErrorCode, text: string) => new StoreError(c, path, text, { cause: err });
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return make(
      'STORE_CORRUPT',
      `The store ${path} is not a readable SQLite database (${detail}); move the file aside or restore a backup, and Duet will start a new one.`,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return make('STORE_LOCKED', `The store ${path} is locked by another process; close the other Duet using it, or try again.`);
  }
  if (code.startsWith('SQLITE_FULL')) {
    return make('STORE_UNAVAILABLE', `The disk holding the store ${path} is full; free some space and try again.`);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_IOERR')) {
    return make('STORE_UNAVAILABLE', `Cannot open or write the store ${path} (${detail}); check that the path is a writable file, or choose another.`);
  }
  return err;
}

/** UTC milliseconds of a Date, refusing invalid dates so a NULL never reaches a NOT NULL column. */
function ms(date: Date, what: string): number {
  const t = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(t)) throw new TypeError(`${what} must be a valid Date`);
  return t;
}

const toDate = (t: number | null): Date | null => (t === null ? null : new Date(t));

function reminderFromRow(r: ReminderRow): Reminder {
  return { id: r.id, text: r.text, due: new Date(r.due), createdAt: new Date(r.created_at), deliveredAt: toDate(r.delivered_at) };
}
function listItemFromRow(r: ListItemRow): ListItem {
  return { id: r.id, list: r.list, text: r.text, done: r.done !== 0, createdAt: new Date(r.created_at) };
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

function prepareStatements(db: Database.Database) {
  return {
    addReminder: db.prepare<[string, string, number, number], ReminderRow>(
      'INSERT INTO reminders (user, text, due, created_at) VALUES (?, ?, ?, ?) RETURNING id, text, due, created_at, delivered_at',
    ),
    listReminders: db.prepare<[string, number, number], ReminderRow>(
      'SELECT id, text, due, created_at, delivered_at FROM reminders WHERE user = ? AND delivered_at IS NULL AND due >= ? AND due < ? ORDER BY due, id',
    ),
    cancelReminder: db.prepare<[string, number]>('DELETE FROM reminders WHERE user = ? AND id = ? AND delivered_at IS NULL'),
    cancelAllReminders: db.prepare<[string]>('DELETE FROM reminders WHERE user = ? AND delivered_at IS NULL'),

    addListItem: db.prepare<[string, string, string, number], ListItemRow>(
      'INSERT INTO list_items (user, list, text, created_at) VALUES (?, ?, ?, ?) RETURNING id, list, text, done, created_at',
    ),
    listItems: db.prepare<[string, string], ListItemRow>(
      'SELECT id, list, text, done, created_at FROM list_items WHERE user = ? AND list = ? ORDER BY id',
    ),
    checkOffItem: db.prepare<[string, number]>('UPDATE list_items SET done = 1 WHERE user = ? AND id = ?'),
    removeItem: db.prepare<[string, number]>('DELETE FROM list_items WHERE user = ? AND id = ?'),
    clearList: db.prepare<[string, string]>('DELETE FROM list_items WHERE user = ? AND list = ?'),
    lists: db.prepare<[string], { list: string; open: number; total: number }>(
      'SELECT list, SUM(done = 0) AS open, COUNT(*) AS total FROM list_items WHERE user = ? GROUP BY list ORDER BY list',
    ),

    addTimer: db.prepare<[string, string | null, number, number, number], TimerRow>(
      'INSERT INTO timers (user, name, duration_ms, started_at, ends_at) VALUES (?, ?, ?, ?, ?) RETURNING id, name, duration_ms, started_at, ends_at, delivered_at',
    ),
    listTimers: db.prepare<[string], TimerRow>(
      'SELECT id, name, duration_ms, started_at, ends_at, delivered_at FROM timers WHERE user = ? AND delivered_at IS NULL ORDER BY ends_at, id',
    ),
    cancelTimer: db.prepare<[string, number]>('DELETE FROM timers WHERE user = ? AND id = ? AND delivered_at IS NULL'),

    lastSeq: db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE conversation = ?'),
    appendEvent: db.prepare<[string, number, number, string]>('INSERT INTO events (conversation, seq, at, data) VALUES (?, ?, ?, ?)'),
    loadEvents: db.prepare<[string], EventRow>('SELECT conversation, seq, at, data FROM events WHERE conversation = ? ORDER BY seq'),

    claimReminders: db.prepare<[number, number], ReminderRowWithUser>(
      'UPDATE reminders SET delivered_at = ? WHERE delivered_at IS NULL AND due <= ? RETURNING id, user, text, due, created_at, delivered_at',
    ),
    claimRemindersOfUser: db.prepare<[number, number, string], ReminderRowWithUser>(
      'UPDATE reminders SET delivered_at = ? WHERE delivered_at IS NULL AND due <= ? AND user = ? RETURNING id, user, text, due, created_at, delivered_at',
    ),
    claimTimers: db.prepare<[number, number], TimerRowWithUser>(
      'UPDATE timers SET delivered_at = ? WHERE delivered_at IS NULL AND ends_at <= ? RETURNING id, user, name, duration_ms, started_at, ends_at, delivered_at',
    ),
    claimTimersOfUser: db.prepare<[number, number, string], TimerRowWithUser>(
      'UPDATE timers SET delivered_at = ? WHERE delivered_at IS NULL AND ends_at <= ? AND user = ? RETURNING id, user, name, duration_ms, started_at, ends_at, delivered_at',
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

class SqliteStore implements Store {
  private readonly statements: Statements;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly groupCommit: boolean,
  ) {
    this.statements = prepareStatements(db);
  }

  /** With group commit: the open transaction's outcome, settled by `commitGroup`. */
  private group: { done: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null;

  /** Runs `work`, turning SQLite failures (locked, corrupt, disk full) into StoreError. */
  guard<T>(work: (s: Statements) => T): T {
    if (!this.db.open) throw new StoreError('STORE_CLOSED', this.path, `The store ${this.path} is closed; open it again.`);
    try {
      return work(this.statements);
    } catch (err) {
      throw toStoreError(err, this.path);
    }
  }

  /**
   * A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so it never fails
   * half-way on a lock upgrade. With group commit it is a savepoint inside the group's transaction.
   */
  write<T>(work: (s: Statements) => T): T {
    if (!this.groupCommit) return this.guard((s) => this.db.transaction(() => work(s)).immediate());
    return this.guard((s) => {
      if (!this.group) this.openGroup();
      // Nested in the open transaction, better-sqlite3 runs this as a savepoint: a failing write
      // rolls back alone and the others in the group stay.
      return this.db.transaction(() => work(s))();
    });
  }

  private openGroup(): void {
    this.db.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be waiting (a write no one acknowledges); a failure is still reported to those who are.
    done.catch(() => undefined);
    this.group = { done, resolve, reject };
    // At the next turn of the loop: the writes of the turns resumed in this one join the group.
    setImmediate(() => this.commitGroup());
  }

  private commitGroup(): void {
    const group = this.group;
    if (!group) return;
    this.group = null;
    try {
      this.db.exec('COMMIT');
      group.resolve();
    } catch (err) {
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // The connection is gone: SQLite rolls back what was not committed.
      }
      const error = toStoreError(err, this.path);
      group.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  durable(): Promise<void> {
    return this.group?.done ?? Promise.resolve();
  }

  forUser(user: string): UserStore {
    return new SqliteUserStore(this, user);
  }

  appendEvents(conversation: string, events: unknown[], at: Date): StoredEvent[] {
    const when = ms(at, 'at');
    if (events.length === 0) return [];
    return this.write((s) => {
      let seq = s.lastSeq.get(conversation)?.seq ?? 0;
      return events.map((event) => {
        seq += 1;
        const data = JSON.stringify(event) ?? 'null';
        s.appendEvent.run(conversation, seq, when, data);
        return { seq, conversation, at: new Date(when), data: JSON.parse(data) as unknown };
      });
    });
  }

  loadEvents(conversation: string): StoredEvent[] {
    return this.guard((s) =>
      s.loadEvents.all(conversation).map((r) => ({ seq: r.seq, conversation: r.conversation, at: new Date(r.at), data: JSON.parse(r.data) as unknown })),
    );
  }

  lastEventSeq(conversation: string): number {
    return this.guard((s) => s.lastSeq.get(conversation)?.seq ?? 0);
  }

  claimDue(now: Date, user?: string): DueNotice[] {
    const t = ms(now, 'now');
    const rows = this.write((s) => ({
      reminders: user === undefined ? s.claimReminders.all(t, t) : s.claimRemindersOfUser.all(t, t, user),
      timers: user === undefined ? s.claimTimers.all(t, t) : s.claimTimersOfUser.all(t, t, user),
    }));
    const notices: { at: number; id: number; notice: DueNotice }[] = [
      ...rows.reminders.map((r) => ({ at: r.due, id: r.id, notice: { kind: 'reminder' as const, user: r.user, reminder: reminderFromRow(r) } })),
      ...rows.timers.map((r) => ({ at: r.ends_at, id: r.id, notice: { kind: 'timer' as const, user: r.user, timer: timerFromRow(r) } })),
    ];
    // RETURNING gives no order: hand them out in the order they fell due.
    notices.sort((a, b) => a.at - b.at || a.id - b.id);
    return notices.map((n) => n.notice);
  }

  close(): void {
    if (this.db.open) this.commitGroup();
    if (this.db.open) this.db.close();
  }
}

class SqliteUserStore implements UserStore {
  constructor(
    private readonly store: SqliteStore,
    readonly user: string,
  ) {}

  addReminder(input: { text: string; due: Date; now: Date }): Reminder {
    const due = ms(input.due, 'due');
    const now = ms(input.now, 'now');
    return this.store.write((s) => reminderFromRow(s.addReminder.get(this.user, input.text, due, now)!));
  }

  listReminders(range: { from?: Date; to?: Date } = {}): Reminder[] {
    const from = range.from ? ms(range.from, 'from') : Number.MIN_SAFE_INTEGER;
    const to = range.to ? ms(range.to, 'to') : Number.MAX_SAFE_INTEGER;
    return this.store.guard((s) => s.listReminders.all(this.user, from, to).map(reminderFromRow));
  }

  cancelReminder(id: number): boolean {
    return this.store.write((s) => s.cancelReminder.run(this.user, id).changes > 0);
  }

  cancelAllReminders(): number {
    return this.store.write((s) => s.cancelAllReminders.run(this.user).changes);
  }

  addListItems(list: string, items: string[], now: Date): ListItem[] {
    const name = normaliseListName(list);
    const t = ms(now, 'now');
    return this.store.write((s) => items.map((text) => listItemFromRow(s.addListItem.get(this.user, name, text, t)!)));
  }

  listItems(list: string): ListItem[] {
    return this.store.guard((s) => s.listItems.all(this.user, normaliseListName(list)).map(listItemFromRow));
  }

  checkOffItem(id: number): boolean {
    return this.store.write((s) => s.checkOffItem.run(this.user, id).changes > 0);
  }

  removeItem(id: number): boolean {
    return this.store.write((s) => s.removeItem.run(this.user, id).changes > 0);
  }

  clearList(list: string): number {
    return this.store.write((s) => s.clearList.run(this.user, normaliseListName(list)).changes);
  }

  lists(): { list: string; open: number; total: number }[] {
    return this.store.guard((s) => s.lists.all(this.user).map((r) => ({ list: r.list, open: r.open, total: r.total })));
  }

  addTimer(input: { name: string | null; durationMs: number; now: Date }): Timer {
    const now = ms(input.now, 'now');
    if (!Number.isFinite(input.durationMs)) throw new TypeError('durationMs must be a finite number');
    const duration = Math.round(input.durationMs);
    return this.store.write((s) => timerFromRow(s.addTimer.get(this.user, input.name, duration, now, now + duration)!));
  }

  listTimers(): Timer[] {
    return this.store.guard((s) => s.listTimers.all(this.user).map(timerFromRow));
  }

  cancelTimer(id: number): boolean {
    return this.store.write((s) => s.cancelTimer.run(this.user, id).changes > 0);
  }
}
