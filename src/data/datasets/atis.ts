/** ATIS (flight queries), JointBERT split 4,478 / 500 / 893; some labels are multi-intent (`a#b`). */
import type { NluDataset } from '../types.js';
import { loadJointBert } from './jointbert.js';

/** Load ATIS from its folder (train / dev / test). */
export function loadAtis(folder: string): NluDataset {
  return loadJointBert('atis', folder);
}
