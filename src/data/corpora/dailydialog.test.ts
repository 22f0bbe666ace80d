import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { resolveDataDir } from '../datasets/files.js';
import { loadDailyDialog, overlapIndex, overlaps, parseDailyDialogLine } from './dailydialog.js';
import { looseKey } from './detokenise.js';

const fixtures = join(import.meta.dirname, '__fixtures__', 'data');

describe('parseDailyDialogLine', () => {
  it('splits on __eou__, detokenises and drops the empty tail', () => {
    expect(parseDailyDialogLine('Hello , how are you ? __eou__ I ’ m fine . __eou__ ')).toEqual(['Hello, how are you?', "I'm fine."]);
  });
});

describe('loadDailyDialog on fixtures', () => {
  const dd = loadDailyDialog({ dataDir: fixtures });

  it('keeps every released dialogue, detokenised, under released', () => {
    expect(dd.released.train).toHaveLength(6);
    expect(dd.released.validation).toHaveLength(2);
    expect(dd.released.test).toHaveLength(4);
    expect(dd.released.train[0]).toEqual(['Hello, how are you?', "I'm fine, thanks.", 'Good to hear.']);
  });

  it('drops train repeats and every train dialogue that overlaps validation or test', () => {
    // Kept: the first greeting and the thank-you exchange. Dropped: the greeting repeated with other
    // punctuation; the station dialogue (a test dialogue); the menu dialogue (3 turns shared with
    // validation); the bank dialogue (one long utterance shared with test).
    expect(dd.train.map((d) => d[0])).toEqual(['Hello, how are you?', 'Thank you.']);
    expect(dd.stats.trainRepeats).toBe(1);
    expect(dd.stats.trainOverlappingHeldOut).toBe(3);
  });

  it('evaluates only on held-out dialogues that do not overlap released train, each once', () => {
    expect(dd.validation).toEqual([['Do you like jazz?', 'I love it.']]);
    expect(dd.test).toEqual([['What time is it?', "It's half past six.", 'Already?']]);
    expect(dd.stats.heldOutRepeats).toEqual({ validation: 0, test: 1 });
    expect(dd.stats.heldOutOverlappingTrain).toEqual({ validation: 1, test: 2 });
  });

  it('does not call two dialogues the same for sharing stock phrases', () => {
    const index = overlapIndex([['Thank you.', "You're welcome.", 'Bye.']]);
    expect(overlaps(['Of course.', 'Thank you.', "You're welcome.", 'See you.'], index)).toBe(false);
    expect(overlaps(['Of course.', 'Thank you.', "You're welcome.", 'Bye!'], index)).toBe(true);
  });

  it('names the folder and DUET_DATA_DIR when the data is missing', () => {
    expect(() => loadDailyDialog({ dataDir: join(fixtures, 'nowhere') })).toThrow(DatasetError);
    expect(() => loadDailyDialog({ dataDir: join(fixtures, 'nowhere') })).toThrow(/dailydialog' not found at .*DUET_DATA_DIR/);
  });
});

const dataDir = resolveDataDir();
describe.runIf(existsSync(join(dataDir, 'dailydialog', 'train', 'dialogues_train.txt')))('loadDailyDialog on the real data', () => {
  // Loaded in beforeAll, not while collecting: a skipped suite's body still runs at collection.
  let dd!: ReturnType<typeof loadDailyDialog>;
  beforeAll(() => {
    dd = loadDailyDialog();
  });

  it('reads every released dialogue and utterance (counts from SOURCE.md)', () => {
    expect(dd.stats.released).toEqual({ train: 11118, validation: 1000, test: 1000 });
    const utterances = (ds: string[][]) => ds.reduce((n, d) => n + d.length, 0);
    expect([utterances(dd.released.train), utterances(dd.released.validation), utterances(dd.released.test)]).toEqual([87171, 8069, 7740]);
  });

  it('drops at least the repeats and overlaps SOURCE.md counts', () => {
    // SOURCE.md: 569 repeated train lines, 69 validation and 93 test dialogues verbatim in train.
    // The loose comparison finds more (punctuation, quotes, small edits).
    expect(dd.stats.trainRepeats).toBeGreaterThanOrEqual(569);
    expect(dd.stats.heldOutOverlappingTrain.validation).toBeGreaterThanOrEqual(69);
    expect(dd.stats.heldOutOverlappingTrain.test).toBeGreaterThanOrEqual(93);
    expect(dd.train.length).toBe(11118 - dd.stats.trainRepeats - dd.stats.trainOverlappingHeldOut);
    expect(dd.train.length).toBeGreaterThan(9000);
    expect(dd.test.length).toBeGreaterThan(650);
  });

  it('leaves no train dialogue that overlaps validation or test, and no repeat', () => {
    const heldOut = overlapIndex([...dd.released.validation, ...dd.released.test]);
    expect(dd.train.filter((d) => overlaps(d, heldOut))).toEqual([]);
    expect(new Set(dd.train.map((d) => d.map(looseKey).join('\n'))).size).toBe(dd.train.length);
  });

  it('writes natural text: no space before punctuation, no typographic apostrophe', () => {
    const all = dd.released.train.flat();
    expect(all.filter((u) => / [,.?!](\s|$)/.test(u)).length / all.length).toBeLessThan(0.001);
    expect(all.filter((u) => u.includes('’')).length).toBe(0);
  });
});
