/** SNIPS and ATIS in the JointBERT form: per split `seq.in`, `seq.out` (BIO per token) and `label`. */
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import type { NluDataset, NluExample } from '../types.js';
import { bioToSpans, splitTokens } from './bio-spans.js';
import { assertSameLength, readLines } from './files.js';

function toExample(dataset: string, location: string, words: string, tags: string, label: string): NluExample {
  try {
    const { text, slots } = bioToSpans(splitTokens(words), splitTokens(tags));
    return { text, intent: label.trim(), slots };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DatasetError(`Dataset '${dataset}': ${location}: ${reason}.`, { cause });
  }
}

/** Read one split folder (`train`, `dev`, `test`) into examples with character-offset slots. */
function readSplit(dataset: string, folder: string, split: string): NluExample[] {
  const paths = { in: join(folder, split, 'seq.in'), out: join(folder, split, 'seq.out'), label: join(folder, split, 'label') };
  const words = readLines(dataset, paths.in);
  const tags = readLines(dataset, paths.out);
  const labels = readLines(dataset, paths.label);
  assertSameLength(dataset, { [paths.in]: words, [paths.out]: tags, [paths.label]: labels });
  return words.map((line, i) => toExample(dataset, `${paths.out}:${i + 1}`, line, tags[i], labels[i]));
}

/**
 * Load a JointBERT-form dataset; `dev` becomes validation. ATIS multi-intent labels such as
 * `atis_flight#atis_airfare` stay one label string, as the published ATIS numbers treat them.
 */
export function loadJointBert(name: string, folder: string): NluDataset {
  return {
    name,
    splits: { train: readSplit(name, folder, 'train'), validation: readSplit(name, folder, 'dev'), test: readSplit(name, folder, 'test') },
    hasSlots: true,
  };
}
