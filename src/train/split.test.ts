import { describe, expect, it } from 'vitest';
import type { NluExample } from '../data/types.js';
import { stratifiedSplit } from './split.js';

function examples(intent: string, n: number): NluExample[] {
  return Array.from({ length: n }, (_, i) => ({ text: `${intent} example ${i}`, intent, slots: [] }));
}

const data = [...examples('greet', 10), ...examples('weather', 20), ...examples('alarm', 3), ...examples('rare', 2), ...examples('single', 1)];

function countBy(items: NluExample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of items) counts[e.intent] = (counts[e.intent] ?? 0) + 1;
  return counts;
}

describe('stratifiedSplit', () => {
  it('holds out the fraction of each intent, at least one when an intent has three or more', () => {
    const { train, validation } = stratifiedSplit(data, 0.2, 1);
    expect(countBy(validation)).toEqual({ greet: 2, weather: 4, alarm: 1 });
    expect(countBy(train)).toEqual({ greet: 8, weather: 16, alarm: 2, rare: 2, single: 1 });
  });

  it('keeps intents with fewer than three examples entirely in train', () => {
    const { train, validation } = stratifiedSplit(data, 0.5, 1);
    expect(validation.some((e) => e.intent === 'rare' || e.intent === 'single')).toBe(false);
    expect(train.filter((e) => e.intent === 'rare')).toHaveLength(2);
  });

  it('partitions the examples: nothing lost, nothing duplicated', () => {
    const { train, validation } = stratifiedSplit(data, 0.3, 7);
    expect(train.length + validation.length).toBe(data.length);
    expect(new Set([...train, ...validation])).toEqual(new Set(data));
  });

  it('is deterministic for a seed and varies with the seed', () => {
    const a = stratifiedSplit(data, 0.2, 42);
    expect(stratifiedSplit(data, 0.2, 42)).toEqual(a);
    const texts = (s: { validation: NluExample[] }) => s.validation.map((e) => e.text).sort();
    const others = [1, 2, 3, 4].map((seed) => texts(stratifiedSplit(data, 0.2, seed)));
    expect(others.some((t) => t.join() !== texts(a).join())).toBe(true);
  });

  it('does not depend on the order of the input', () => {
    const reversed = stratifiedSplit([...data].reverse(), 0.2, 5);
    expect(countBy(reversed.validation)).toEqual(countBy(stratifiedSplit(data, 0.2, 5).validation));
  });

  it('does not modify its input', () => {
    const copy = [...data];
    stratifiedSplit(data, 0.2, 3);
    expect(data).toEqual(copy);
  });

  it('holds out nothing with fraction 0 beyond the one-per-intent minimum', () => {
    const { validation } = stratifiedSplit(data, 0, 1);
    expect(countBy(validation)).toEqual({ greet: 1, weather: 1, alarm: 1 });
  });
});
