import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SgdTurnExample } from './examples.js';
import { evaluateSgd, frameStateCorrect, listF1, prf, valueMatches, type SgdTurnPrediction } from './metrics.js';

const A = 'Restaurants_1';
const B = 'RideSharing_1';

/** A gold user turn with defaults for what a case does not use. */
function turn(id: string, frames: Record<string, { intent?: string; requested?: string[]; state?: Record<string, string[]> }>, spans: SgdTurnExample['spans'] = []): SgdTurnExample {
  const services = Object.keys(frames);
  return {
    dialogueId: id,
    turnIndex: 0,
    utterance: '',
    history: [],
    services,
    activeIntents: Object.fromEntries(services.map((s) => [s, frames[s].intent ?? 'NONE'])),
    requestedSlots: Object.fromEntries(services.map((s) => [s, frames[s].requested ?? []])),
    spans,
    values: [],
    state: Object.fromEntries(services.map((s) => [s, frames[s].state ?? {}])),
    selected: [],
    asked: {},
  };
}
const span = (service: string, slot: string, start: number, end: number) => ({ service, slot, start, end, value: '' });
const predictions = (entries: [string, SgdTurnPrediction][]) => new Map(entries.map(([id, p]) => [`${id}/0`, p]));

describe('active-intent accuracy', () => {
  it('is the share of frames whose intent is right; a frame without a prediction is wrong', () => {
    const gold = [turn('d1', { [A]: { intent: 'FindRestaurants' }, [B]: { intent: 'GetRide' } }), turn('d2', { [A]: { intent: 'NONE' } }), turn('d3', { [A]: { intent: 'ReserveRestaurant' } })];
    const m = evaluateSgd(
      gold,
      predictions([
        ['d1', { activeIntents: { [A]: 'FindRestaurants', [B]: 'NONE' } }],
        ['d2', { activeIntents: { [A]: 'NONE' } }],
      ]),
    );
    expect(m.frames).toBe(4);
    expect(m.activeIntentAccuracy).toBe(2 / 4);
    expect(m.slotF1).toBeNull();
    expect(m.jointGoalAccuracy).toBeNull();
  });
});

describe('requested-slot F1', () => {
  it("is SGD's per-frame F1 (1 for empty vs. empty) averaged over frames", () => {
    expect(listF1(['a'], ['a', 'b'])).toEqual({ f1: 2 / 3, precision: 0.5, recall: 1 });
    expect(listF1([], [])).toEqual({ f1: 1, precision: 1, recall: 1 });
    expect(listF1(['c'], [])).toEqual({ f1: 0, precision: 1, recall: 0 });
    const gold = [turn('d1', { [A]: { requested: ['a'] } }), turn('d2', { [A]: {} }), turn('d3', { [A]: { requested: ['c'] } })];
    const m = evaluateSgd(
      gold,
      predictions([
        ['d1', { requestedSlots: { [A]: ['a', 'b'] } }],
        ['d2', { requestedSlots: { [A]: [] } }],
        ['d3', { requestedSlots: {} }],
      ]),
    );
    expect(m.requestedSlots?.f1).toBeCloseTo((2 / 3 + 1 + 0) / 3, 12);
    expect(m.requestedSlots?.precision).toBeCloseTo((0.5 + 1 + 1) / 3, 12);
    expect(m.requestedSlots?.recall).toBeCloseTo((1 + 1 + 0) / 3, 12);
  });
});

describe('slot F1', () => {
  it('is micro-averaged over spans, exact on service, slot, start and end', () => {
    const gold = [
      turn('d1', { [A]: {} }, [span(A, 'city', 10, 18), span(A, 'time', 22, 26)]),
      turn('d2', { [A]: {}, [B]: {} }, [span(B, 'destination', 3, 10)]),
    ];
    const m = evaluateSgd(
      gold,
      predictions([
        ['d1', { spans: [span(A, 'city', 10, 18), span(A, 'time', 22, 27)] }], // right; end off by one
        ['d2', { spans: [span(B, 'destination', 3, 10), span(A, 'destination', 3, 10)] }], // right; wrong service
      ]),
    );
    expect(m.slotF1).toEqual(prf(2, 2, 1));
    expect(m.slotF1?.precision).toBe(0.5);
    expect(m.slotF1?.recall).toBe(2 / 3);
    expect(m.slotF1?.f1).toBeCloseTo(4 / 7, 12);
  });
});

describe('joint goal accuracy', () => {
  it('matches values trimmed and case-insensitively, against any acceptable value', () => {
    expect(valueMatches(' 7 PM ', ['7 pm'])).toBe(true);
    expect(valueMatches('half past 11', ['11:30 am', 'Half past 11'])).toBe(true);
    expect(valueMatches('7:30 pm', ['7 pm'])).toBe(false);
  });

  it('needs exactly the gold slots: a missing or extra slot fails the frame', () => {
    const gold = { city: ['San Jose'], time: ['7 pm', 'seven pm'] };
    expect(frameStateCorrect(gold, { city: 'san jose', time: 'Seven PM' })).toBe(true);
    expect(frameStateCorrect(gold, { city: 'San Jose' })).toBe(false);
    expect(frameStateCorrect(gold, { city: 'San Jose', time: '7 pm', date: 'today' })).toBe(false);
    expect(frameStateCorrect({}, {})).toBe(true);
    expect(frameStateCorrect({}, undefined)).toBe(true);
  });

  it('counts a turn right only when all its frames are, and reports the per-frame unit and average goal accuracy', () => {
    const gold = [
      turn('d1', { [A]: { state: { city: ['Oakland'] } }, [B]: { state: { destination: ['Oakland'], number_of_riders: ['2'] } } }),
      turn('d2', { [A]: { state: { city: ['Oakland'], time: ['6 pm'] } } }),
      turn('d3', { [B]: {} }),
    ];
    const m = evaluateSgd(
      gold,
      predictions([
        ['d1', { state: { [A]: { city: 'Oakland' }, [B]: { destination: 'Oakland' } } }],
        ['d2', { state: { [A]: { city: 'oakland', time: '6 PM' } } }],
        ['d3', { state: {} }],
      ]),
    );
    expect(m.turns).toBe(3);
    expect(m.jointGoalAccuracy).toBe(2 / 3);
    expect(m.jointGoalAccuracyPerFrame).toBe(3 / 4);
    // Frames with a gold state: 1, 1/2, 1 (the empty one does not count).
    expect(m.averageGoalAccuracy).toBeCloseTo((1 + 0.5 + 1) / 3, 12);
  });

  it('scores only the services a filter accepts, e.g. those seen in training', () => {
    const gold = [turn('d1', { [A]: { state: { city: ['Oakland'] } }, [B]: { state: { destination: ['X'] } } }, [span(A, 'city', 0, 7), span(B, 'destination', 8, 9)]), turn('d2', { [B]: {} })];
    const p = predictions([['d1', { state: { [A]: { city: 'Oakland' } }, spans: [span(A, 'city', 0, 7)] }]]);
    const seen = evaluateSgd(gold, p, { services: (s) => s === A });
    expect(seen).toMatchObject({ turns: 1, frames: 1, jointGoalAccuracy: 1 });
    expect(seen.slotF1).toEqual(prf(1, 0, 0));
    const all = evaluateSgd(gold, p);
    // d1 fails on B; d2's empty gold state is matched by predicting nothing.
    expect(all).toMatchObject({ turns: 2, frames: 3, jointGoalAccuracy: 1 / 2, jointGoalAccuracyPerFrame: 2 / 3 });
  });

  it('always says the figures are on partial SGD', () => {
    const m = evaluateSgd([], new Map());
    expect(m.partial).toBe(true);
    expect(m.note).toMatch(/Partial SGD/);
  });
});

describe('properties', () => {
  const lists = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 6 });

  it('listF1 is within [0, 1], symmetric in F1, and 1 exactly for equal multisets', () => {
    fc.assert(
      fc.property(lists, lists, (gold, predicted) => {
        const { f1 } = listF1(gold, predicted);
        expect(f1).toBeGreaterThanOrEqual(0);
        expect(f1).toBeLessThanOrEqual(1);
        expect(listF1(predicted, gold).f1).toBeCloseTo(f1, 12);
        const same = [...gold].sort().join() === [...predicted].sort().join();
        expect(f1 === 1).toBe(same);
      }),
    );
  });

  it('gold predictions score perfectly on every metric', () => {
    const state = fc.dictionary(fc.constantFrom('city', 'time', 'date'), fc.array(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 2 }));
    fc.assert(
      fc.property(fc.array(fc.record({ a: state, req: lists, intent: fc.constantFrom('NONE', 'Find') }), { minLength: 1, maxLength: 5 }), (rows) => {
        const gold = rows.map((r, i) => turn(`d${i}`, { [A]: { state: r.a, requested: r.req, intent: r.intent } }, [span(A, 'city', i, i + 1)]));
        const p = new Map(
          gold.map((g) => [
            `${g.dialogueId}/0`,
            {
              activeIntents: g.activeIntents,
              requestedSlots: g.requestedSlots,
              spans: g.spans,
              state: Object.fromEntries(Object.entries(g.state).map(([s, slots]) => [s, Object.fromEntries(Object.entries(slots).map(([k, v]) => [k, v[v.length - 1]]))])),
            } satisfies SgdTurnPrediction,
          ]),
        );
        const m = evaluateSgd(gold, p);
        expect([m.activeIntentAccuracy, m.requestedSlots?.f1, m.slotF1?.f1, m.jointGoalAccuracy, m.jointGoalAccuracyPerFrame]).toEqual([1, 1, 1, 1, 1]);
      }),
    );
  });
});
