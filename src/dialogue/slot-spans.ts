/**
 * The model tags words; a value it tags in pieces ("next" "monday at" "10am", "eggs" "milk")
 * comes back as several spans of one slot. This joins them back into the text the user said.
 */
import type { SkillContext, SkillSlot } from '../skills/types.js';
import type { TurnSlot } from './events.js';

const FILLER_ONLY = /^\W*(?:(?:the|a|an|to|on|at|in|for|and|my|of|it|is|me|by|from|with|please)\W*)*$/i;

/** Most words a gap between two pieces of one value may hold ("at", "of the"). */
const MAX_GAP_WORDS = 2;

interface Segment {
  start: number;
  end: number;
}

/** Merged pieces per slot, with their offsets into the utterance. */
function slotSegments(utterance: string, spans: readonly Pick<TurnSlot, 'slot' | 'start' | 'end'>[]): Map<string, Segment[]> {
  // A span of only filler words ("the", "at") is a tagging slip, not a value the user gave.
  const sorted = [...spans].filter((s) => !FILLER_ONLY.test(utterance.slice(s.start, s.end))).sort((a, b) => a.start - b.start);
  const segments = new Map<string, Segment[]>();
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
  return segments;
}

/**
 * Slot name → the pieces of its value, in order: neighbouring pieces are merged with the words
 * between them; pieces far apart (or with another slot between) stay separate.
 */
export function slotTexts(utterance: string, spans: readonly Pick<TurnSlot, 'slot' | 'start' | 'end'>[]): Map<string, string[]> {
  const texts = new Map<string, string[]>();
  for (const [slot, list] of slotSegments(utterance, spans)) texts.set(slot, list.map((s) => utterance.slice(s.start, s.end).trim()));
  return texts;
}

/** A skill slot's value read from the model's spans, or why it could not be read. */
export type SlotReading = { slot: string; ok: true; value: unknown; text: string } | { slot: string; ok: false; reason: string; example?: string };

const isTyped = (spec: SkillSlot) => Boolean(spec.find);

/**
 * Reads the values of a skill's slots from the model's spans, as the dialogue manager does: the
 * pieces of a value are joined, parsed by the slot, and a typed value the span does not hold
 * ("km to miles" tagged as the target unit) is looked for in the whole utterance. A piece tagged
 * as a typed value that reads as nothing, right next to a free-text value ("transfer the" +
 * "deposit"), is the end of that text.
 */
export function readSlotsFromSpans(slots: readonly SkillSlot[], utterance: string, spans: readonly TurnSlot[], ctx: SkillContext): SlotReading[] {
  const segments = slotSegments(utterance, spans);
  const text = (segs: Segment[], spec: SkillSlot) => segs.map((s) => utterance.slice(s.start, s.end).trim()).join(isTyped(spec) ? ' ' : ' and ');
  for (const spec of slots.filter(isTyped)) {
    const segs = segments.get(spec.name);
    if (!segs || spec.parse(text(segs, spec), ctx).ok || spec.find?.(utterance, ctx)) continue;
    // Only a lone word without digits ("deposit"): a longer piece is the user's own bad value
    // ("the thirty-fifth of smarch"), which is reported, not swallowed.
    if (!/^[\p{L}'-]+$/u.test(text(segs, spec))) continue;
    for (const textSpec of slots.filter((s) => !isTyped(s))) {
      const textSegs = segments.get(textSpec.name) ?? [];
      const touching = textSegs.find((t) => segs.some((g) => /^\s*$/.test(utterance.slice(t.end, g.start)) || /^\s*$/.test(utterance.slice(g.end, t.start))));
      if (!touching) continue;
      for (const g of segs) {
        touching.start = Math.min(touching.start, g.start);
        touching.end = Math.max(touching.end, g.end);
      }
      segments.delete(spec.name);
      break;
    }
  }
  const readings: SlotReading[] = [];
  // Typed values first: a free-text piece inside a typed value's reading ("7am" of "tomorrow at
  // 7am" tagged as part of the task) is dropped from the text.
  const ordered = [...slots.filter(isTyped), ...slots.filter((s) => !isTyped(s))];
  for (const spec of ordered) {
    let segs = segments.get(spec.name);
    if (segs && !isTyped(spec) && segs.length > 1) {
      const typedTexts = readings.flatMap((r) => (r.ok ? [r.text.toLowerCase()] : []));
      const kept = segs.filter((g) => !typedTexts.some((t) => t.includes(utterance.slice(g.start, g.end).trim().toLowerCase())));
      segs = kept.length > 0 ? kept : segs;
    }
    if (!segs || segs.length === 0) continue;
    const said = text(segs, spec);
    const parsed = spec.parse(said, ctx);
    const found = spec.find?.(utterance, ctx);
    if (found && spec.preferFind) {
      readings.push({ slot: spec.name, ok: true, value: found.value, text: found.text });
    } else if (parsed.ok) {
      // The model may tag only part of a value ("next wednesday" of "next wednesday at 2pm",
      // "+ 789" of "345 + 789"): a reading of the utterance that contains the span is preferred.
      const wider =
        found &&
        found.text.length > said.length &&
        found.text.toLowerCase().includes(said.toLowerCase()) &&
        (spec.widens?.(parsed.value, found.value) ?? true);
      readings.push(wider ? { slot: spec.name, ok: true, value: found.value, text: found.text } : { slot: spec.name, ok: true, value: parsed.value, text: said });
    } else if (found) {
      readings.push({ slot: spec.name, ok: true, value: found.value, text: found.text });
    } else {
      // The model may stop a typed value one word short ("5" of "5 furlongs"): with the next
      // untagged word it may read, or fail for the reason that matters (an unknown unit).
      const next = isTyped(spec) ? nextUntaggedWord(utterance, segs[segs.length - 1].end, spans) : null;
      const longer = next ? spec.parse(`${said} ${next}`, ctx) : null;
      if (longer?.ok) readings.push({ slot: spec.name, ok: true, value: longer.value, text: `${said} ${next}` });
      else {
        const failure = longer ?? parsed;
        readings.push({ slot: spec.name, ok: false, reason: failure.reason, example: failure.example ?? spec.example });
      }
    }
  }
  return readings;
}

/** The word right after `end` when no span covers it ("furlongs" after "5"). */
function nextUntaggedWord(utterance: string, end: number, spans: readonly TurnSlot[]): string | null {
  const match = /^\s+([\p{L}\p{N}'-]+)/u.exec(utterance.slice(end));
  if (!match) return null;
  const start = end + match[0].length - match[1].length;
  return spans.some((s) => s.start < start + match[1].length && s.end > start) ? null : match[1];
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
