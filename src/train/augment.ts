/**
 * Slot-value substitution: new training sentences made from the user's own examples by putting
 * another value of the same slot into a sentence ("remind me to [call mom](task) [at 5](when)"
 * + "[water the plants]" → "remind me to water the plants at 5"). The tagger then sees each
 * sentence shape with many values, which teaches span boundaries for words it never saw there.
 */
import type { NluExample, SlotSpan } from '../data/types.js';
import { createRng } from '../util/random.js';

/**
 * Up to `perIntent` new examples for every intent that has examples with slots, deterministic
 * for a seed. Values are drawn from all examples of the same slot; duplicates of existing
 * sentences are skipped.
 */
export function augmentBySlotSwap(examples: readonly NluExample[], perIntent: number, seed: number): NluExample[] {
  if (perIntent <= 0) return [];
  const rng = createRng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)];
  const values = new Map<string, string[]>();
  for (const e of examples) {
    for (const s of e.slots) {
      const text = e.text.slice(s.start, s.end);
      const pool = values.get(s.slot) ?? [];
      if (!pool.includes(text)) pool.push(text);
      values.set(s.slot, pool);
    }
  }
  const seen = new Set(examples.map((e) => e.text.toLowerCase()));
  const byIntent = new Map<string, NluExample[]>();
  for (const e of examples) if (e.slots.length > 0) byIntent.set(e.intent, [...(byIntent.get(e.intent) ?? []), e]);
  const out: NluExample[] = [];
  for (const [, templates] of [...byIntent].sort(([a], [b]) => a.localeCompare(b))) {
    let made = 0;
    for (let attempt = 0; attempt < perIntent * 4 && made < perIntent; attempt++) {
      const template = pick(templates);
      const example = substitute(template, (span) => pick(values.get(span.slot) ?? [template.text.slice(span.start, span.end)]));
      const key = example.text.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(example);
      made++;
    }
  }
  return out;
}

/** The example with each span's text replaced (spans re-positioned; enum values dropped). */
function substitute(example: NluExample, valueFor: (span: SlotSpan) => string): NluExample {
  const spans = [...example.slots].sort((a, b) => a.start - b.start);
  let text = '';
  let cursor = 0;
  const slots: SlotSpan[] = [];
  for (const span of spans) {
    text += example.text.slice(cursor, span.start);
    const value = valueFor(span);
    slots.push({ slot: span.slot, start: text.length, end: text.length + value.length });
    text += value;
    cursor = span.end;
  }
  text += example.text.slice(cursor);
  return { text, intent: example.intent, slots };
}
