/**
 * A synchronous PostgreSQL connection, for the synchronous `Store` interface.
 *
 * Why: `Store` is synchronous (better-sqlite3 is, and the dialogue manager calls the store inside
 * a turn without awaiting), while node-postgres is asynchronous. Rather than make the whole runtime
 * async, the pg client runs in a worker thread and the calling thread blocks on each request:
 *
 *   1. the caller posts `{ id, op, text, values }` on a MessageChannel port and `Atomics.wait`s on
 *      an Int32 in a SharedArrayBuffer;
 *   2. the worker runs the query on its own event loop, posts the answer on the port, then sets the
 *      Int32 and `Atomics.notify`s;
 *   3. the caller wakes and takes the answer with `receiveMessageOnPort` (synchronous).
 *
 * This is the usual "sync facade over an async client" pattern (as in synckit). The cost is one
 * thread hop per request (tens of microseconds) and a blocked event loop while PostgreSQL answers,
 * which is what the SQLite store does too. Each connection has its own worker and its own
 * PostgreSQL session, so one process = one session, and transactions never interleave.
 *
 * Transactions: `batch(steps)` runs the steps inside BEGIN ... COMMIT in the worker (one hop);
 * `transaction(fn)` drives BEGIN / COMMIT from the caller for work that needs to look at results
 * in between (migrations). If the connection drops, the worker reconnects on the next request,
 * except inside a caller-driven transaction, which then fails instead of going on half-committed.
 *
 * A request with no answer within `statement timeout + 5 s` (a hung server, a dead worker)
 * fails with STORE_UNAVAILABLE; the worker is discarded and the next request starts a new one.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { StoreError, type StoreErrorCode } from '../errors.js';

/** Options of a PostgreSQL store connection. */
export interface PgConnectionOptions {
  /** Keep Duet's tables in this schema (created if missing) instead of the user's default one. */
  schema?: string;
  /** How long a write waits for a row or table lock before failing with STORE_LOCKED (default 5000 ms). */
  busyTimeoutMs?: number;
  /** How long to wait for the server to accept a connection (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Longest a statement may run (default 30000 ms). */
  statementTimeoutMs?: number;
}

export interface PgResult<R> {
  rows: R[];
  rowCount: number;
}

export interface PgStep {
  text: string;
  values?: unknown[];
}

interface Reply {
  id: number;
  ok: boolean;
  results?: PgResult<unknown>[];
  error?: { message: string; code?: string };
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** The worker, as plain JavaScript evaluated in the thread (no build step, works from src/ and dist/ alike). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, flag, pgUrl, config } = workerData;
const signal = new Int32Array(flag);
let pgModule;
let client = null;
let generation = 0;
async function connection(mustExist) {
  if (client) return client;
  if (mustExist) throw Object.assign(new Error('the connection to PostgreSQL was lost during a transaction'), { code: 'ECONNRESET' });
  pgModule ??= await import(pgUrl);
  const pg = pgModule.default ?? pgModule;
  // BIGINT (oid 20) columns hold ids and UTC milliseconds: all within Number's safe range.
  const types = { getTypeParser: (oid, format) => (oid === 20 ? (v) => Number(v) : pg.types.getTypeParser(oid, format)) };
  const c = new pg.Client({ ...config, types });
  const mine = ++generation;
  const drop = () => { if (generation === mine) client = null; };
  c.on('error', drop);
  c.on('end', drop);
  await c.connect();
  if (generation === mine) client = c;
  return c;
}
function reply(message) {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
const plain = (r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 });
port.on('message', async (req) => {
  try {
    if (req.op === 'close') {
      const c = client;
      client = null;
      generation++;
      if (c) await c.end().catch(() => undefined);
      reply({ id: req.id, ok: true, results: [] });
      return;
    }
    const c = await connection(req.inTx === true);
    if (req.op === 'connect') {
      reply({ id: req.id, ok: true, results: [] });
    } else if (req.op === 'query') {
      reply({ id: req.id, ok: true, results: [plain(await c.query({ text: req.steps[0].text, values: req.steps[0].values }))] });
    } else {
      const results = [];
      await c.query('BEGIN');
      try {
        for (const s of req.steps) results.push(plain(await c.query({ text: s.text, values: s.values })));
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
      reply({ id: req.id, ok: true, results });
    }
  } catch (e) {
    reply({ id: req.id, ok: false, error: { message: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined } });
  }
});
`;

/** The URL with its password hidden, to name the store in messages and logs. */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(invalid URL)';
  }
}

/** Maps a PostgreSQL or network failure to a one-line StoreError naming the server and what to do. */
export function toPgStoreError(error: { message: string; code?: string }, label: string): Error {
  const code = error.code ?? '';
  const detail = error.message.split('\n')[0];
  const make = (c: StoreErrorCode, text: string) => new StoreError(c, label, text, { cause: error });
  const network = ['ECONNREFUSED', 'ENOENT', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'];
  if (network.includes(code) || /timeout|terminated|Connection ended/i.test(detail) && !code.match(/^[0-9A-Z]{5}$/)) {
    return make('STORE_UNAVAILABLE', `Cannot reach the PostgreSQL server of the store ${label} (${detail}); check that it is running and the URL's host and port.`);
  }
  if (code === '28P01' || code === '28000' || /password|SASL|SCRAM/i.test(detail) && !/^[0-9A-Z]{5}$/.test(code)) {
    return make('STORE_AUTH', `PostgreSQL refused the login to the store ${label} (${detail}); check the user name and password in the URL.`);
  }
  if (code === '42501') {
    return make('STORE_AUTH', `The PostgreSQL user of the store ${label} lacks a privilege (${detail}); grant it, or use the database owner.`);
  }
  if (code === '3D000') {
    return make('STORE_UNAVAILABLE', `The database of the store ${label} does not exist (${detail}); create it (createdb) first.`);
  }
  if (code === '55P03' || code === '40001' || code === '40P01' || code === '57014') {
    return make('STORE_LOCKED', `The store ${label} is busy (${detail}); another process holds the data too long. Try again.`);
  }
  if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) {
    return make('STORE_UNAVAILABLE', `The PostgreSQL server of the store ${label} cannot serve requests now (${detail}); check the server, then try again.`);
  }
  if (code === 'XX001' || code === 'XX002') {
    return make('STORE_CORRUPT', `The PostgreSQL store ${label} reports damaged data (${detail}); restore a backup.`);
  }
  // Anything else is a bug in a query, not a state of the server: keep PostgreSQL's own words.
  return Object.assign(new Error(`PostgreSQL store ${label}: ${detail}`, { cause: error }), { code });
}

/** One PostgreSQL session, used synchronously (see the file comment). */
export class PgSyncConnection {
  readonly label: string;
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly config: Record<string, unknown>;
  private readonly pgUrl: string;
  private readonly callTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private nextId = 0;
  private isClosed = false;
  private inTransaction = false;

  constructor(url: string, options: PgConnectionOptions = {}) {
    this.label = redactPgUrl(url);
    if (options.schema !== undefined && !SCHEMA_PATTERN.test(options.schema)) {
      throw new StoreError('STORE_UNAVAILABLE', this.label, `"${options.schema}" is not a schema name Duet uses: lower-case letters, digits and _ only.`);
    }
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.callTimeoutMs = statementTimeout + 5_000;
    this.config = {
      connectionString: url,
      application_name: 'duet',
      connectionTimeoutMillis: this.connectTimeoutMs,
      statement_timeout: statementTimeout,
      lock_timeout: options.busyTimeoutMs ?? 5000,
      ...(options.schema !== undefined && { options: `-c search_path=${options.schema}` }),
    };
    this.pgUrl = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href;
    // Connect now, so a wrong URL, password or host fails at open rather than at the first turn.
    this.call('connect', [], this.connectTimeoutMs + 5_000);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** One statement, outside any batch (inside `transaction` it belongs to that transaction). */
  query<R>(text: string, values?: unknown[]): PgResult<R> {
    return this.call('query', [{ text, values }])[0] as PgResult<R>;
  }

  /** The steps in one transaction (BEGIN ... COMMIT, ROLLBACK on failure); their results in order. */
  batch(steps: PgStep[]): PgResult<Record<string, unknown>>[] {
    if (this.inTransaction) return steps.map((s) => this.query<Record<string, unknown>>(s.text, s.values));
    return this.call('tx', steps) as PgResult<Record<string, unknown>>[];
  }

  /** Runs `work` (which calls `query`) inside BEGIN ... COMMIT driven from this thread. */
  transaction<T>(work: () => T): T {
    if (this.inTransaction) return work();
    this.query('BEGIN');
    this.inTransaction = true;
    try {
      const result = work();
      this.query('COMMIT');
      return result;
    } catch (error) {
      try {
        this.query('ROLLBACK');
      } catch {
        // The connection is gone: the server rolls back by itself.
      }
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.worker) {
      try {
        this.send('close', [], 5_000);
      } catch {
        // Closing anyway.
      }
      this.dropWorker();
    }
  }

  private call(op: string, steps: PgStep[], timeoutMs = this.callTimeoutMs): PgResult<unknown>[] {
    if (this.isClosed) throw new StoreError('STORE_CLOSED', this.label, `The store ${this.label} is closed; open it again.`);
    const reply = this.send(op, steps, timeoutMs);
    if (!reply.ok) throw toPgStoreError(reply.error ?? { message: 'unknown error' }, this.label);
    return reply.results ?? [];
  }

  private send(op: string, steps: PgStep[], timeoutMs: number): Reply {
    const port = this.ensureWorker();
    const id = ++this.nextId;
    Atomics.store(this.flag, 0, 0);
    port.postMessage({ id, op, steps, inTx: this.inTransaction && op === 'query' });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
        this.dropWorker();
        throw new StoreError(
          'STORE_UNAVAILABLE',
          this.label,
          `No answer from the PostgreSQL server of the store ${this.label} within ${Math.round(timeoutMs / 1000)} s; check that it is running and reachable.`,
        );
      }
      const got = receiveMessageOnPort(port) as { message: Reply } | undefined;
      if (got && got.message.id === id) return got.message;
      // A stale or missing message: wait for ours.
      Atomics.store(this.flag, 0, 0);
    }
  }

  private ensureWorker(): MessagePort {
    if (this.worker && this.port) return this.port;
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, flag: this.flag.buffer, pgUrl: this.pgUrl, config: this.config },
      transferList: [port2],
    });
    // The worker must not keep a process alive that forgot to close its store.
    const worker = this.worker;
    worker.unref();
    worker.on('error', () => {
      if (this.worker === worker) this.dropWorker();
    });
    this.port = port1;
    return port1;
  }

  private dropWorker(): void {
    const worker = this.worker;
    this.worker = null;
    this.port?.close();
    this.port = null;
    if (worker) void worker.terminate().catch(() => undefined);
  }
}
