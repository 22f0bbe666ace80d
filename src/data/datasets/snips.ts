/** SNIPS (7 intents, 39 slot types), JointBERT split 13,084 / 700 / 700. */
import type { NluDataset } from '../types.js';
import { loadJointBert } from './jointbert.js';

/** Load SNIPS from its folder (train / dev / test). */
export function loadSnips(folder: string): NluDataset {
  return loadJointBert('snips', folder);
}
