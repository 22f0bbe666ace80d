import { describe, expect, it } from 'vitest';
import type { NluExample } from '../types.js';
import { createRng } from '../../util/random.js';
import { stratifiedHoldout } from './holdout.js';

function examples(counts: Record<string, number>): NluExample[] {
  return Object.entries(counts).flatMap(([intent, n]) => Array.from({ length: n }, (_, i) => ({ text: `${intent} ${i}`, intent, slots: [] })));
}

describe('stratifiedHoldout', () => {
  const data = examples({ a: 20, b: 30, c: 5 });

  it('holds out round(fraction × n) of every intent and keeps the rest', () => {
    const { train, validation } = stratifiedHoldout(data, 0.1, 1);
    const count = (list: NluExample[], intent: string) => list.filter((e) => e.intent === intent).length;
    expect([count(validation, 'a'), count(validation, 'b'), count(validation, 'c')]).toEqual([2, 3, 1]);
    expect(train.length + validation.length).toBe(data.length);
    const held = new Set(validation.map((e) => e.text));
    expect(train.some((e) => held.has(e.text))).toBe(false);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const texts = (seed: number) => stratifiedHoldout(data, 0.2, seed).validation.map((e) => e.text);
    expect(texts(7)).toEqual(texts(7));
    expect(texts(7)).not.toEqual(texts(8));
  });

  it('does not depend on the order in which the intents appear', () => {
    const interleaved = [...data].sort((x, y) => Number(x.text.split(' ')[1]) - Number(y.text.split(' ')[1]));
    const held = (list: NluExample[]) => stratifiedHoldout(list, 0.2, 3).validation.map((e) => e.text).sort();
    expect(interleaved.map((e) => e.intent).slice(0, 3)).toEqual(['a', 'b', 'c']);
    expect(held(interleaved)).toEqual(held(data));
  });

  it('keeps the original order inside both parts', () => {
    const { train } = stratifiedHoldout(data, 0.5, 2);
    const positions = train.map((e) => data.indexOf(e));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
  });
});

describe('createRng', () => {
  it('yields the same numbers in [0, 1) for a seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const values = Array.from({ length: 100 }, () => a());
    expect(values).toEqual(Array.from({ length: 100 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
