/**
 * The model tags words; a value it tags in pieces ("next" "monday at" "10am", "eggs" "milk")
 * comes back as several spans of one slot. This joins them back into the text the user said.
 */
import type { SkillContext, SkillSlot } from '../skills/types.js';
import type { TurnSlot } from './events.js';

const FILLER_ONLY = /^\W*(?:(?:the|a|an|to|on|at|in|for|and|my|of|it|is|me|by|from|with|please)\W*)*$/i;

/** Most words a gap between two pieces of one value may hold ("at", "of the"). */
const MAX_GAP_WORDS = 2;

/**
 * Slot name → the pieces of its value, in order: neighbouring pieces are merged with the words
 * between them; pieces far apart (or with another slot between) stay separate.
 */
export function slotTexts(utterance: string, spans: readonly Pick<TurnSlot, 'slot' | 'start' | 'end'>[]): Map<string, string[]> {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const segments = new Map<string, { start: number; end: number }[]>();
  for (const [i, span] of sorted.entries()) {
    const list = segments.get(span.slot) ?? [];
    const previous = list[list.length - 1];
    const between = previous ? sorted.slice(0, i).filter((s) => s.start >= previous.end && s.slot !== span.slot) : [];
    const gap = previous ? utterance.slice(previous.end, span.start) : '';
    const gapWords = gap.split(/\s+/).filter((w) => /\w/.test(w)).length;
    if (previous && between.length === 0 && gapWords <= MAX_GAP_WORDS) previous.end = span.end;
    else list.push({ start: span.start, end: span.end });
    segments.set(span.slot, list);
  }
  const texts = new Map<string, string[]>();
  for (const [slot, list] of segments) texts.set(slot, list.map((s) => utterance.slice(s.start, s.end).trim()));
  return texts;
}

/** A skill slot's value read from the model's spans, or why it could not be read. */
export type SlotReading = { slot: string; ok: true; value: unknown; text: string } | { slot: string; ok: false; reason: string; example?: string };

/**
 * Reads the values of a skill's slots from the model's spans, as the dialogue manager does: the
 * pieces of a value are joined, parsed by the slot, and a typed value the span does not hold
 * ("km to miles" tagged as the target unit) is looked for in the whole utterance.
 */
export function readSlotsFromSpans(slots: readonly SkillSlot[], utterance: string, spans: readonly TurnSlot[], ctx: SkillContext): SlotReading[] {
  const pieces = slotTexts(utterance, spans);
  const readings: SlotReading[] = [];
  for (const spec of slots) {
    // A span of only filler words ("the", "at") is a tagging slip, not a value the user gave.
    const texts = pieces.get(spec.name)?.filter((t) => !FILLER_ONLY.test(t));
    if (!texts || texts.length === 0) continue;
    const text = texts.join(spec.find ? ' ' : ' and ');
    const parsed = spec.parse(text, ctx);
    if (parsed.ok) {
      readings.push({ slot: spec.name, ok: true, value: parsed.value, text });
      continue;
    }
    const found = spec.find?.(utterance, ctx);
    readings.push(found ? { slot: spec.name, ok: true, value: found.value, text: found.text } : { slot: spec.name, ok: false, reason: parsed.reason, example: parsed.example ?? spec.example });
  }
  return readings;
}

/**
 * The arguments a request proposes for a skill: its spans read as above, plus typed values the
 * model did not mark at all but the utterance holds (a date, a duration, a conversion).
 */
export function readRequestSlots(slots: readonly SkillSlot[], utterance: string, spans: readonly TurnSlot[], ctx: SkillContext): SlotReading[] {
  const readings = readSlotsFromSpans(slots, utterance, spans, ctx);
  for (const spec of slots) {
    if (!spec.find || readings.some((r) => r.slot === spec.name)) continue;
    const found = spec.find(utterance, ctx);
    if (found) readings.push({ slot: spec.name, ok: true, value: found.value, text: found.text });
  }
  return readings;
}
