/** File access shared by the dataset loaders: every failure becomes a `DatasetError` naming the path. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError } from '../../errors.js';

/** Environment variable that points at the folder holding the dataset folders. */
export const DATA_DIR_ENV = 'DUET_DATA_DIR';

/** Options every loader accepts. */
export interface LoadOptions {
  /** Folder holding one sub-folder per dataset; overrides `DUET_DATA_DIR` and the default. */
  dataDir?: string;
}

/** The package root: the nearest folder above this module with a package.json (works from src/ and dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new DatasetError('Cannot find the duet package root (no package.json above the dataset loaders).');
    dir = parent;
  }
  return dir;
}

/** Data folder: `opts.dataDir`, else `DUET_DATA_DIR`, else `<package root>/../shared/data`. */
export function resolveDataDir(opts: LoadOptions = {}): string {
  const fromEnv = process.env[DATA_DIR_ENV];
  if (opts.dataDir) return resolve(opts.dataDir);
  if (fromEnv) return resolve(fromEnv);
  return resolve(packageRoot(), '..', 'shared', 'data');
}

/** Whether `path` is an existing folder. */
export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Read a UTF-8 file, or throw a `DatasetError` that names the dataset and the file. */
export function readText(dataset: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DatasetError(`Dataset '${dataset}': cannot read ${path}; the folder looks incomplete, fetch it again or point ${DATA_DIR_ENV} at a complete copy.`, { cause });
  }
}

/**
 * The lines of a one-record-per-line file. CRLF is accepted and only the empty string after the
 * final newline is dropped, so line numbers stay aligned across parallel files (seq.in / label).
 */
export function readLines(dataset: string, path: string): string[] {
  const lines = readText(dataset, path).split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Throw unless parallel files have the same number of lines (a misaligned split would mislabel everything). */
export function assertSameLength(dataset: string, files: Record<string, unknown[]>): void {
  const entries = Object.entries(files);
  const [firstPath, first] = entries[0];
  for (const [path, lines] of entries.slice(1)) {
    if (lines.length !== first.length) {
      throw new DatasetError(`Dataset '${dataset}': ${path} has ${lines.length} lines but ${firstPath} has ${first.length}; the files must be aligned line by line.`);
    }
  }
}
