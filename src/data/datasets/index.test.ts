import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import type { NluDataset } from '../types.js';
import { BANKING77_HOLDOUT, DATASET_NAMES, DATA_DIR_ENV, loadDataset, resolveDataDir } from './index.js';
import { isDirectory, packageRoot } from './files.js';

const dataDir = resolveDataDir();
const missing = (name: string) => !isDirectory(join(dataDir, name));

function sizes(dataset: NluDataset): [number, number, number] {
  return [dataset.splits.train.length, dataset.splits.validation.length, dataset.splits.test.length];
}
const intents = (list: NluDataset['splits']['train']) => new Set(list.map((e) => e.intent));
const spanCount = (list: NluDataset['splits']['train']) => list.reduce((n, e) => n + e.slots.length, 0);

describe('loadDataset errors', () => {
  const empty = mkdtempSync(join(tmpdir(), 'duet-data-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('names the valid datasets for an unknown name', () => {
    expect(() => loadDataset('nope')).toThrow(DatasetError);
    expect(() => loadDataset('nope')).toThrow(/Unknown dataset 'nope'.*clinc150, snips, atis, banking77, hwu64/);
  });

  it('names the path tried and DUET_DATA_DIR for a missing folder', () => {
    expect(() => loadDataset('snips', { dataDir: empty })).toThrow(new RegExp(`'snips' not found at ${join(empty, 'snips')}.*${DATA_DIR_ENV}`));
  });

  it('names the missing file of an incomplete folder', () => {
    mkdirSync(join(empty, 'hwu64', 'dialoglue_split', 'train'), { recursive: true });
    writeFileSync(join(empty, 'hwu64', 'dialoglue_split', 'train', 'seq.in'), 'hi\n');
    expect(() => loadDataset('hwu64', { dataDir: empty })).toThrow(/dialoglue_split\/train\/label/);
  });

  it('points at a misaligned line in a JointBERT file', () => {
    const split = (name: string) => join(empty, 'atis', name);
    for (const name of ['train', 'dev', 'test']) {
      mkdirSync(split(name), { recursive: true });
      writeFileSync(join(split(name), 'seq.in'), 'from boston\nto denver now\n');
      writeFileSync(join(split(name), 'seq.out'), 'O B-city\nO B-city\n');
      writeFileSync(join(split(name), 'label'), 'atis_flight\natis_flight#atis_airfare\n');
    }
    expect(() => loadDataset('atis', { dataDir: empty })).toThrow(/train\/seq\.out:2: 3 tokens but 2 BIO tags/);
  });
});

describe('resolveDataDir', () => {
  it('prefers the option, then DUET_DATA_DIR, then ../shared/data beside the package', () => {
    const saved = process.env[DATA_DIR_ENV];
    try {
      process.env[DATA_DIR_ENV] = '/from/env';
      expect(resolveDataDir({ dataDir: '/from/option' })).toBe('/from/option');
      expect(resolveDataDir()).toBe('/from/env');
      delete process.env[DATA_DIR_ENV];
      expect(resolveDataDir()).toBe(join(packageRoot(), '..', 'shared', 'data'));
    } finally {
      if (saved === undefined) delete process.env[DATA_DIR_ENV];
      else process.env[DATA_DIR_ENV] = saved;
    }
  });
});

describe('DATASET_NAMES', () => {
  it('lists the five benchmark datasets', () => {
    expect([...DATASET_NAMES]).toEqual(['clinc150', 'snips', 'atis', 'banking77', 'hwu64']);
  });
});

// Counts below are the SOURCE.md tables of each folder under ../shared/data.
describe.skipIf(missing('clinc150'))('clinc150', () => {
  let data: NluDataset;
  beforeAll(() => {
    data = loadDataset('clinc150');
  });
  it('merges in-scope and oos splits', () => {
    expect(sizes(data)).toEqual([15_000 + 100, 3_000 + 100, 4_500 + 1_000]);
    expect(data.outOfScopeIntent).toBe('oos');
    expect(data.hasSlots).toBe(false);
    expect(intents(data.splits.train).size).toBe(151);
    expect(data.splits.test.filter((e) => e.intent === 'oos')).toHaveLength(1_000);
  });
});

describe.skipIf(missing('snips'))('snips', () => {
  let data: NluDataset;
  beforeAll(() => {
    data = loadDataset('snips');
  });
  it('has the JointBERT split sizes, 7 intents and one span per B- tag', () => {
    expect(sizes(data)).toEqual([13_084, 700, 700]);
    expect(intents(data.splits.train).size).toBe(7);
    expect(data.hasSlots).toBe(true);
    // B- tag counts of the seq.out files (the data has no I- without a B-).
    expect([spanCount(data.splits.train), spanCount(data.splits.validation), spanCount(data.splits.test)]).toEqual([33_958, 1_794, 1_790]);
  });
  it('puts spans on the words they tag', () => {
    const example = data.splits.train[1];
    expect(example.text).toBe('add step to me to the 50 clásicos playlist');
    expect(example.slots.map((s) => [s.slot, example.text.slice(s.start, s.end)])).toEqual([
      ['entity_name', 'step to me'],
      ['playlist', '50 clásicos'],
    ]);
  });
});

describe.skipIf(missing('atis'))('atis', () => {
  let data: NluDataset;
  beforeAll(() => {
    data = loadDataset('atis');
  });
  it('has the JointBERT split sizes and keeps multi-intent labels', () => {
    expect(sizes(data)).toEqual([4_478, 500, 893]);
    const multi = (list: NluDataset['splits']['train']) => list.filter((e) => e.intent.includes('#')).length;
    expect([multi(data.splits.train), multi(data.splits.validation), multi(data.splits.test)]).toEqual([23, 3, 15]);
    expect([spanCount(data.splits.train), spanCount(data.splits.validation), spanCount(data.splits.test)]).toEqual([14_851, 1_709, 2_837]);
  });
});

describe.skipIf(missing('banking77'))('banking77', () => {
  let data: NluDataset;
  beforeAll(() => {
    data = loadDataset('banking77');
  });
  it('carves a stratified 10% of train as validation', () => {
    const [train, validation, test] = sizes(data);
    expect(train + validation).toBe(10_003);
    expect(validation).toBe(1_005); // Σ round(0.1 × n) over the 77 intents
    expect(test).toBe(3_080);
    expect(intents(data.splits.validation).size).toBe(77);
    expect(BANKING77_HOLDOUT).toEqual({ fraction: 0.1, seed: 77 });
  });
  it('is the same split on every load', () => {
    expect(loadDataset('banking77').splits.validation).toEqual(data.splits.validation);
  });
  it('reads quoted texts and drops stray line breaks', () => {
    const all = [...data.splits.train, ...data.splits.validation, ...data.splits.test];
    expect(all.some((e) => e.text === 'How do I know if I will get my card, or if it is lost?')).toBe(true);
    expect(all.every((e) => !/[\r\n]/.test(e.text) && e.text === e.text.trim())).toBe(true);
  });
});

describe.skipIf(missing('hwu64'))('hwu64', () => {
  let data: NluDataset;
  beforeAll(() => {
    data = loadDataset('hwu64');
  });
  it('has the DialoGLUE split sizes and 64 intents, without slots', () => {
    expect(sizes(data)).toEqual([8_954, 1_076, 1_076]);
    expect(intents(data.splits.train).size).toBe(64);
    expect(data.hasSlots).toBe(false);
  });
});
