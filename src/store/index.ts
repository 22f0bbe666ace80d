/** Persistence: the `Store` interface, its SQLite and PostgreSQL implementations and an in-memory one for tests. */
export type { Store, UserStore, Reminder, ListItem, Timer, DueNotice, StoredEvent } from './types.js';
export { openSqliteStore, SCHEMA_VERSION, type SqliteStoreOptions } from './sqlite-store.js';
export { createMemoryStore } from './memory-store.js';
export { createPostgresStore, PG_SCHEMA_VERSION, type PostgresStoreOptions } from './postgres-store.js';
export { openPostgresApiKeys } from './postgres-api-keys.js';
export { openStore, openApiKeys, isPostgresUrl } from './open-store.js';
export { normaliseListName } from './list-name.js';
