/**
 * Checks on the real (partial) SGD files, run only where the data folder has them. Every split is
 * loaded in `beforeAll`, never while vitest collects the suites: a skipped suite's body still runs
 * during collection, and CI may not have the data.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../datasets/files.js';
import { SGD_KIND_TRANSFERS, SGD_SELECT_EXCLUSIONS, SGD_SLOT_TRANSFERS, learnKindTransfers, learnSelectExclusions, learnSlotTransfers, trackerCeiling } from './dst.js';
import { labelOf, sgdLabels, sgdStats, sgdTurnExamples, turnKey, type SgdTurnExample } from './examples.js';
import { loadSgd, type SgdSplit, type SgdSplitData } from './load-sgd.js';
import { evaluateSgd } from './metrics.js';

const has = (split: SgdSplit) => existsSync(join(resolveDataDir(), 'sgd', split, 'schema.json'));

/** Load a split once for a suite, and let it go after. */
function splitFixture(split: SgdSplit): { data: () => SgdSplitData; examples: () => SgdTurnExample[] } {
  let data: SgdSplitData | undefined;
  let examples: SgdTurnExample[] | undefined;
  beforeAll(() => {
    data = loadSgd(split);
    examples = sgdTurnExamples(data.dialogues);
  });
  afterAll(() => {
    data = undefined;
    examples = undefined;
  });
  return { data: () => data!, examples: () => examples! };
}

describe.runIf(has('train'))('SGD train (partial) on disk', () => {
  const train = splitFixture('train');

  it('has the counts SOURCE.md gives: 7,451 dialogues, 124,388 turns, 2,176 multi-domain, all 26 services', () => {
    const stats = sgdStats(train.data());
    expect(stats).toMatchObject({ dialogues: 7451, turns: 124388, multiDomainDialogues: 2176, services: 26 });
    expect(train.data().schema).toHaveLength(26);
    expect(train.examples()).toHaveLength(stats.userTurns);
  });

  it('SGD_SELECT_EXCLUSIONS is what learnSelectExclusions finds in train', () => {
    expect(learnSelectExclusions(train.data())).toEqual(SGD_SELECT_EXCLUSIONS);
  });

  it('SGD_SLOT_TRANSFERS is what learnSlotTransfers finds in train', () => {
    expect(learnSlotTransfers(train.data().dialogues)).toEqual(SGD_SLOT_TRANSFERS);
  });

  it('SGD_KIND_TRANSFERS is what learnKindTransfers finds in train', () => {
    expect(learnKindTransfers(train.data())).toEqual(SGD_KIND_TRANSFERS);
  });

  it("train's labels cover every label its examples use", () => {
    const labels = sgdLabels(train.data().schema);
    const intents = new Set(labels.intents);
    const requested = new Set(labels.requestedSlots);
    const spans = new Set(labels.spanSlots);
    const missing = new Set<string>();
    for (const e of train.examples()) {
      for (const s of e.services) {
        if (!intents.has(labelOf(s, e.activeIntents[s]))) missing.add(`intent ${labelOf(s, e.activeIntents[s])}`);
        for (const slot of e.requestedSlots[s]) if (!requested.has(labelOf(s, slot))) missing.add(`requested ${labelOf(s, slot)}`);
      }
      for (const span of e.spans) if (!spans.has(labelOf(span.service, span.slot))) missing.add(`span ${labelOf(span.service, span.slot)}`);
    }
    expect([...missing]).toEqual([]);
  });
});

describe.runIf(has('dev'))('SGD dev (partial) on disk', () => {
  const dev = splitFixture('dev');

  it('has the counts SOURCE.md gives: 2,098 dialogues, 38,768 turns', () => {
    expect(sgdStats(dev.data())).toEqual({
      dialogues: 2098,
      turns: 38768,
      userTurns: 19384,
      frames: 20542,
      services: 17,
      intents: 30,
      slots: 89,
      spans: 7518,
      multiDomainDialogues: 1262,
    });
  });

  it('gold turn outputs score 1 on intents, requested slots and spans', () => {
    const gold = new Map(dev.examples().map((e) => [turnKey(e.dialogueId, e.turnIndex), { activeIntents: e.activeIntents, requestedSlots: e.requestedSlots, spans: e.spans }]));
    const m = evaluateSgd(dev.examples(), gold);
    expect([m.activeIntentAccuracy, m.requestedSlots?.f1, m.slotF1?.f1]).toEqual([1, 1, 1]);
    expect(m.frames).toBe(20542);
  });

  it("the tracker's ceiling on gold turn outputs (the figure reported for issue #5; partial dev)", () => {
    const ceiling = trackerCeiling(dev.data(), {}, dev.examples());
    expect(ceiling.withValues.jointGoalAccuracy).toBeCloseTo(0.8988, 4);
    expect(ceiling.withValues.jointGoalAccuracyPerFrame).toBeCloseTo(0.9028, 4);
    expect(ceiling.spansOnly.jointGoalAccuracy).toBeCloseTo(0.5238, 4);
    // Without the slot-kind transfers (dev's services pair slots train never paired by name).
    expect(trackerCeiling(dev.data(), { kindTransfers: [] }, dev.examples()).withValues.jointGoalAccuracy).toBeCloseTo(0.8549, 4);
  });
});

describe.runIf(has('test'))('SGD test (partial) on disk', () => {
  const test = splitFixture('test');

  it('has the counts SOURCE.md gives: 2,921 dialogues, 49,726 turns', () => {
    expect(sgdStats(test.data())).toMatchObject({ dialogues: 2921, turns: 49726 });
  });
});
