/**
 * Numbers as people type or say them: digits ("1,250.5"), number words up to the millions
 * ("one hundred and five", "a dozen", "three point five"), ordinals ("second", "3rd") and list
 * positions ("#3", "number 3"). No npm word-to-number package is installed, so this small,
 * bounded parser is written here; the other value parsers (durations, maths, units) reuse it.
 */
import type { Parsed } from '../types.js';

/** Longest text read as a number: anything longer is not a number a person says. */
const MAX_NUMBER_TEXT = 120;

const UNITS: Record<string, number> = {
  zero: 0, oh: 0, nought: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};
const SCALES: Record<string, number> = { thousand: 1_000, million: 1_000_000, billion: 1_000_000_000 };
const ORDINALS: Record<string, string> = {
  first: 'one', second: 'two', third: 'three', fourth: 'four', fifth: 'five', sixth: 'six', seventh: 'seven',
  eighth: 'eight', ninth: 'nine', tenth: 'ten', eleventh: 'eleven', twelfth: 'twelve', thirteenth: 'thirteen',
  fourteenth: 'fourteen', fifteenth: 'fifteen', sixteenth: 'sixteen', seventeenth: 'seventeen',
  eighteenth: 'eighteen', nineteenth: 'nineteen', twentieth: 'twenty', thirtieth: 'thirty', fortieth: 'forty',
  fiftieth: 'fifty', sixtieth: 'sixty', seventieth: 'seventy', eightieth: 'eighty', ninetieth: 'ninety',
  hundredth: 'hundred', thousandth: 'thousand', millionth: 'million',
};

const DIGITS = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$/;
const ORDINAL_DIGITS = /^(\d{1,9})(?:st|nd|rd|th)$/;

/** Whether a (lower-case) word can be part of a spelled-out number. */
export function isNumberWord(word: string, ordinals = true): boolean {
  return (
    word in UNITS || word in TENS || word in SCALES || word === 'hundred' || word === 'dozen' ||
    (ordinals && word in ORDINALS)
  );
}

/** Reads a digit string ("1,250.5", "-3", ".5"), or null. */
export function parseDigits(text: string): number | null {
  const t = text.trim();
  if (!DIGITS.test(t)) return null;
  const n = Number(t.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

/**
 * Reads spelled-out number words ("one hundred and five", "twenty-first", "a dozen",
 * "three point one four"); null when the words are not one well-formed number.
 */
export function parseNumberWords(text: string): number | null {
  let words = text.toLowerCase().replace(/-/g, ' ').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > 20) return null;
  let sign = 1;
  if (words[0] === 'minus' || words[0] === 'negative') {
    sign = -1;
    words = words.slice(1);
  }
  // "a dozen", "a hundred", "a thousand": "a" stands for one.
  if ((words[0] === 'a' || words[0] === 'an') && words.length > 1 && (words[1] === 'dozen' || words[1] === 'hundred' || words[1] in SCALES)) {
    words = ['one', ...words.slice(1)];
  }
  const point = words.indexOf('point');
  let fraction = '';
  if (point >= 0) {
    const decimals = words.slice(point + 1);
    if (decimals.length === 0) return null;
    for (const w of decimals) {
      const d = UNITS[w];
      if (d === undefined || d > 9) return null;
      fraction += String(d);
    }
    words = words.slice(0, point);
    if (words.length === 0) words = ['zero'];
  }
  const whole = readCardinal(words, point < 0);
  if (whole === null) return null;
  if (fraction && !Number.isInteger(whole)) return null;
  return sign * (fraction ? Number(`${whole}.${fraction}`) : whole);
}

/** The cardinal words of one number (the last may be an ordinal when `ordinalLast`). */
function readCardinal(input: string[], ordinalLast: boolean): number | null {
  const words = [...input];
  const last = words.length - 1;
  if (words[last] in ORDINALS) {
    if (!ordinalLast) return null;
    words[last] = ORDINALS[words[last]];
  }
  let total = 0;
  let group = 0; // the part below a thousand being built
  // What may come next: a small word (1-19), a tens word, "hundred", "and".
  let lastKind: 'start' | 'unit' | 'teen' | 'tens' | 'hundred' | 'scale' | 'and' | 'dozen' = 'start';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'and') {
      if (lastKind !== 'hundred' && lastKind !== 'scale') return null;
      lastKind = 'and';
      continue;
    }
    if (w in UNITS) {
      const v = UNITS[w];
      if (lastKind === 'unit' || lastKind === 'teen' || lastKind === 'dozen') return null;
      if (lastKind === 'tens' && v >= 10) return null;
      if (lastKind === 'tens' && v === 0) return null;
      group += v;
      lastKind = v >= 10 ? 'teen' : 'unit';
    } else if (w in TENS) {
      if (lastKind === 'unit' || lastKind === 'teen' || lastKind === 'tens' || lastKind === 'dozen') return null;
      group += TENS[w];
      lastKind = 'tens';
    } else if (w === 'hundred') {
      if (lastKind !== 'unit' && lastKind !== 'teen' && lastKind !== 'tens') return null;
      if (group % 100 === 0 && group !== 0) return null;
      group = group * 100;
      lastKind = 'hundred';
    } else if (w === 'dozen') {
      if (lastKind === 'start') group = 12;
      else if (lastKind === 'unit' || lastKind === 'teen' || lastKind === 'tens') group *= 12;
      else return null;
      lastKind = 'dozen';
    } else if (w in SCALES) {
      if (lastKind === 'start' || lastKind === 'and' || lastKind === 'scale' || group === 0) return null;
      const scale = SCALES[w];
      // "two thousand three million" is not a number: scales must decrease.
      if (total !== 0 && total % (scale * 1000) !== 0) return null;
      total += group * scale;
      group = 0;
      lastKind = 'scale';
    } else {
      return null;
    }
  }
  if (lastKind === 'start' || lastKind === 'and') return null;
  return total + group;
}

/** Reads a number: digits, number words, ordinals ("second", "3rd"), or a position ("#3", "number 3"). */
export function parseNumber(text: string): Parsed<number> {
  const fail: Parsed<number> = { ok: false, reason: `I couldn't read "${clip(text)}" as a number.`, example: '3' };
  if (text.length > MAX_NUMBER_TEXT) return fail;
  let t = text.trim().toLowerCase().replace(/[.!?]+$/, '').trim();
  t = t.replace(/^the\s+/, '').replace(/^(?:no\.|number\b|num\b|#)\s*/, '').trim();
  // "the second one", "the 3rd item": an ordinal naming a position.
  const positional = /^(.+?)\s+(?:one|item|entry)$/.exec(t);
  if (positional && positional[1].split(/\s+/).pop()! in ORDINALS) t = positional[1];
  if (positional && ORDINAL_DIGITS.test(positional[1])) t = positional[1];
  if (!t) return fail;
  const digits = parseDigits(t);
  if (digits !== null) return { ok: true, value: digits };
  const ordinal = ORDINAL_DIGITS.exec(t);
  if (ordinal) return { ok: true, value: Number(ordinal[1]) };
  const words = parseNumberWords(t);
  if (words !== null) return { ok: true, value: words };
  return fail;
}

/**
 * Replaces each spelled-out cardinal number in a text by its digits ("twelve times seven" →
 * "12 times 7", "one hundred and five" → "105"). Ordinals are left alone ("a second" stays),
 * so that durations and units can use it.
 */
export function numberWordsToDigits(text: string): string {
  // Tokens: words (letters, hyphen-joined) and everything else, kept to rebuild the text.
  const parts = text.split(/([A-Za-z]+(?:-[A-Za-z]+)*)/);
  const out: string[] = [];
  let i = 0;
  while (i < parts.length) {
    const word = parts[i].toLowerCase();
    const startsRun =
      i % 2 === 1 &&
      (isCardinalToken(word) ||
        ((word === 'a' || word === 'minus' || word === 'negative') && nextWord(parts, i) !== null && startsWithCardinal(nextWord(parts, i)!)));
    if (!startsRun) {
      out.push(parts[i]);
      i++;
      continue;
    }
    // Grow the longest run of words (joined by spaces only) that reads as one number.
    let best = -1;
    let bestValue = 0;
    let j = i;
    const words: string[] = [];
    while (j < parts.length && words.length < 20) {
      words.push(parts[j].toLowerCase());
      const value = parseNumberWords(words.join(' '));
      if (value !== null && !(words.length === 1 && (words[0] === 'a' || words[0] === 'an'))) {
        best = j;
        bestValue = value;
      }
      const sep = parts[j + 1];
      const next = parts[j + 2];
      if (sep === undefined || next === undefined || !/^\s+$/.test(sep)) break;
      const n = next.toLowerCase();
      if (!(isCardinalToken(n) || n === 'and' || n === 'point')) break;
      j += 2;
    }
    if (best < 0 || /^(?:minus|negative|a)$/.test(parts.slice(i, best + 1).join('').toLowerCase())) {
      out.push(parts[i]);
      i++;
      continue;
    }
    out.push(String(bestValue));
    i = best + 1;
  }
  return out.join('');
}

function isCardinalToken(word: string): boolean {
  return word.split('-').every((w) => isNumberWord(w, false));
}

function startsWithCardinal(word: string): boolean {
  return isCardinalToken(word.toLowerCase());
}

function nextWord(parts: string[], i: number): string | null {
  const sep = parts[i + 1];
  const next = parts[i + 2];
  return sep !== undefined && next !== undefined && /^\s+$/.test(sep) ? next : null;
}

/** The start of a text for messages: user text is quoted back, never in full when long. */
export function clip(text: string, max = 40): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
