/** API keys in the store's SQLite file (table `api_keys`, created by the store's migrations). */
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { apiKeyId, apiKeyMatches, generateApiKey, type ApiKeyInfo, type ApiKeyStore } from './api-keys.js';
import { openSqliteDatabase, toStoreError, type SqliteStoreOptions } from './sqlite-store.js';

interface KeyRow {
  id: string;
  user: string;
  hash: Buffer;
  created_at: number;
  revoked_at: number | null;
}

const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  user: r.user,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/** Opens the API keys of the store at `path` (the same file as `openSqliteStore(path)`). */
export function openSqliteApiKeys(path: string, options: SqliteStoreOptions = {}): ApiKeyStore {
  const db = openSqliteDatabase(path, options);
  let statements;
  try {
    statements = {
      insert: db.prepare<[string, string, Buffer, number]>('INSERT INTO api_keys (id, user, hash, created_at) VALUES (?, ?, ?, ?)'),
      list: db.prepare<[], KeyRow>('SELECT id, user, hash, created_at, revoked_at FROM api_keys ORDER BY created_at, id'),
      revoke: db.prepare<[number, string]>('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      byId: db.prepare<[string], KeyRow>('SELECT id, user, hash, created_at, revoked_at FROM api_keys WHERE id = ? AND revoked_at IS NULL'),
      anyActive: db.prepare<[], { one: number }>('SELECT 1 AS one FROM api_keys WHERE revoked_at IS NULL LIMIT 1'),
    };
  } catch (err) {
    db.close();
    throw toStoreError(err, path);
  }
  const s = statements;
  const guard = <T>(work: (d: Database.Database) => T): T => {
    if (!db.open) throw new StoreError('STORE_CLOSED', path, `The store ${path} is closed; open it again.`);
    try {
      return work(db);
    } catch (err) {
      throw toStoreError(err, path);
    }
  };
  return {
    create(user, now) {
      const { id, key, hash } = generateApiKey();
      const createdAt = now.getTime();
      guard(() => s.insert.run(id, user, hash, createdAt));
      return { key, info: { id, user, createdAt: new Date(createdAt), revokedAt: null } };
    },
    list: () => guard(() => s.list.all().map(toInfo)),
    revoke: (id, now) => guard(() => s.revoke.run(now.getTime(), id).changes > 0),
    verify(key) {
      const id = apiKeyId(key);
      if (id === null) return null;
      const row = guard(() => s.byId.get(id));
      return row && apiKeyMatches(key, row.hash) ? toInfo(row) : null;
    },
    hasActive: () => guard(() => s.anyActive.get() !== undefined),
    close() {
      if (db.open) db.close();
    },
  };
}
