/** `duet serve`: the assistant behind an HTTP server; `duet keys`: the API keys it accepts. */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../errors.js';
import { buildApp } from '../server/app.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../server/context.js';
import { USER_ID_PATTERN, type ApiKeyStore } from '../store/api-keys.js';
import { isPostgresUrl, openApiKeys } from '../store/open-store.js';
import { redactPgUrl } from '../store/pg-sync.js';
import { defaultStorePath, openRuntime } from './chat-command.js';

export interface ServeOptions {
  model?: string;
  definition?: string;
  port?: number;
  host?: string;
  store?: string;
  tz?: string;
  /** Requests per minute per key (or per IP address without keys); 0 turns limiting off. */
  rateLimit?: number;
  maxMessageChars?: number;
  bodyLimit?: number;
  logLevel?: string;
  /** Run the model on its own thread (default true; see src/model/worker-understander.ts). */
  modelThread?: boolean;
  /** A `duet pretrain` folder with a response index: small talk for out-of-scope messages. */
  chat?: string | false;
  chatMinScore?: number;
  /** Stop on SIGTERM / SIGINT (the command line); tests stop the server themselves. */
  handleSignals?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** Graceful stop (see `app.shutdown`), then the model is released. */
  stop(): Promise<void>;
}

/** Whether `host` reaches only this machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * Opens the runtime and the keys in the store (a SQLite file, or a PostgreSQL database for a
 * `postgres://` / `postgresql://` URL, which several server processes can share), and listens. Without an active key the
 * server is unauthenticated, so it listens on loopback only and says so; asking for another
 * interface then is an error, not a silent change of address.
 */
export async function startServer(options: ServeOptions, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<RunningServer> {
  const storePath = options.store ?? defaultStorePath();
  const keys: ApiKeyStore = openApiKeys(storePath);
  const authenticated = keys.hasActive();
  const host = options.host ?? '127.0.0.1';
  if (!authenticated && !isLoopback(host)) {
    keys.close();
    const shown = isPostgresUrl(storePath) ? redactPgUrl(storePath) : storePath;
    throw new ConfigError(
      `Refusing to listen on ${host} without API keys: anyone who can reach it could read and change every user's data. Create a key with \`duet keys create <user> --store ${shown}\`, or listen on 127.0.0.1.`,
    );
  }
  let runtime;
  try {
    runtime = await openRuntime(
      { model: options.model, definition: options.definition, store: storePath, tz: options.tz, modelThread: options.modelThread ?? true, groupCommit: true, chat: options.chat, chatMinScore: options.chatMinScore },
      log,
    );
  } catch (error) {
    keys.close();
    throw error;
  }
  const limits: Partial<ServerLimits> = {
    ...(options.rateLimit !== undefined && { rateLimit: { requests: options.rateLimit, windowMs: 60_000 } }),
    ...(options.maxMessageChars !== undefined && { maxMessageChars: options.maxMessageChars }),
    ...(options.bodyLimit !== undefined && { bodyLimitBytes: options.bodyLimit }),
  };
  const name = runtime.assistant.definition.name;
  const app = buildApp({
    assistant: runtime.assistant,
    store: runtime.store,
    keys,
    modelId: name,
    assistantName: name,
    limits,
    logger: { level: options.logLevel ?? 'info' },
  });
  const open = runtime;
  let url: string;
  try {
    url = await app.listen({ port: options.port ?? 8080, host });
  } catch (error) {
    await app.close();
    await open.close();
    throw error;
  }
  if (authenticated) app.log.info({ url, model: name }, 'serving with API keys');
  else app.log.warn({ url, model: name }, `no API key is configured: serving UNAUTHENTICATED on ${host} only; create one with \`duet keys create <user>\``);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= app.shutdown().finally(() => open.close()));
  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        app.log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      app.log.info({ signal }, 'shutting down: finishing turns in flight, refusing new requests');
      // A request that never ends must not keep the process alive forever.
      setTimeout(() => {
        app.log.error('shutdown took too long; exiting');
        process.exit(1);
      }, (DEFAULT_LIMITS.shutdownGraceMs + 5000)).unref();
      void stop().then(() => app.log.info('stopped'));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, url, stop };
}

/** `duet keys create <user>`: prints the new key once (stdout), what it is on stderr. */
export function runKeysCreate(user: string, options: { store?: string }, out = process.stdout, err = process.stderr): void {
  if (!USER_ID_PATTERN.test(user)) throw new ConfigError(`"${user}" is not a user id: use 1 to 128 letters, digits or . _ @ : + -.`);
  const keys = openApiKeys(options.store ?? defaultStorePath());
  try {
    const { key, info } = keys.create(user, new Date());
    out.write(`${key}\n`);
    err.write(`Created key ${info.id} for ${user}. It is shown only this once: store it now. Revoke it with \`duet keys revoke ${info.id}\`.\n`);
  } finally {
    keys.close();
  }
}

/** `duet keys list`: every key's id, user and dates; never the key itself (it is not stored). */
export function runKeysList(options: { store?: string; json?: boolean }, out = process.stdout): void {
  const keys = openApiKeys(options.store ?? defaultStorePath());
  try {
    const list = keys.list();
    if (options.json) {
      out.write(`${JSON.stringify(list)}\n`);
      return;
    }
    if (list.length === 0) {
      out.write('No API keys: `duet serve` runs unauthenticated on loopback. Create one with `duet keys create <user>`.\n');
      return;
    }
    const rows = [['id', 'user', 'created', 'revoked'], ...list.map((k) => [k.id, k.user, k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? '-'])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const row of rows) out.write(`${row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}\n`);
  } finally {
    keys.close();
  }
}

/** `duet keys revoke <id>`: the key stops working at once, also on a running server. */
export function runKeysRevoke(id: string, options: { store?: string }, out = process.stdout): void {
  const keys = openApiKeys(options.store ?? defaultStorePath());
  try {
    if (!keys.revoke(id, new Date())) throw new ConfigError(`No active API key with id ${id}; \`duet keys list\` shows them.`);
    out.write(`Revoked ${id}.\n`);
  } finally {
    keys.close();
  }
}
