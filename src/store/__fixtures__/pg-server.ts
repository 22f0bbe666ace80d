/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temp folder, `pg_ctl start` on a free
 * port listening on a Unix socket in that folder only (no TCP), `stop()` stops it and removes the
 * folder. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
 * Binaries: $PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else the PATH.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPgBin(): string | null {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // Not a Debian layout.
  }
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

export const PG_MISSING_MESSAGE = 'PostgreSQL binaries (initdb, pg_ctl) not found: install the `postgresql` package (or set PG_BIN) to run the PostgreSQL store tests';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
    server.on('error', reject);
  });
}

export interface PgServer {
  /** A URL reaching the server over its Unix socket as the superuser `postgres` (trust auth). */
  url: string;
  dir: string;
  port: number;
  stop(): void;
}

export async function startPgServer(bin: string): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [cmd, all] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    execFileSync(cmd as string, all as string[], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses= -c fsync=off -c max_connections=200`, 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not start a test PostgreSQL server: ${stderr || String(error)}`);
  }
  return {
    url: `postgresql://postgres@localhost:${port}/postgres?host=${encodeURIComponent(dir)}`,
    dir,
    port,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let counter = 0;
/** A fresh schema name, so each store under test starts empty on the shared server. */
export function freshSchema(): string {
  counter += 1;
  return `t${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}
