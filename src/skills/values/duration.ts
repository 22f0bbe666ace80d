/**
 * Durations as people say them: "10 minutes", "10 min", "an hour and a half", "1h30",
 * "90 seconds", "half an hour", "2 and a half hours", "five minutes", "a minute".
 */
import type { Parsed } from '../types.js';
import { clip, isNumberWord, numberWordsToDigits } from './number.js';

export interface DurationValue {
  ms: number;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Longer than this is not a duration anyone sets a timer or a reminder offset for. */
const MAX_MS = 366 * DAY;
/** Longest text read as a duration. */
const MAX_TEXT = 120;
/** How much of an utterance `findDuration` scans. */
const MAX_SCAN = 1_000;

const UNIT_PATTERN = 'weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s';
const UNIT_MS: [RegExp, number][] = [
  [/^(?:weeks?|wks?|w)$/, WEEK],
  [/^(?:days?|d)$/, DAY],
  [/^(?:hours?|hrs?|h)$/, HOUR],
  [/^(?:minutes?|mins?|m)$/, MINUTE],
  [/^(?:seconds?|secs?|s)$/, SECOND],
];
const NEXT_SMALLER: Record<number, number> = { [WEEK]: DAY, [DAY]: HOUR, [HOUR]: MINUTE, [MINUTE]: SECOND };
const WORD_UNIT = '(weeks?|days?|hours?|minutes?|mins?|seconds?|secs?)';

const EXAMPLE = '10 minutes';

function unitMs(unit: string): number {
  for (const [re, ms] of UNIT_MS) if (re.test(unit)) return ms;
  return 0;
}

const NUM = '(\\d+(?:\\.\\d+)?)';
/** Fractions and articles, rewritten in this order into "<number> <unit>" pieces. */
const REWRITES: [RegExp, string | ((...m: string[]) => string)][] = [
  [new RegExp(`\\b(?:an?|1)\\s+${WORD_UNIT}\\s+and\\s+a\\s+half\\b`, 'g'), '1.5 $1'],
  [new RegExp(`\\b${NUM}\\s+and\\s+a\\s+half\\s+${WORD_UNIT}`, 'g'), (_m, n, u) => `${Number(n) + 0.5} ${u}`],
  [new RegExp(`\\b${NUM}\\s+${WORD_UNIT}\\s+and\\s+a\\s+half\\b`, 'g'), (_m, n, u) => `${Number(n) + 0.5} ${u}`],
  [new RegExp(`\\b(?:a\\s+)?half\\s+(?:of\\s+)?an?\\s+${WORD_UNIT}`, 'g'), '0.5 $1'],
  [new RegExp(`\\b${NUM}\\s+quarters?\\s+of\\s+an?\\s+${WORD_UNIT}`, 'g'), (_m, n, u) => `${Number(n) * 0.25} ${u}`],
  [new RegExp(`\\b(?:an?\\s+)?quarter\\s+(?:of\\s+an?\\s+)?${WORD_UNIT}`, 'g'), '0.25 $1'],
  [new RegExp(`\\ba\\s+couple\\s+(?:of\\s+)?${WORD_UNIT}`, 'g'), '2 $1'],
  [new RegExp(`\\ban?\\s+${WORD_UNIT}`, 'g'), '1 $1'],
];
const PIECE = new RegExp(`^(\\d+(?:\\.\\d+)?)(?![\\d.])\\s*(?:(${UNIT_PATTERN})(?![a-z]))?`);
const SEPARATOR = /^(?:\s|,|\band\b|&|\+)+/;

/** Rewrites fractions and articles into "<number> <unit>" pieces ("an hour and a half" → "1.5 hour"). */
function normalize(text: string): string {
  let t = text.toLowerCase().trim().replace(/[.!?]+$/, '').trim();
  t = t.replace(/^(?:for|about|around|roughly|approximately|just|only)\s+/, '');
  t = numberWordsToDigits(t);
  t = t.replace(/(\d)\s*-\s*(?=[a-z])/g, '$1 ');
  for (const [re, replacement] of REWRITES) t = typeof replacement === 'string' ? t.replace(re, replacement) : t.replace(re, replacement);
  return t;
}

/** Reads a duration ("10 minutes", "an hour and a half", "1h30"); the whole text must be one. */
export function parseDuration(text: string): Parsed<DurationValue> {
  const fail = (reason = `I couldn't read "${clip(text)}" as a duration.`): Parsed<DurationValue> => ({ ok: false, reason, example: EXAMPLE });
  if (text.length > MAX_TEXT || !text.trim()) return fail();
  // "minus 5 minutes" reads as a negative length, for the skill to refuse (never as 5 minutes).
  const sign = /^\s*(?:minus|negative|-)\s*/i.exec(text);
  if (sign) {
    const rest = parseDuration(text.slice(sign[0].length));
    return rest.ok ? { ok: true, value: { ms: -rest.value.ms } } : rest;
  }
  const t = normalize(text);
  let pos = 0;
  let total = 0;
  let lastUnit = 0;
  const used = new Set<number>();
  let pieces = 0;
  while (pos < t.length) {
    const sep = SEPARATOR.exec(t.slice(pos));
    if (sep) {
      pos += sep[0].length;
      continue;
    }
    const m = PIECE.exec(t.slice(pos));
    if (!m) return fail();
    const value = Number(m[1]);
    let unit = m[2] ? unitMs(m[2]) : 0;
    // A bare number after a unit is the next smaller unit ("1h30" is 1 hour 30 minutes).
    if (!unit) {
      if (!lastUnit || !NEXT_SMALLER[lastUnit] || pos + m[0].length < t.trimEnd().length) return fail();
      unit = NEXT_SMALLER[lastUnit];
    }
    if (used.has(unit)) return fail();
    used.add(unit);
    total += value * unit;
    lastUnit = unit;
    pieces++;
    pos += m[0].length;
  }
  if (pieces === 0) return fail();
  if (total <= 0) return fail('A duration has to be longer than zero.');
  if (total > MAX_MS) return fail(`That's longer than a year: ${formatDuration(total)}.`);
  return { ok: true, value: { ms: Math.round(total) } };
}

/** Words that can start a duration ("ten", "an", "half", "90s"). */
function canStart(word: string): boolean {
  const w = word.toLowerCase();
  return /^\d/.test(w) || isNumberWord(w, false) || /^(?:a|an|half|quarter|couple)$/.test(w);
}

/** The first duration anywhere in an utterance, with its character offsets. */
export function findDuration(utterance: string): { value: DurationValue; text: string; start: number; end: number } | null {
  const scan = utterance.slice(0, MAX_SCAN);
  const tokens = [...scan.matchAll(/[\p{L}\p{N}][\p{L}\p{N}.'-]*/gu)].map((m) => ({ start: m.index, end: m.index + m[0].length, word: m[0] }));
  for (let i = 0; i < tokens.length; i++) {
    if (!canStart(tokens[i].word)) continue;
    for (let j = Math.min(tokens.length - 1, i + 9); j >= i; j--) {
      // A sign before the amount belongs to it ("minus 5 minutes", "-5 minutes").
      const signed = i > 0 && /^(?:minus|negative)$/i.test(tokens[i - 1].word) ? tokens[i - 1].start : scan[tokens[i].start - 1] === '-' ? tokens[i].start - 1 : null;
      const start = signed ?? tokens[i].start;
      let end = tokens[j].end;
      while (end > start && /[.]/.test(scan[end - 1])) end--;
      const text = scan.slice(start, end);
      const parsed = parseDuration(text);
      if (parsed.ok) return { value: parsed.value, text, start, end };
    }
  }
  return null;
}

/** "10 minutes", "1 hour 30 minutes", "45 seconds", "2 days 3 hours". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 seconds';
  let rest = Math.round(ms / SECOND);
  const parts: string[] = [];
  for (const [size, name] of [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(' ') : '0 seconds';
}
