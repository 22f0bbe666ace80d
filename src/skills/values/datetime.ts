/**
 * Dates and times as people say them ("tomorrow at 5pm", "in 20 minutes", "friday", "christmas"),
 * read in the user's time zone relative to the clock of the turn. chrono-node finds and reads the
 * expression (given the reference instant and the zone's offset at that instant); the instant is
 * then rebuilt with luxon from the wall-clock fields in the IANA zone, so a date across a DST
 * change gets the offset of that date, not of today. Everything is returned as ISO-8601 with the
 * offset of the user's zone.
 */
import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import type { Parsed } from '../types.js';
import { clip } from './number.js';

/** The clock and zone a value is read in (a `SkillContext` is one). */
export interface ValueContext {
  now: Date;
  timeZone: string;
}

export interface DateTimeValue {
  /** ISO-8601 with the offset of ctx.timeZone, e.g. 2026-11-26T17:00:00+00:00. */
  iso: string;
  /** False when only a day was said (the time is then 09:00). */
  hasTime: boolean;
}

/** The time given to a day said without one. */
const DEFAULT_HOUR = 9;
/** Longest text `parseDateTime` reads: a time expression is short. */
const MAX_TEXT = 200;
/** How much of an utterance `findDateTime` scans. */
const MAX_SCAN = 1_000;
const EXAMPLE = 'tomorrow at 5pm';
const ISO_FORMAT = "yyyy-MM-dd'T'HH:mm:ssZZ";
const LOCALE = 'en-GB';

/** Fixed-date holidays chrono does not know; the longest names first so "christmas eve" wins. */
const FIXED_HOLIDAYS: { name: string; pattern: string; month: number; day: number }[] = [
  { name: 'Christmas Eve', pattern: "(?:christmas|xmas)\\s+eve", month: 12, day: 24 },
  { name: 'Christmas', pattern: "(?:christmas|xmas)(?:\\s+day)?", month: 12, day: 25 },
  { name: 'Boxing Day', pattern: 'boxing\\s+day', month: 12, day: 26 },
  { name: "New Year's Eve", pattern: "new\\s+year'?s?\\s+eve", month: 12, day: 31 },
  { name: "New Year's Day", pattern: "new\\s+year'?s?(?:\\s+day)?", month: 1, day: 1 },
  { name: 'Halloween', pattern: 'hallowe.?en', month: 10, day: 31 },
  { name: "Valentine's Day", pattern: "(?:st\\.?\\s+|saint\\s+)?valentine'?s?(?:\\s+day)?", month: 2, day: 14 },
  { name: 'Independence Day', pattern: "independence\\s+day|(?:the\\s+)?fourth\\s+of\\s+july", month: 7, day: 4 },
  { name: "St Patrick's Day", pattern: "(?:st\\.?|saint)\\s+patrick'?s?(?:\\s+day)?|paddy'?s\\s+day", month: 3, day: 17 },
  { name: "April Fools' Day", pattern: "april\\s+fool'?s'?(?:\\s+day)?", month: 4, day: 1 },
  { name: 'Bonfire Night', pattern: "bonfire\\s+night|guy\\s+fawkes(?:'?s?)?(?:\\s+night|\\s+day)?", month: 11, day: 5 },
  { name: 'Canada Day', pattern: 'canada\\s+day', month: 7, day: 1 },
  { name: 'Bastille Day', pattern: 'bastille\\s+day', month: 7, day: 14 },
  { name: 'Cinco de Mayo', pattern: 'cinco\\s+de\\s+mayo', month: 5, day: 5 },
];
const THANKSGIVING = { name: 'Thanksgiving', pattern: 'thanksgiving(?:\\s+day)?' };
const HOLIDAY_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(${[...FIXED_HOLIDAYS.map((h) => h.pattern), THANKSGIVING.pattern].map((p) => `(${p})`).join('|')})(?:\\s+(\\d{4}))?(?![\\p{L}\\p{N}])`,
  'iu',
);

const HOUR_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
const HOUR_WORD = `(${Object.keys(HOUR_WORDS).join('|')}|\\d{1,2})`;
const MERIDIEM = "(?:\\s*(a\\.?m\\.?|p\\.?m\\.?))?";
/** "at five", "five o'clock", "five pm": spelled hours chrono does not read. */
const WORD_HOUR_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:at\\s+${HOUR_WORD}(?:\\s+o'?clock)?${MERIDIEM}|${HOUR_WORD}\\s+o'?clock${MERIDIEM}|${HOUR_WORD}\\s*(a\\.?m\\.?|p\\.?m\\.?))(?![\\p{L}\\p{N}])`,
  'iu',
);
/** An hour alone ("5", "five", "5:30"): a time only after "at". */
const BARE_HOUR = new RegExp(`^${HOUR_WORD}(?:[:.]\\d\\d)?$`, 'i');
/** "half past five", "quarter to six", "20 past 7". */
const PAST_TO_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(half|quarter|\\d{1,2})\\s+(past|to)\\s+${HOUR_WORD}${MERIDIEM}(?![\\p{L}\\p{N}])`,
  'iu',
);
/** British "half eight" = half past eight (not "half an hour", not "half 8 hours"). */
const HALF_HOUR_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])half\\s+${HOUR_WORD}${MERIDIEM}(?![\\p{L}\\p{N}])(?!\\s+(?:hours?|hrs?|minutes?|mins?|days?|weeks?|past|to)\\b)`,
  'iu',
);
/** What may stand between a time and the day it is on ("5pm on the 1st of december", "6pm, friday"). */
const TIME_DAY_GAP = /^[\s,]*(?:(?:on|of|the)\s+)*$/i;
const TIME_COMPONENTS = ['hour', 'minute', 'second', 'meridiem'] as const;

/** "the 3rd", "the 21st": a day of the month without a month. */
const DAY_OF_MONTH_RE = /(?<![\p{L}\p{N}])the\s+(\d{1,2})(?:st|nd|rd|th)(?!\s+of\b)(?![\p{L}\p{N}])/iu;

const CASUAL_TIMES: Record<string, number> = {
  'casualReference/morning': 9,
  'casualReference/afternoon': 15,
  'casualReference/evening': 19,
  'casualReference/tonight': 20,
  'casualReference/night': 20,
};
/** Tags of casual words that fix the part of the day ("noon", "this evening"), so "5" in them is not ambiguous. */
const CASUAL_TIME_TAG = /^casualReference\/(?:morning|afternoon|evening|tonight|night|noon|midnight)$/;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const PLAIN_WEEKDAY =
  /^(?:on\s+)?(?:this\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?$/i;

/** Results that are dates only by accident inside a sentence ("the week", "a year"). */
const VAGUE = /^(?:the|a)\s+(?:week|month|year|day)$/i;

/** Words around a time expression that do not change it ("on", "at", "please"). */
const FILLER = new Set([
  'on', 'at', 'for', 'by', 'the', 'please', 'then', 'ok', 'okay', 'um', 'uh', 'er', 'erm', 'maybe', 'make', 'it',
  'change', 'to', 'how', 'about', 'until', 'till', 'til', 'before', 'is', 'its', "it's", 'say', 'lets', "let's",
  'so', 'and', 'of', 'day', 'date',
]);

/** An ISO-8601 string with the offset of `timeZone` ("2026-11-26T17:00:00+00:00"). */
export function toIso(date: Date, timeZone: string): string {
  return DateTime.fromJSDate(date, { zone: timeZone }).toFormat(ISO_FORMAT);
}

function zoned(ctx: ValueContext): DateTime {
  return DateTime.fromJSDate(ctx.now, { zone: ctx.timeZone }).setLocale(LOCALE);
}

function isoOf(dt: DateTime): string {
  return dt.toFormat(ISO_FORMAT);
}

/** The next (or today's) date of a month and day, from `today`. */
function nextOccurrence(today: DateTime, month: number, day: number): DateTime {
  for (let y = today.year; y <= today.year + 8; y++) {
    const d = DateTime.fromObject({ year: y, month, day }, { zone: today.zone });
    if (d.isValid && d.month === month && d >= today.startOf('day')) return d;
  }
  return today;
}

function thanksgiving(year: number, zone: DateTime['zone']): DateTime {
  const first = DateTime.fromObject({ year, month: 11, day: 1 }, { zone });
  const firstThursday = first.plus({ days: (4 - first.weekday + 7) % 7 });
  return firstThursday.plus({ weeks: 3 });
}

/** The holiday a text names ("xmas" → Christmas), or null. */
export function holidayName(text: string): string | null {
  const m = new RegExp(`^\\s*${HOLIDAY_RE.source}\\s*$`, 'iu').exec(text);
  if (!m) return null;
  const i = m.slice(2).findIndex((g) => g !== undefined);
  return i < FIXED_HOLIDAYS.length ? FIXED_HOLIDAYS[i].name : THANKSGIVING.name;
}

function hourOf(word: string): number {
  return HOUR_WORDS[word.toLowerCase()] ?? Number(word);
}

function withMeridiem(hour: number, meridiem: string | undefined): { hour: number; meridiem?: number } | null {
  if (!meridiem) return hour >= 0 && hour <= 23 ? { hour } : null;
  if (hour < 1 || hour > 12) return null;
  const pm = meridiem.toLowerCase().startsWith('p');
  return { hour: (hour % 12) + (pm ? 12 : 0), meridiem: pm ? 1 : 0 };
}

/** chrono's slash-date parser with day-first order ("3/12" is 3 December), from its en-GB set-up. */
const DAY_FIRST_SLASH = chrono.en.GB.parsers.find((p) => p.constructor.name === 'SlashDateFormatParser');

/** chrono plus the parsers for what it misses; numeric dates are day-first outside the Americas. */
function buildParser(ctx: ValueContext): chrono.Chrono {
  const today = zoned(ctx);
  const parser = chrono.casual.clone();
  if (DAY_FIRST_SLASH && !ctx.timeZone.startsWith('America/')) {
    parser.parsers = parser.parsers.map((p) => (p.constructor.name === 'SlashDateFormatParser' ? DAY_FIRST_SLASH : p));
  }
  parser.parsers.push(
    {
      pattern: () => HOLIDAY_RE,
      extract: (_context, match) => {
        const groups = match.slice(2, 2 + FIXED_HOLIDAYS.length + 1);
        const i = groups.findIndex((g) => g !== undefined);
        const year = match[match.length - 1] ? Number(match[match.length - 1]) : null;
        let date: DateTime;
        if (i < FIXED_HOLIDAYS.length) {
          const h = FIXED_HOLIDAYS[i];
          date = year ? DateTime.fromObject({ year, month: h.month, day: h.day }, { zone: today.zone }) : nextOccurrence(today, h.month, h.day);
        } else {
          date = thanksgiving(year ?? today.year, today.zone);
          if (!year && date < today.startOf('day')) date = thanksgiving(today.year + 1, today.zone);
        }
        return { year: date.year, month: date.month, day: date.day };
      },
    },
    {
      pattern: () => WORD_HOUR_RE,
      extract: (_context, match) => {
        const word = match[1] ?? match[3] ?? match[5];
        const meridiem = match[2] ?? match[4] ?? match[6];
        const time = withMeridiem(hourOf(word), meridiem);
        return time ? { ...time, minute: 0 } : null;
      },
    },
    {
      pattern: () => PAST_TO_RE,
      extract: (_context, match) => {
        const minutes = match[1].toLowerCase() === 'half' ? 30 : match[1].toLowerCase() === 'quarter' ? 15 : Number(match[1]);
        if (minutes < 1 || minutes > 59 || (match[2].toLowerCase() === 'to' && minutes === 30)) return null;
        let hour = hourOf(match[3]);
        if (hour < 1 || hour > 12) return null;
        let minute = minutes;
        if (match[2].toLowerCase() === 'to') {
          hour = hour === 1 ? 12 : hour - 1;
          minute = 60 - minutes;
        }
        const time = withMeridiem(hour, match[4]);
        return time ? { ...time, minute } : null;
      },
    },
    {
      pattern: () => HALF_HOUR_RE,
      extract: (_context, match) => {
        const hour = hourOf(match[1]);
        const time = hour >= 1 && hour <= 12 ? withMeridiem(hour, match[2]) : null;
        return time ? { ...time, minute: 30 } : null;
      },
    },
    {
      pattern: () => DAY_OF_MONTH_RE,
      extract: (_context, match) => {
        const day = Number(match[1]);
        if (day < 1 || day > 31) return null;
        let month = today.startOf('month');
        for (let i = 0; i < 12; i++, month = month.plus({ months: 1 })) {
          const date = month.set({ day });
          if (date.month === month.month && date >= today.startOf('day')) return { year: date.year, month: date.month, day };
        }
        return null;
      },
    },
  );
  // chrono joins "the 1st of december at 5pm" but not "5pm on the 1st of december": a time
  // followed by its day (or a day by its time) with only "on"/"of"/"the" between is one instant.
  parser.refiners.push({
    refine: (context, results) => {
      const out: chrono.ParsingResult[] = [];
      for (const result of results) {
        const previous = out[out.length - 1];
        const gap = previous ? context.text.slice(previous.index + previous.text.length, result.index) : '';
        const pair = previous && TIME_DAY_GAP.test(gap) ? timeAndDay(previous, result) : null;
        if (!pair) {
          out.push(result);
          continue;
        }
        const [time, day] = pair;
        for (const component of TIME_COMPONENTS) if (time.start.isCertain(component)) day.start.assign(component, time.start.get(component)!);
        day.start.addTags(time.start.tags());
        day.text = context.text.slice(previous.index, result.index + result.text.length);
        day.index = previous.index;
        out[out.length - 1] = day;
      }
      return out;
    },
  });
  return parser;
}

/** The pair as [time only, day only], or null when it is not one of each. */
function timeAndDay(a: chrono.ParsingResult, b: chrono.ParsingResult): [chrono.ParsingResult, chrono.ParsingResult] | null {
  const timeOnly = (r: chrono.ParsingResult) => r.start.isCertain('hour') && !r.start.isCertain('day') && !r.start.isCertain('weekday') && !r.end;
  const dayOnly = (r: chrono.ParsingResult) => !r.start.isCertain('hour') && (r.start.isCertain('day') || r.start.isCertain('weekday')) && !r.end;
  if (timeOnly(a) && dayOnly(b)) return [a, b];
  if (dayOnly(a) && timeOnly(b)) return [b, a];
  return null;
}

function parseAll(text: string, ctx: ValueContext): chrono.ParsedResult[] {
  const offset = zoned(ctx).offset;
  return buildParser(ctx).parse(text, { instant: ctx.now, timezone: offset }, { forwardDate: true });
}

function hasTag(result: chrono.ParsedResult, prefix: string): boolean {
  for (const tag of result.start.tags()) if (tag.startsWith(prefix)) return true;
  return false;
}

/** Turns one chrono result into an instant in the user's zone. */
function interpret(result: chrono.ParsedResult, ctx: ValueContext): DateTimeValue | null {
  const s = result.start;
  const now = zoned(ctx);
  // "in 20 minutes", "in an hour": an offset from now, exact whatever the zone.
  if (result.start.tags().has('result/relativeDateAndTime')) {
    const dt = DateTime.fromJSDate(s.date(), { zone: ctx.timeZone });
    return dt.isValid ? { iso: isoOf(dt), hasTime: true } : null;
  }
  const casual = [...s.tags()].find((t) => t in CASUAL_TIMES);
  const hasTime = s.isCertain('hour') || casual !== undefined;
  const dateKnown =
    s.isCertain('day') || s.isCertain('weekday') || s.isCertain('month') || s.isCertain('year') || hasTag(result, 'result/relativeDate');
  // A part of the day said alone ("this evening") gets our hour for it; a day alone gets 09:00.
  const hour = casual && !s.isCertain('hour') ? CASUAL_TIMES[casual] : hasTime ? (s.get('hour') ?? DEFAULT_HOUR) : DEFAULT_HOUR;
  const time = hasTime ? { hour, minute: s.get('minute') ?? 0, second: s.get('second') ?? 0 } : { hour, minute: 0, second: 0 };
  let dt: DateTime = DateTime.fromObject({ year: s.get('year')!, month: s.get('month')!, day: s.get('day')!, ...time }, { zone: ctx.timeZone });
  if (!dt.isValid) return null;

  // A plain weekday ("friday", "on monday") is the next such day, today included.
  const plainWeekday = PLAIN_WEEKDAY.exec(result.text.trim());
  if (plainWeekday) {
    const target = WEEKDAYS.findIndex((d) => d.startsWith(plainWeekday[1].toLowerCase().slice(0, 3)));
    const ahead = (((target === 0 ? 7 : target) - now.weekday) % 7 + 7) % 7;
    dt = now.startOf('day').plus({ days: ahead }).set(time);
  }
  // "at 5" with no am/pm: the next 5 o'clock, or 1 to 6 in the afternoon when a day was said.
  const meridiemSaid = s.isCertain('meridiem') || /\b0\d[:.h]?\d\d\b/.test(result.text) || [...s.tags()].some((t) => CASUAL_TIME_TAG.test(t));
  if (hasTime && s.isCertain('hour') && !meridiemSaid && hour >= 1 && hour <= 12) {
    if (dateKnown) {
      dt = dt.set({ hour: hour <= 6 ? hour + 12 : hour });
    } else {
      const base = now.startOf('day').set({ minute: time.minute, second: time.second });
      const candidates = hour === 12 ? [base.set({ hour: 12 }), base.plus({ days: 1 }).set({ hour: 0 })] : [base.set({ hour }), base.set({ hour: hour + 12 })];
      dt = candidates.find((c) => c > now) ?? candidates[0].plus({ days: 1 });
    }
  } else if (hasTime && !dateKnown) {
    // A time alone ("5pm", "noon") is today's, or tomorrow's when it has passed.
    dt = now.startOf('day').set(time);
    if (dt <= now) dt = dt.plus({ days: 1 }).set(time);
  }
  // A weekday with a time that has passed today is next week's ("friday at 9" said on Friday at 10).
  if (s.isCertain('weekday') && !s.isCertain('day') && hasTime && dt <= now && dt.hasSame(now, 'day')) dt = dt.plus({ weeks: 1 });
  // A day and month without a year said on that very day is today, not next year.
  if (!hasTime && s.isCertain('month') && !s.isCertain('year')) {
    const earlier = dt.minus({ years: 1 });
    if (earlier.month === dt.month && earlier.day === dt.day && earlier.startOf('day') >= now.startOf('day')) dt = earlier;
  }
  return dt.isValid ? { iso: isoOf(dt), hasTime } : null;
}

/** "for 10 minutes": chrono reads it as a time from now, but it says how long, not when. */
function isDuration(result: chrono.ParsedResult): boolean {
  return /^for\s/i.test(result.text) && hasTag(result, 'result/relativeDate');
}

/** Whether what is left of a text around a match is only filler words and punctuation. */
function onlyFiller(rest: string): boolean {
  const words = rest.toLowerCase().split(/[^a-z']+/).filter(Boolean);
  return words.every((w) => FILLER.has(w));
}

function failure(text: string): { ok: false; reason: string; example: string } {
  return { ok: false, reason: `I couldn't read "${clip(text)}" as a date or time.`, example: EXAMPLE };
}

const DATE_WORDS = new RegExp(
  [
    '\\d',
    "\\b(?:today|tonight|tomorrow|tmrw|tmr|yesterday|morning|afternoon|evening|night|noon|midday|midnight|o'?clock|a\\.?m|p\\.?m|half|quarter|past)\\b",
    '\\b(?:minutes?|mins?|hours?|hrs?|days?|weeks?|fortnight|months?|years?|weekend|next|last|this|until|till)\\b',
    '\\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\\b',
    '\\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\b',
    '\\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\\w+teenth|\\w+tieth|twenty|thirty)\\b',
    '\\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\\b',
    `${HOLIDAY_RE.source}`,
  ].join('|'),
  'iu',
);

/** Whether a text that may not parse still reads like an attempt at a date or time ("the thirty-fifth of smarch"). */
export function looksLikeDateTime(text: string): boolean {
  return DATE_WORDS.test(text);
}

const NAMES_A_DAY =
  /\b(today|tonight|tomorrow|tmrw|tmr|yesterday|next|this|in \w+|weekend|(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|christmas|easter|halloween|\d+(st|nd|rd|th)|\d{1,2}[/-]\d{1,2})\b/i;

/** Whether a date or time text says which day ("friday", "tomorrow", "the 3rd"), not only a time. */
export function namesADay(text: string): boolean {
  return NAMES_A_DAY.test(text);
}

/** Whether two ISO instants (written in the same zone) fall on the same calendar day. */
export function sameDay(a: string, b: string): boolean {
  return a.slice(0, 10) === b.slice(0, 10);
}

/** Reads a date or time; the whole text must be one ("tomorrow at 5pm", "in 20 minutes", "christmas"). */
export function parseDateTime(said: string, ctx: ValueContext): Parsed<DateTimeValue> {
  if (said.length > MAX_TEXT || !said.trim()) return failure(said);
  const text = partOfDayAsMeridiem(said);
  const results = parseAll(text, ctx);
  const first = results[0];
  if (!first || isDuration(first)) return failure(text);
  const rest = text.slice(0, first.index) + ' ' + text.slice(first.index + first.text.length);
  if (!onlyFiller(rest)) return failure(text);
  const value = interpret(first, ctx);
  return value ? { ok: true, value } : failure(said);
}

const PART_OF_DAY = new RegExp(`\\b(?<hour>${HOUR_WORD}(?:[:.]\\d\\d)?)(?:\\s+o'?clock)?\\s+(?:in the|at|this|tomorrow)\\s+(?<part>morning|afternoon|evening|night)\\b`, 'i');

/** "six in the morning" → "six am", "8 in the evening" → "8 pm": chrono reads neither. */
function partOfDayAsMeridiem(text: string): string {
  return text.replace(PART_OF_DAY, (...args) => {
    const { hour, part } = args[args.length - 1] as { hour: string; part: string };
    return `${hour} ${part.toLowerCase() === 'morning' ? 'am' : 'pm'}`;
  });
}

/** The first date or time anywhere in an utterance, with its character offsets. */
export function findDateTime(utterance: string, ctx: ValueContext): { value: DateTimeValue; text: string; start: number; end: number } | null {
  const scan = utterance.slice(0, MAX_SCAN);
  // "the week" in "what day of the week is July 4th" names no date; "for 10 minutes" is a duration.
  for (const result of parseAll(scan, ctx).filter((r) => !VAGUE.test(r.text) && !isDuration(r))) {
    const value = interpret(result, ctx);
    if (!value) continue;
    // The expression without a leading "at"/"on"/"by", as spans are marked ("at [noon]"), unless
    // only an hour would be left ("at 5"), which would not read as a time again.
    let lead = /^(?:at|on|by)\s+/i.exec(result.text)?.[0].length ?? 0;
    if (BARE_HOUR.test(result.text.slice(lead))) lead = 0;
    const start = result.index + lead;
    return { value, text: result.text.slice(lead), start, end: result.index + result.text.length };
  }
  return null;
}

/**
 * A span of days ("today", "this week", "friday", "this weekend"): `from` inclusive, `to`
 * exclusive, both ISO with offset, and a label for replies ("on Friday 27 November").
 */
export function parseDayRange(text: string, ctx: ValueContext): Parsed<{ from: string; to: string; label: string }> {
  const fail = { ok: false as const, reason: `I couldn't read "${clip(text)}" as a day or a week.`, example: 'tomorrow' };
  if (text.length > MAX_TEXT) return fail;
  const t = text
    .toLowerCase()
    .trim()
    .replace(/[.!?]+$/, '')
    .replace(/^(?:for|on|in|during|over|from|of)\s+/, '')
    .replace(/^(?:the\s+)?rest\s+of\s+/, 'this ')
    .trim();
  const now = zoned(ctx);
  const today = now.startOf('day');
  const range = (from: DateTime, to: DateTime, label: string) => ({ ok: true as const, value: { from: isoOf(from), to: isoOf(to), label } });
  if (/^(?:today|tonight|this (?:morning|afternoon|evening))$/.test(t)) return range(today, today.plus({ days: 1 }), 'today');
  if (/^tomorrow(?: (?:morning|afternoon|evening|night))?$/.test(t)) return range(today.plus({ days: 1 }), today.plus({ days: 2 }), 'tomorrow');
  if (/^(?:this|the) week$|^week$/.test(t)) return range(today, today.startOf('week').plus({ weeks: 1 }), 'this week');
  if (/^next week$/.test(t)) {
    const from = today.startOf('week').plus({ weeks: 1 });
    return range(from, from.plus({ weeks: 1 }), 'next week');
  }
  const weekend = /^(this|the|next)? ?weekend$/.exec(t);
  if (weekend) {
    const saturday = today.startOf('week').plus({ days: 5 });
    let from = today.weekday >= 6 ? today : saturday;
    let label = 'this weekend';
    if (weekend[1] === 'next') {
      from = saturday.plus({ weeks: 1 });
      label = 'next weekend';
    }
    return range(from, saturday.plus({ days: 2 }).plus({ weeks: weekend[1] === 'next' ? 1 : 0 }), label);
  }
  if (/^(?:this|the) month$/.test(t)) return range(today, today.startOf('month').plus({ months: 1 }), 'this month');
  if (/^next month$/.test(t)) {
    const from = today.startOf('month').plus({ months: 1 });
    return range(from, from.plus({ months: 1 }), 'next month');
  }
  const parsed = parseDateTime(t, ctx);
  if (!parsed.ok) return fail;
  const day = DateTime.fromISO(parsed.value.iso, { zone: ctx.timeZone }).setLocale(LOCALE).startOf('day');
  return range(day, day.plus({ days: 1 }), dayLabel(day, now));
}

function dayLabel(day: DateTime, now: DateTime): string {
  const diff = Math.round(day.startOf('day').diff(now.startOf('day'), 'days').days);
  if (diff === 0) return 'today';
  if (diff === 1) return 'tomorrow';
  if (diff === -1) return 'yesterday';
  return `on ${day.toFormat(day.year === now.year ? 'cccc d LLLL' : 'cccc d LLLL yyyy')}`;
}

/** "today at 17:00", "tomorrow at 09:00", "on Fri 27 Nov at 17:00", "on Fri 1 Jan 2027 at 09:00". */
export function formatDateTime(iso: string, ctx: ValueContext): string {
  const dt = DateTime.fromISO(iso, { zone: ctx.timeZone }).setLocale(LOCALE);
  if (!dt.isValid) return iso;
  const now = zoned(ctx);
  const diff = Math.round(dt.startOf('day').diff(now.startOf('day'), 'days').days);
  const time = dt.toFormat('HH:mm');
  if (diff === 0) return `today at ${time}`;
  if (diff === 1) return `tomorrow at ${time}`;
  if (diff === -1) return `yesterday at ${time}`;
  return `on ${dt.toFormat(dt.year === now.year ? 'ccc d LLL' : 'ccc d LLL yyyy')} at ${time}`;
}

/** "Thursday 26 November 2026", in the user's zone. */
export function formatDate(iso: string, ctx: ValueContext): string {
  const dt = DateTime.fromISO(iso, { zone: ctx.timeZone }).setLocale(LOCALE);
  return dt.isValid ? dt.toFormat('cccc d LLLL yyyy') : iso;
}
