/** HWU64, DialoGLUE split (`dialoglue_split/{train,valid,test}`): 64 intents, text and label only. */
import { join } from 'node:path';
import type { NluDataset, NluExample } from '../types.js';
import { assertSameLength, readLines } from './files.js';

const NAME = 'hwu64';

function readSplit(folder: string, split: string): NluExample[] {
  const textPath = join(folder, 'dialoglue_split', split, 'seq.in');
  const labelPath = join(folder, 'dialoglue_split', split, 'label');
  const texts = readLines(NAME, textPath);
  const labels = readLines(NAME, labelPath);
  assertSameLength(NAME, { [textPath]: texts, [labelPath]: labels });
  return texts.map((text, i) => ({ text: text.trim(), intent: labels[i].trim(), slots: [] }));
}

/**
 * Load HWU64. `valid` is kept as shipped, duplicates included (DialoGLUE drew it with
 * replacement), so validation numbers stay comparable with DialoGLUE's.
 */
export function loadHwu64(folder: string): NluDataset {
  return {
    name: NAME,
    splits: { train: readSplit(folder, 'train'), validation: readSplit(folder, 'valid'), test: readSplit(folder, 'test') },
    hasSlots: false,
  };
}
