/** API keys in the PostgreSQL store's database (table `api_keys`, created by the store's migrations). */
import { apiKeyId, apiKeyMatches, generateApiKey, type ApiKeyInfo, type ApiKeyStore } from './api-keys.js';
import { openPostgresDatabase, type PostgresStoreOptions } from './postgres-store.js';

interface KeyRow {
  id: string;
  user_id: string;
  hash: Uint8Array;
  created_at: number;
  revoked_at: number | null;
}

const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  user: r.user_id,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/** Opens the API keys of the PostgreSQL store at `url` (its own session, same database and schema as `createPostgresStore(url)`). */
export function openPostgresApiKeys(url: string, options: PostgresStoreOptions = {}): ApiKeyStore {
  const conn = openPostgresDatabase(url, options);
  return {
    create(user, now) {
      const { id, key, hash } = generateApiKey();
      const createdAt = now.getTime();
      // The hash travels as hex: a Buffer sent to the worker thread arrives as a plain Uint8Array.
      conn.batch([{ text: "INSERT INTO api_keys (id, user_id, hash, created_at) VALUES ($1, $2, decode($3, 'hex'), $4)", values: [id, user, hash.toString('hex'), createdAt] }]);
      return { key, info: { id, user, createdAt: new Date(createdAt), revokedAt: null } };
    },
    list: () => conn.query<KeyRow>('SELECT id, user_id, hash, created_at, revoked_at FROM api_keys ORDER BY created_at, id').rows.map(toInfo),
    revoke: (id, now) => conn.batch([{ text: 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', values: [now.getTime(), id] }])[0].rowCount > 0,
    verify(key) {
      const id = apiKeyId(key);
      if (id === null) return null;
      const row = conn.query<KeyRow>('SELECT id, user_id, hash, created_at, revoked_at FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [id]).rows[0];
      return row && apiKeyMatches(key, row.hash) ? toInfo(row) : null;
    },
    hasActive: () => conn.query('SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1').rowCount > 0,
    close: () => conn.close(),
  };
}
