/** Deterministic stratified hold-out, for data that comes without a validation split. */
import type { NluExample } from '../data/types.js';
import { createRng, shuffle } from '../model/random.js';

/** Hold out `fraction` of each intent's examples (at least one when an intent has three or more). */
export function stratifiedSplit(examples: NluExample[], fraction: number, seed: number): { train: NluExample[]; validation: NluExample[] } {
  const rng = createRng(seed);
  const byIntent = new Map<string, NluExample[]>();
  for (const e of examples) byIntent.set(e.intent, [...(byIntent.get(e.intent) ?? []), e]);
  const train: NluExample[] = [];
  const validation: NluExample[] = [];
  for (const intent of [...byIntent.keys()].sort()) {
    const items = shuffle([...(byIntent.get(intent) ?? [])], rng);
    const held = items.length >= 3 ? Math.max(1, Math.round(items.length * fraction)) : 0;
    validation.push(...items.slice(0, held));
    train.push(...items.slice(held));
  }
  return { train, validation };
}
