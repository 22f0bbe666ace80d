/**
 * DailyDialog (Li et al. 2017): open-domain daily conversations, one dialogue per line with
 * utterances separated by `__eou__`. Licence CC BY-NC-SA 4.0 (non-commercial, share-alike).
 *
 * The released splits overlap: validation and test dialogues reappear in train, verbatim or
 * with small edits (punctuation, a typo, one utterance added, dropped or reworded). Two
 * dialogues overlap when they share three consecutive utterances (a whole dialogue when it is
 * shorter) or one long utterance (`OVERLAP_UTTERANCE_CHARS` letters and digits or more),
 * compared by `looseKey`. Training data keeps no dialogue that overlaps validation or test;
 * evaluation data keeps no dialogue that overlaps the released train.
 */
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import { isDirectory, readLines, resolveDataDir, DATA_DIR_ENV, type LoadOptions } from '../datasets/files.js';
import { detokenise, looseKey } from './detokenise.js';

const NAME = 'dailydialog';

/** DailyDialog's licence; it travels with any model trained on the corpus. */
export const DAILYDIALOG_LICENCE = 'CC BY-NC-SA 4.0';

/** A dialogue: its utterances in order, speakers alternating. */
export type Dialogue = string[];

/** The released split names. */
export type DailyDialogSplit = 'train' | 'validation' | 'test';

/** How many consecutive utterances two dialogues must share to count as the same dialogue. */
export const OVERLAP_WINDOW = 3;

/**
 * A single shared utterance this long (in `looseKey` characters, about ten words) marks an
 * overlap: shorter ones are stock phrases ("Thank you very much.") that any two dialogues share.
 */
export const OVERLAP_UTTERANCE_CHARS = 50;

/** What the loader dropped, so reports can say it. */
export interface DailyDialogStats {
  released: Record<DailyDialogSplit, number>;
  /** Train dialogues dropped because an earlier train dialogue has the same loose text. */
  trainRepeats: number;
  /** Train dialogues dropped because they overlap a validation or test dialogue. */
  trainOverlappingHeldOut: number;
  /** Validation / test dialogues dropped because an earlier one of the same split has the same loose text. */
  heldOutRepeats: { validation: number; test: number };
  /** Validation / test dialogues dropped because they overlap a released train dialogue. */
  heldOutOverlappingTrain: { validation: number; test: number };
}

/** DailyDialog, cleaned for training and for evaluation, plus the splits as released. */
export interface DailyDialogCorpus {
  /** Released train minus repeats and minus every dialogue that overlaps validation or test. */
  train: Dialogue[];
  /** Validation for model selection: repeats and dialogues overlapping released train dropped. */
  validation: Dialogue[];
  /** Test for reporting: repeats and dialogues overlapping released train dropped. */
  test: Dialogue[];
  /** Every released dialogue, detokenised, nothing dropped (for leakage checks). */
  released: Record<DailyDialogSplit, Dialogue[]>;
  stats: DailyDialogStats;
}

/** Parse one `dialogues_<split>.txt` line: utterances split on `__eou__`, detokenised, empty ones dropped. */
export function parseDailyDialogLine(line: string): Dialogue {
  return line
    .split('__eou__')
    .map((utterance) => detokenise(utterance))
    .filter((utterance) => utterance.length > 0);
}

/** Read one split as released: every non-empty line is a dialogue. */
export function readDailyDialogSplit(folder: string, split: DailyDialogSplit): Dialogue[] {
  const path = join(folder, split, `dialogues_${split}.txt`);
  return readLines(NAME, path)
    .map(parseDailyDialogLine)
    .filter((dialogue) => dialogue.length > 0);
}

/** Loose key of a whole dialogue: equal for dialogues that differ only in case, spacing or punctuation. */
export function dialogueKey(dialogue: Dialogue): string {
  return dialogue.map(looseKey).join('\n');
}

/**
 * The keys two overlapping dialogues share: each window of `OVERLAP_WINDOW` consecutive
 * utterances (the whole dialogue when shorter) and each long utterance, by loose key.
 */
export function overlapKeys(dialogue: Dialogue): string[] {
  const keys = dialogue.map(looseKey);
  const out = keys.filter((key) => key.length >= OVERLAP_UTTERANCE_CHARS);
  if (keys.length <= OVERLAP_WINDOW) out.push(keys.join('\n'));
  else for (let i = 0; i + OVERLAP_WINDOW <= keys.length; i++) out.push(keys.slice(i, i + OVERLAP_WINDOW).join('\n'));
  return out;
}

/** Every overlap key of `dialogues`, for `overlaps`. */
export function overlapIndex(dialogues: Dialogue[]): Set<string> {
  const index = new Set<string>();
  for (const dialogue of dialogues) for (const key of overlapKeys(dialogue)) index.add(key);
  return index;
}

/** Whether `dialogue` shares an overlap window with any dialogue in `index`. */
export function overlaps(dialogue: Dialogue, index: Set<string>): boolean {
  return overlapKeys(dialogue).some((key) => index.has(key));
}

/** Drop dialogues whose loose text repeats an earlier one; returns the kept ones and the count dropped. */
export function dropRepeats(dialogues: Dialogue[]): { kept: Dialogue[]; dropped: number } {
  const seen = new Set<string>();
  const kept: Dialogue[] = [];
  for (const dialogue of dialogues) {
    const key = dialogueKey(dialogue);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(dialogue);
  }
  return { kept, dropped: dialogues.length - kept.length };
}

/**
 * Clean released splits: train without repeats or anything overlapping validation/test;
 * validation and test without repeats or anything overlapping released train.
 */
export function cleanDailyDialog(released: Record<DailyDialogSplit, Dialogue[]>): Omit<DailyDialogCorpus, 'released'> {
  const heldOutIndex = overlapIndex([...released.validation, ...released.test]);
  const trainIndex = overlapIndex(released.train);
  const trainUnique = dropRepeats(released.train);
  const train = trainUnique.kept.filter((dialogue) => !overlaps(dialogue, heldOutIndex));
  const heldOut = (split: 'validation' | 'test') => {
    const unique = dropRepeats(released[split]);
    const kept = unique.kept.filter((dialogue) => !overlaps(dialogue, trainIndex));
    return { kept, repeats: unique.dropped, overlapping: unique.kept.length - kept.length };
  };
  const validation = heldOut('validation');
  const test = heldOut('test');
  return {
    train,
    validation: validation.kept,
    test: test.kept,
    stats: {
      released: { train: released.train.length, validation: released.validation.length, test: released.test.length },
      trainRepeats: trainUnique.dropped,
      trainOverlappingHeldOut: trainUnique.kept.length - train.length,
      heldOutRepeats: { validation: validation.repeats, test: test.repeats },
      heldOutOverlappingTrain: { validation: validation.overlapping, test: test.overlapping },
    },
  };
}

/** Load DailyDialog from `<data dir>/dailydialog`, cleaned as the module comment describes. */
export function loadDailyDialog(options: LoadOptions = {}): DailyDialogCorpus {
  const folder = join(resolveDataDir(options), NAME);
  if (!isDirectory(folder)) {
    throw new DatasetError(`Dataset '${NAME}' not found at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders.`);
  }
  const released = {
    train: readDailyDialogSplit(folder, 'train'),
    validation: readDailyDialogSplit(folder, 'validation'),
    test: readDailyDialogSplit(folder, 'test'),
  };
  return { ...cleanDailyDialog(released), released };
}
