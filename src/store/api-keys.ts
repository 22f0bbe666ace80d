/**
 * API keys of the HTTP server, mapped to users. A key is shown once, when it is created; the store
 * keeps only its SHA-256, so a copy of the database does not give access. Implementations: SQLite
 * (`sqlite-api-keys.ts`, in the store's file) and in-memory (below, for tests).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What is stored about a key (never the key itself). */
export interface ApiKeyInfo {
  /** Public identifier, also embedded in the key ("duet_<id>_<secret>"): safe to log and to revoke by. */
  id: string;
  user: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface ApiKeyStore {
  /** A new key for `user`: the key text (to show once) and its stored record. */
  create(user: string, now: Date): { key: string; info: ApiKeyInfo };
  /** Every key, revoked ones included, oldest first. */
  list(): ApiKeyInfo[];
  /** Revokes a key by id; false when there is no such active key. */
  revoke(id: string, now: Date): boolean;
  /** The record of an active key matching `key`, or null (unknown, malformed or revoked). */
  verify(key: string): ApiKeyInfo | null;
  /** Whether at least one key is active: then the server requires one on every request. */
  hasActive(): boolean;
  close(): void;
}

const KEY_PATTERN = /^duet_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A fresh key: 8 random bytes of id, 32 random bytes (256 bits) of secret. */
export function generateApiKey(): { id: string; key: string; hash: Buffer } {
  const id = randomBytes(8).toString('hex');
  const key = `duet_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

/** The stored form of a key. A plain SHA-256 is enough: the secret has 256 bits, nothing to brute-force. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** The id inside a well-formed key, or null: lets a store find the one row to compare with. */
export function apiKeyId(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** Compares a presented key with a stored hash in constant time, so response timing reveals nothing about the hash. */
export function apiKeyMatches(key: string, storedHash: Uint8Array): boolean {
  const presented = hashApiKey(key);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}

/** User ids as the server and `duet keys create` accept them. */
export const USER_ID_PATTERN = /^[\p{L}\p{N}._@:+-]{1,128}$/u;

/** A new, empty in-memory key store. */
export function createMemoryApiKeys(): ApiKeyStore {
  const rows = new Map<string, ApiKeyInfo & { hash: Buffer }>();
  const info = ({ hash: _hash, ...rest }: ApiKeyInfo & { hash: Buffer }): ApiKeyInfo => ({ ...rest });
  return {
    create(user, now) {
      const { id, key, hash } = generateApiKey();
      const row = { id, user, hash, createdAt: new Date(now), revokedAt: null };
      rows.set(id, row);
      return { key, info: info(row) };
    },
    list: () => [...rows.values()].map(info),
    revoke(id, now) {
      const row = rows.get(id);
      if (!row || row.revokedAt) return false;
      row.revokedAt = new Date(now);
      return true;
    },
    verify(key) {
      const id = apiKeyId(key);
      const row = id === null ? undefined : rows.get(id);
      return row && !row.revokedAt && apiKeyMatches(key, row.hash) ? info(row) : null;
    },
    hasActive: () => [...rows.values()].some((r) => !r.revokedAt),
    close() {},
  };
}
