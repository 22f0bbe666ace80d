/** Banking77: 77 fine-grained banking intents, csv `text,category`, no official validation split. */
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import type { NluDataset, NluExample } from '../types.js';
import { parseCsvRecords } from './csv.js';
import { readText } from './files.js';
import { stratifiedHoldout } from './holdout.js';

const NAME = 'banking77';

/**
 * How validation is carved out of train: 10% of every intent (rounded), chosen by a seeded
 * shuffle. Fixed so every run, and every reported number, uses the same split.
 */
export const BANKING77_HOLDOUT = Object.freeze({ fraction: 0.1, seed: 77 });

/** Some texts carry stray line breaks inside their quotes; collapse all whitespace runs to one space. */
function normaliseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function readSplit(folder: string, file: string): NluExample[] {
  const path = join(folder, file);
  const text = readText(NAME, path);
  let records: Record<string, string>[];
  try {
    records = parseCsvRecords(text);
  } catch (cause) {
    throw new DatasetError(`Dataset '${NAME}': ${path}: ${cause instanceof Error ? cause.message : String(cause)}.`, { cause });
  }
  return records.map((record, i) => {
    if (record.text === undefined || record.category === undefined) {
      throw new DatasetError(`Dataset '${NAME}': ${path} record ${i + 1} lacks the 'text' or 'category' column.`);
    }
    return { text: normaliseText(record.text), intent: record.category, slots: [] };
  });
}

/** Load Banking77; validation is the `BANKING77_HOLDOUT` stratified share of train, the rest stays train. */
export function loadBanking77(folder: string): NluDataset {
  const { train, validation } = stratifiedHoldout(readSplit(folder, 'train.csv'), BANKING77_HOLDOUT.fraction, BANKING77_HOLDOUT.seed);
  return { name: NAME, splits: { train, validation, test: readSplit(folder, 'test.csv') }, hasSlots: false };
}
