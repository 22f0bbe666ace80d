import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../errors.js';
import { main } from './main.js';
import { isLoopback, startServer } from './serve-command.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-serve-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `duet …` in this process, with what it printed. */
async function duet(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const printed = { stdout: '', stderr: '' };
  const capture = (stream: 'stdout' | 'stderr') =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk) => {
      printed[stream] += String(chunk);
      return true;
    });
  const spies = [capture('stdout'), capture('stderr')];
  process.exitCode = undefined;
  try {
    await main(['node', 'duet', ...args]);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { ...printed, exitCode };
}

describe('duet keys', () => {
  const store = join(dir, 'keys.sqlite');

  it('creates a key (printed once), lists it without the key, revokes it', async () => {
    const created = await duet('keys', 'create', 'alice', '--store', store);
    expect(created.exitCode).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^duet_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown only this once');

    // Only a SHA-256 of the key is stored, nowhere the key itself.
    const db = new Database(store, { readonly: true });
    const rows = db.prepare('SELECT id, user, hash FROM api_keys').all() as { id: string; user: string; hash: Buffer }[];
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user: 'alice' });
    expect(rows[0].hash).toHaveLength(32);
    // The secret is everything after "duet_<16 hex>_": base64url, so it may itself hold "_", and
    // splitting on "_" could leave a fragment short enough to turn up in the file by chance.
    const secret = key.slice('duet_'.length + 16 + 1);
    expect(secret).toHaveLength(43);
    expect(readFileSync(store).includes(secret)).toBe(false);

    const listed = await duet('keys', 'list', '--store', store);
    expect(listed.stdout).toContain(rows[0].id);
    expect(listed.stdout).toContain('alice');
    expect(listed.stdout).not.toContain(key);

    expect((await duet('keys', 'revoke', rows[0].id, '--store', store)).stdout).toContain(`Revoked ${rows[0].id}`);
    const again = await duet('keys', 'revoke', rows[0].id, '--store', store);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/^error: No active API key/);
    const json = JSON.parse((await duet('keys', 'list', '--store', store, '--json')).stdout) as { revokedAt: string | null }[];
    expect(json[0].revokedAt).not.toBeNull();
  });

  it('refuses a user id it could not serve', async () => {
    const result = await duet('keys', 'create', 'not a user', '--store', store);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('not a user id');
  });
});

describe('duet serve', () => {
  it('refuses to listen beyond loopback without API keys', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, store: join(dir, 'open.sqlite'), logLevel: 'silent' })).rejects.toBeInstanceOf(ConfigError);
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost')).toBe(true);
    expect(isLoopback('0.0.0.0') || isLoopback('192.168.1.2') || isLoopback('::')).toBe(false);
  });

  it('serves the demo with the keys of its store, and stops', async () => {
    const store = join(dir, 'served.sqlite');
    const key = (await duet('keys', 'create', 'bob', '--store', store)).stdout.trim();
    const server = await startServer({ port: 0, store, logLevel: 'silent', tz: 'UTC' });
    try {
      const ask = (authorization?: string) =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
          body: JSON.stringify({ messages: [{ role: 'user', content: 'what is 2 plus 2' }] }),
        });
      expect((await ask()).status).toBe(401);
      const ok = await ask(`Bearer ${key}`);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toContain('4');
    } finally {
      await server.stop();
    }
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
