import { describe, expect, it } from 'vitest';
import type { NluExample, SlotSpan } from '../data/types.js';
import { DuetError } from '../errors.js';
import { countSlotMatches, evaluateNlu, type NluPrediction } from './metrics.js';

const span = (slot: string, start: number, end: number): SlotSpan => ({ slot, start, end });
const ex = (intent: string, slots: SlotSpan[] = []): NluExample => ({ text: 'abcdefgh', intent, slots });
const pred = (intent: string, slots: SlotSpan[] = []): NluPrediction => ({ intent, slots });

// Eight hand-checked cases over intents A, B and out-of-scope `oos`.
const gold: NluExample[] = [
  ex('A', [span('x', 0, 1)]), // 1 right, slots right
  ex('A'), // 2 A → B
  ex('B', [span('y', 0, 3), span('x', 4, 5)]), // 3 intent right, one slot boundary wrong
  ex('oos'), // 4 right
  ex('oos'), // 5 oos → A
  ex('B'), // 6 B → oos, plus a spurious slot
  ex('A'), // 7 right
  ex('B'), // 8 B → oos
];
const predictions: NluPrediction[] = [
  pred('A', [span('x', 0, 1)]),
  pred('B'),
  pred('B', [span('y', 0, 3), span('x', 4, 6)]),
  pred('oos'),
  pred('A'),
  pred('oos', [span('z', 0, 1)]),
  pred('A'),
  pred('oos'),
];

describe('evaluateNlu', () => {
  const report = evaluateNlu(gold, predictions, { outOfScopeIntent: 'oos' });

  it('counts intent accuracy over all examples and in-scope accuracy without gold oos', () => {
    expect(report.examples).toBe(8);
    expect(report.intentAccuracy).toBeCloseTo(4 / 8); // 1, 3, 4, 7
    expect(report.inScopeAccuracy).toBeCloseTo(3 / 6); // of 1, 2, 3, 6, 7, 8: 1, 3, 7
  });

  it('scores out-of-scope recall and precision', () => {
    // gold oos: 4, 5; predicted oos: 4, 6, 8
    expect(report.outOfScope).toMatchObject({ intent: 'oos', support: 2, predicted: 3, correct: 1 });
    expect(report.outOfScope?.recall).toBeCloseTo(1 / 2);
    expect(report.outOfScope?.precision).toBeCloseTo(1 / 3);
    expect(report.outOfScope?.f1).toBeCloseTo(0.4);
  });

  it('micro-averages slots with exact span match', () => {
    // gold spans 3, predicted 4, matching 2 (x 0-1 and y 0-3)
    expect(report.slots).toMatchObject({ correct: 2, predicted: 4, gold: 3 });
    expect(report.slots.precision).toBeCloseTo(0.5);
    expect(report.slots.recall).toBeCloseTo(2 / 3);
    expect(report.slots.f1).toBeCloseTo(4 / 7);
  });

  it('counts a sentence as exact only when intent and every slot are right', () => {
    expect(report.exactMatchAccuracy).toBeCloseTo(3 / 8); // 1, 4, 7
  });

  it('builds the confusion matrix with oos last', () => {
    expect(report.confusionMatrix).toEqual({
      labels: ['A', 'B', 'oos'],
      counts: [
        [2, 1, 0],
        [0, 1, 2],
        [1, 0, 1],
      ],
    });
  });

  it('scores every intent and the macro F1', () => {
    const byIntent = Object.fromEntries(report.perIntent.map((s) => [s.intent, s]));
    expect(byIntent.A).toMatchObject({ support: 3, predicted: 3, correct: 2 });
    expect(byIntent.A.f1).toBeCloseTo(2 / 3);
    expect(byIntent.B).toMatchObject({ support: 3, predicted: 2, correct: 1 });
    expect(byIntent.B.precision).toBeCloseTo(0.5);
    expect(byIntent.B.recall).toBeCloseTo(1 / 3);
    expect(byIntent.B.f1).toBeCloseTo(0.4);
    expect(report.intentMacroF1).toBeCloseTo((2 / 3 + 0.4 + 0.4) / 3);
  });

  it('lists confusion pairs by count, ties by label', () => {
    expect(report.confusionPairs).toEqual([
      { gold: 'B', predicted: 'oos', count: 2 },
      { gold: 'A', predicted: 'B', count: 1 },
      { gold: 'oos', predicted: 'A', count: 1 },
    ]);
    expect(evaluateNlu(gold, predictions, { topConfusions: 1 }).confusionPairs).toHaveLength(1);
  });

  it('leaves out OOS figures when the dataset has no out-of-scope label', () => {
    const plain = evaluateNlu(gold, predictions);
    expect(plain.inScopeAccuracy).toBeUndefined();
    expect(plain.outOfScope).toBeUndefined();
    expect(plain.confusionMatrix.labels).toEqual(['A', 'B', 'oos']);
  });

  it('includes predicted-only labels with zero support, outside the macro average', () => {
    const r = evaluateNlu([ex('A'), ex('B')], [pred('A'), pred('None')]);
    expect(r.confusionMatrix.labels).toEqual(['A', 'B', 'None']);
    expect(r.perIntent.find((s) => s.intent === 'None')).toMatchObject({ support: 0, predicted: 1, precision: 0, recall: 0, f1: 0 });
    expect(r.intentMacroF1).toBeCloseTo((1 + 0) / 2);
  });

  it('reports zeros rather than NaN when nothing was counted', () => {
    const r = evaluateNlu([], [], { outOfScopeIntent: 'oos' });
    expect([r.intentAccuracy, r.inScopeAccuracy, r.slots.f1, r.exactMatchAccuracy, r.intentMacroF1]).toEqual([0, 0, 0, 0, 0]);
    expect(r.outOfScope).toMatchObject({ support: 0, precision: 0, recall: 0 });
  });

  it('refuses predictions that do not line up with the gold examples', () => {
    expect(() => evaluateNlu(gold, predictions.slice(1))).toThrow(DuetError);
    expect(() => evaluateNlu(gold, predictions.slice(1))).toThrow(/8 gold examples but 7 predictions/);
  });

  it('does not count a sentence with an extra slot as exact', () => {
    const r = evaluateNlu([ex('A', [span('x', 0, 1)])], [pred('A', [span('x', 0, 1), span('x', 2, 3)])]);
    expect(r.exactMatchAccuracy).toBe(0);
    expect(r.slots).toMatchObject({ correct: 1, predicted: 2, gold: 1 });
  });
});

describe('countSlotMatches', () => {
  it('needs the same slot name, start and end', () => {
    expect(countSlotMatches([span('x', 0, 3)], [span('y', 0, 3)])).toBe(0);
    expect(countSlotMatches([span('x', 0, 3)], [span('x', 1, 3)])).toBe(0);
    expect(countSlotMatches([span('x', 0, 3)], [span('x', 0, 3)])).toBe(1);
  });

  it('matches each gold span at most once', () => {
    expect(countSlotMatches([span('x', 0, 3)], [span('x', 0, 3), span('x', 0, 3)])).toBe(1);
  });

  it('ignores the normalised value', () => {
    expect(countSlotMatches([{ ...span('x', 0, 3), value: 'a' }], [{ ...span('x', 0, 3), value: 'b' }])).toBe(1);
  });
});
