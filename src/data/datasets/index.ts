/** Benchmark datasets by name, read from the shared data folder into `NluDataset`s. */
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import type { NluDataset } from '../types.js';
import { loadAtis } from './atis.js';
import { loadBanking77 } from './banking77.js';
import { loadClinc150 } from './clinc150.js';
import { DATA_DIR_ENV, isDirectory, resolveDataDir, type LoadOptions } from './files.js';
import { loadHwu64 } from './hwu64.js';
import { loadSnips } from './snips.js';

export { BANKING77_HOLDOUT } from './banking77.js';
export { bioToSpans, splitTokens, type TextWithSpans } from './bio-spans.js';
export { parseCsv, parseCsvRecords } from './csv.js';
export { DATA_DIR_ENV, resolveDataDir, type LoadOptions } from './files.js';
export { stratifiedHoldout, type Holdout } from './holdout.js';

const LOADERS = {
  clinc150: loadClinc150,
  snips: loadSnips,
  atis: loadAtis,
  banking77: loadBanking77,
  hwu64: loadHwu64,
} as const satisfies Record<string, (folder: string) => NluDataset>;

/** A dataset `loadDataset` knows. */
export type DatasetName = keyof typeof LOADERS;

/** Names accepted by `loadDataset`. */
export const DATASET_NAMES = Object.freeze(Object.keys(LOADERS) as DatasetName[]);

/** Whether `name` is one of `DATASET_NAMES`. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(LOADERS, name);
}

/** Load a benchmark dataset by name from `opts.dataDir`, `DUET_DATA_DIR` or `<package>/../shared/data`. */
export function loadDataset(name: string, opts: LoadOptions = {}): NluDataset {
  if (!isDatasetName(name)) {
    throw new DatasetError(`Unknown dataset '${name}'; valid names: ${DATASET_NAMES.join(', ')}.`);
  }
  const folder = join(resolveDataDir(opts), name);
  if (!isDirectory(folder)) {
    throw new DatasetError(
      `Dataset '${name}' not found at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders (${DATASET_NAMES.join(', ')}).`,
    );
  }
  return LOADERS[name](folder);
}
