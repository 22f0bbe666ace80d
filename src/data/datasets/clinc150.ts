/** CLINC150 (oos-eval `data_full.json`): 150 intents plus out-of-scope examples labelled `oos`. */
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import type { NluDataset, NluExample } from '../types.js';
import { readText } from './files.js';

const NAME = 'clinc150';

/** Parse one split: a list of `[utterance, intent]` pairs. */
function readSplit(data: Record<string, unknown>, split: string, path: string): NluExample[] {
  const pairs = data[split];
  if (!Array.isArray(pairs)) throw new DatasetError(`Dataset '${NAME}': ${path} has no '${split}' list.`);
  return pairs.map((pair: unknown, i) => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new DatasetError(`Dataset '${NAME}': ${path} ${split}[${i}] is not an [utterance, intent] pair.`);
    }
    return { text: pair[0].trim(), intent: pair[1], slots: [] };
  });
}

/** Load CLINC150 `data_full`; each split is its in-scope part followed by its out-of-scope part. */
export function loadClinc150(folder: string): NluDataset {
  const path = join(folder, 'data_full.json');
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readText(NAME, path)) as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof DatasetError) throw cause;
    throw new DatasetError(`Dataset '${NAME}': ${path} is not valid JSON.`, { cause });
  }
  const both = (inScope: string, oos: string): NluExample[] => [...readSplit(data, inScope, path), ...readSplit(data, oos, path)];
  return {
    name: NAME,
    splits: { train: both('train', 'oos_train'), validation: both('val', 'oos_val'), test: both('test', 'oos_test') },
    outOfScopeIntent: 'oos',
    hasSlots: false,
  };
}
