/** Deterministic stratified hold-out, for datasets that ship without a validation split. */
import type { NluExample } from '../types.js';

/** Train examples split into what stays for training and what is held out for validation. */
export interface Holdout {
  train: NluExample[];
  validation: NluExample[];
}

/** mulberry32: tiny seeded PRNG, so the split is identical on every machine and Node version. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function indicesByIntent(examples: readonly NluExample[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  examples.forEach((example, i) => {
    const group = groups.get(example.intent);
    if (group) group.push(i);
    else groups.set(example.intent, [i]);
  });
  return groups;
}

/**
 * Hold out `round(fraction × n)` examples of every intent, chosen by a seeded shuffle; intents
 * are visited in sorted order so the result does not depend on file order of the labels. Both
 * outputs keep the original example order.
 */
export function stratifiedHoldout(examples: readonly NluExample[], fraction: number, seed: number): Holdout {
  const random = mulberry32(seed);
  const held = new Set<number>();
  const groups = indicesByIntent(examples);
  for (const intent of [...groups.keys()].sort()) {
    const indices = shuffleInPlace([...(groups.get(intent) ?? [])], random);
    for (const index of indices.slice(0, Math.round(fraction * indices.length))) held.add(index);
  }
  return {
    train: examples.filter((_, i) => !held.has(i)),
    validation: examples.filter((_, i) => held.has(i)),
  };
}
