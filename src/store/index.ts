/** Persistence: the `Store` interface, its SQLite implementation and an in-memory one for tests. */
export type { Store, UserStore, Reminder, ListItem, Timer, DueNotice, StoredEvent } from './types.js';
export { openSqliteStore, SCHEMA_VERSION, type SqliteStoreOptions } from './sqlite-store.js';
export { createMemoryStore } from './memory-store.js';
export { normaliseListName } from './list-name.js';
