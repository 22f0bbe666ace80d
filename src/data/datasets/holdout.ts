/** Deterministic stratified hold-out, for datasets that ship without a validation split. */
import { createRng, shuffle } from '../../util/random.js';
import type { NluExample } from '../types.js';

/** Train examples split into what stays for training and what is held out for validation. */
export interface Holdout {
  train: NluExample[];
  validation: NluExample[];
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
  const random = createRng(seed);
  const held = new Set<number>();
  const groups = indicesByIntent(examples);
  for (const intent of [...groups.keys()].sort()) {
    const indices = shuffle([...(groups.get(intent) ?? [])], random);
    for (const index of indices.slice(0, Math.round(fraction * indices.length))) held.add(index);
  }
  return {
    train: examples.filter((_, i) => !held.has(i)),
    validation: examples.filter((_, i) => held.has(i)),
  };
}
