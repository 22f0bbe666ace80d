/**
 * The model tags words; a value it tags in pieces ("next" "monday at" "10am", "eggs" "milk")
 * comes back as several spans of one slot. This joins them back into the text the user said.
 */
import type { SkillContext, SkillSlot } from '../skills/types.js';
import type { TurnSlot } from './events.js';

const FILLER_ONLY = /^\W*(?:(?:the|a|an|to|on|at|in|for|and|my|of|it|is|me|by|from|with|please)\W*)*$/i;

/** Most words a gap between two pieces of one value may hold ("at", "of the"). */
const MAX_GAP_WORDS = 2;
/** A gap of comma-separated items inside one enumeration the model tagged in patches (", item15, item16, "). */
const ENUMERATION_GAP = /^\s*,(?:\s*[^,.;!?\s]+(?:\s+[^,.;!?\s]+){0,3}\s*,)*\s*$/;

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
    if (previous && between.length === 0 && (gapWords <= MAX_GAP_WORDS || ENUMERATION_GAP.test(gap))) previous.end = span.end;
    else list.push({ start: span.start, end: span.end });
    segments.set(span.slot, list);
  }
  return segments;
}

/** Words that lead into the next value ("at [5pm]", "on my [shopping] list"), not part of a text before it. */
const LEAD_IN = new Set(['to', 'on', 'onto', 'in', 'into', 'at', 'for', 'from', 'by', 'off', 'of', 'my', 'the', 'our', 'your', 'this', 'next', 'and', 'about', 'with']);
/** Closing words that are not part of a text at the end of a sentence ("..., please", "thanks"). */
const CLOSING = new Set(['please', 'pls', 'plz', 'thanks', 'thank', 'you', 'thx', 'ty', 'ta', 'cheers', 'for', 'me', 'ok', 'okay', 'now']);
/** A text that ends in a conjunction was cut in the middle of a list ("tent, sleeping bag and"). */
const DANGLING = /(?:,|\band|\bor)\s*$/i;

/**
 * Lengthens free-text values the model stopped short: a text slot that `runsOn` takes the
 * untagged words up to the next value or the end of the sentence; any text ending in "and" or a
 * comma takes the words up to the next lead-in word or value.
 */
function extendCutTexts(slots: readonly SkillSlot[], utterance: string, segments: Map<string, Segment[]>): void {
  reboundNames(slots, utterance, segments);
  // Spans of slots this skill does not have are words like any other here.
  const all = slots.flatMap((s) => segments.get(s.name) ?? []);
  for (const spec of slots.filter((s) => !s.find)) {
    const segs = segments.get(spec.name);
    const last = segs?.[segs.length - 1];
    if (!last) continue;
    const dangling = !spec.runsOn && DANGLING.test(utterance.slice(last.start, last.end));
    // A list cut after "and" goes on through whatever the model tagged next ("and [torch] on my
    // [shopping]" read as one list name), up to the words that lead into another value.
    const nextStart = dangling ? utterance.length : Math.min(utterance.length, ...all.filter((g) => g.start >= last.end).map((g) => g.start));
    // Never across the end of a sentence.
    const stop = /[.!?;]/.exec(utterance.slice(last.end, nextStart));
    const until = stop ? last.end + stop.index : nextStart;
    const words = [...utterance.slice(last.end, until).matchAll(/[^\s,]+/g)].map((m) => ({ word: m[0].toLowerCase(), end: last.end + m.index + m[0].length }));
    let keep = 0;
    if (spec.runsOn) {
      keep = words.length;
      const dropping = until < utterance.length && !stop ? LEAD_IN : CLOSING;
      while (keep > 0 && dropping.has(words[keep - 1].word.replace(/[^a-z']/g, ''))) keep--;
    } else if (dangling) {
      while (keep < words.length && !LEAD_IN.has(words[keep].word)) keep++;
    }
    if (keep === 0) continue;
    last.end = words[keep - 1].end;
    if (!dangling) continue;
    // What the list took is no longer the start of another value; that value starts after the lead-in words.
    let resume = keep;
    while (resume < words.length && LEAD_IN.has(words[resume].word)) resume++;
    const resumeAt = resume < words.length ? words[resume].end - words[resume].word.length : until;
    for (const [slot, others] of segments) {
      if (slot === spec.name) continue;
      const left = others.flatMap((g) => (g.end <= last.end ? (g.start >= last.start ? [] : [g]) : g.start < last.end ? [{ start: Math.max(resumeAt, g.start), end: g.end }] : [g]));
      segments.set(slot, left.filter((g) => g.end > g.start));
    }
  }
}

/** Applies the slots' `startsAfter` and `endsBefore` (see SkillSlot) to their pieces. */
function reboundNames(slots: readonly SkillSlot[], utterance: string, segments: Map<string, Segment[]>): void {
  const texts = slots.filter((s) => !s.find);
  for (const spec of slots) {
    const own = segments.get(spec.name) ?? [];
    if (spec.startsAfter && own.length > 1) {
      // One name tagged in pieces around other words ("[travel] adapter on the [packing] list"):
      // one piece from the first to the last, cut by `startsAfter` below, unless another value is between.
      const first = own[0];
      const last = own[own.length - 1];
      const others = slots.filter((s) => s !== spec).flatMap((s) => segments.get(s.name) ?? []);
      if (!others.some((o) => o.start >= first.end && o.end <= last.start)) segments.set(spec.name, [{ start: first.start, end: last.end }]);
    }
    for (const g of segments.get(spec.name) ?? []) {
      if (spec.startsAfter) {
        const inner = utterance.slice(g.start, g.end);
        const matches = [...inner.matchAll(new RegExp(spec.startsAfter.source, 'gi'))];
        const lastMatch = matches[matches.length - 1];
        if (lastMatch && lastMatch.index + lastMatch[0].length < inner.length) {
          const before = inner.slice(0, lastMatch.index).trimEnd();
          const owner = texts
            .filter((t) => t !== spec)
            .flatMap((t) => segments.get(t.name) ?? [])
            .find((t) => t.end <= g.start && /^\s*$/.test(utterance.slice(t.end, g.start)));
          if (owner && before) owner.end = g.start + before.length;
          else if (before && !FILLER_ONLY.test(before)) {
            // No text was tagged before it: the words are that text, when only one text slot is still empty.
            const empty = texts.filter((t) => t !== spec && !(segments.get(t.name) ?? []).length);
            const lead = /^(?:(?:a|an|the|some)\s+)?/i.exec(before)![0].length;
            if (empty.length === 1) segments.set(empty[0].name, [{ start: g.start + lead, end: g.start + before.length }]);
          }
          g.start += lastMatch.index + lastMatch[0].length;
        }
      }
      if (spec.endsBefore) {
        const next = [...slots.flatMap((s) => segments.get(s.name) ?? [])].filter((o) => o.start >= g.end).map((o) => o.start);
        const room = utterance.slice(g.end, Math.min(utterance.length, ...next));
        // Never over "and"/"or": "the shopping and the party list" names two lists.
        const m = new RegExp(`^((?:\\s+(?!(?:and|or)\\b)[\\p{L}\\p{N}'-]+){1,3}?)\\s+(?:${spec.endsBefore.source})`, 'iu').exec(room);
        if (m) g.end += m[1].length;
      }
    }
  }
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
  extendCutTexts(slots, utterance, segments);
  const text = (segs: Segment[], spec: SkillSlot) => segs.map((s) => utterance.slice(s.start, s.end).trim()).join(isTyped(spec) ? ' ' : ' and ');
  for (const spec of slots.filter(isTyped)) {
    const segs = segments.get(spec.name);
    if (!segs || spec.parse(text(segs, spec), ctx).ok) continue;
    for (const g of [...segs]) {
      const piece = utterance.slice(g.start, g.end).trim();
      if (spec.parse(piece, ctx).ok) continue;
      // A lone word without digits ("deposit") right next to a free text is the end of it, unless
      // the value is found elsewhere; a longer piece only when it does not even look like this
      // kind of value ("the laundry" as a time). "The thirty-fifth of smarch" is reported.
      const lone = /^[\p{L}'-]+$/u.test(piece) && !spec.find?.(utterance, ctx);
      const foreign = spec.looksLike ? !spec.looksLike(piece) : false;
      if (!lone && !foreign) continue;
      const between = (a: number, b: number) => utterance.slice(Math.min(a, b), Math.max(a, b));
      const joins = (gap: string) => (lone ? /^\s*$/.test(gap) : gap.split(/\s+/).every((w) => !w || LEAD_IN.has(w.toLowerCase())));
      const touching = slots
        .filter((s) => !isTyped(s))
        .flatMap((s) => segments.get(s.name) ?? [])
        .find((t) => (t.end <= g.start && joins(between(t.end, g.start))) || (g.end <= t.start && joins(between(g.end, t.start))));
      if (!touching) continue;
      touching.start = Math.min(touching.start, g.start);
      touching.end = Math.max(touching.end, g.end);
      segs.splice(segs.indexOf(g), 1);
    }
    if (segs.length === 0) segments.delete(spec.name);
  }
  const readings: SlotReading[] = [];
  // Typed values first: a free-text piece inside a typed value's reading ("7am" of "tomorrow at
  // 7am" tagged as part of the task) is dropped from the text, and a text that runs into one
  // ("take my pills yesterday" + "at 9am") ends where the typed value begins.
  const ordered = [...slots.filter(isTyped), ...slots.filter((s) => !isTyped(s))];
  for (const spec of ordered) {
    let segs = segments.get(spec.name);
    if (segs && !isTyped(spec)) {
      const typedTexts = readings.flatMap((r) => (r.ok ? [r.text.toLowerCase()] : []));
      if (segs.length > 1) {
        const kept = segs.filter((g) => !typedTexts.some((t) => t.includes(utterance.slice(g.start, g.end).trim().toLowerCase())));
        segs = kept.length > 0 ? kept : segs;
      }
      segs = segs.map((g) => trimOverlaps(utterance, g, typedTexts));
      segs = segs.map((g) => giveLeadInToTypedValue(utterance, g, readings, slots, ctx));
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
        (spec.widens?.(said, parsed.value, found.value) ?? true);
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

/** A text piece without the part a typed value's reading covers at its end or start. */
function trimOverlaps(utterance: string, g: Segment, typedTexts: string[]): Segment {
  const lower = utterance.toLowerCase();
  let { start, end } = g;
  for (const typed of typedTexts) {
    const at = lower.indexOf(typed);
    if (at < 0) continue;
    const typedEnd = at + typed.length;
    if (start < at && end > at && end <= typedEnd) {
      end = at;
      // ...and without the words that led into the typed value ("take my pills on" + "friday").
      const words = utterance.slice(start, end).trimEnd().split(/\s+/);
      while (words.length > 1 && LEAD_IN.has(words[words.length - 1].toLowerCase())) words.pop();
      end = start + words.join(' ').length;
    } else if (start >= at && start < typedEnd && end > typedEnd) {
      start = typedEnd + (/^\s*/.exec(utterance.slice(typedEnd))?.[0].length ?? 0);
    }
  }
  return end > start ? { start, end } : g;
}

/**
 * A text that ends in a word which, with the typed value right after it, reads as the same value
 * ("book the flights on" + "friday at 6pm") gives that word up; "put the washing on" + "in 45
 * minutes" keeps it, as "on in 45 minutes" is no time.
 */
function giveLeadInToTypedValue(utterance: string, g: Segment, readings: SlotReading[], slots: readonly SkillSlot[], ctx: SkillContext): Segment {
  const m = /\s+([\p{L}]+)\s*$/u.exec(utterance.slice(g.start, g.end));
  if (!m || !LEAD_IN.has(m[1].toLowerCase())) return g;
  const after = utterance.slice(g.end).trimStart().toLowerCase();
  for (const r of readings) {
    if (!r.ok || !after.startsWith(r.text.toLowerCase())) continue;
    const spec = slots.find((s) => s.name === r.slot);
    const again = spec?.parse(`${m[1]} ${r.text}`, ctx);
    if (again?.ok && JSON.stringify(again.value) === JSON.stringify(r.value)) return { start: g.start, end: g.end - m[0].length };
  }
  return g;
}

/** The word right after `end` when no span covers it ("furlongs" after "5"). */
function nextUntaggedWord(utterance: string, end: number, spans: readonly TurnSlot[]): string | null {
  const match = /^\s+([\p{L}\p{N}'-]+)/u.exec(utterance.slice(end));
  if (!match) return null;
  const start = end + match[0].length - match[1].length;
  // A word that leads into another value ("to" of "3 blorps to meters") is not part of this one.
  if (LEAD_IN.has(match[1].toLowerCase())) return null;
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
