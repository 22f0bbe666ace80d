/** Opens the store a `--store` option names: a PostgreSQL URL, or else a SQLite file path. */
import type { ApiKeyStore } from './api-keys.js';
import { openPostgresApiKeys } from './postgres-api-keys.js';
import { createPostgresStore } from './postgres-store.js';
import { openSqliteApiKeys } from './sqlite-api-keys.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** Whether `spec` is a PostgreSQL URL (`postgres://` or `postgresql://`) rather than a file path. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** The store at `spec`: PostgreSQL for a postgres:// URL, SQLite for anything else. */
export function openStore(spec: string, options: { groupCommit?: boolean } = {}): Store {
  return isPostgresUrl(spec) ? createPostgresStore(spec) : openSqliteStore(spec, { groupCommit: options.groupCommit });
}

/** The API keys kept with the store at `spec` (same database). */
export function openApiKeys(spec: string): ApiKeyStore {
  return isPostgresUrl(spec) ? openPostgresApiKeys(spec) : openSqliteApiKeys(spec);
}
