/**
 * The clock: the time here or anywhere ("what time is it in Tokyo"), today's date, the weekday
 * of a date, and the days until one ("how many days until Christmas"). Everything is read and
 * said in the user's time zone, from the turn's clock (`ctx.now`).
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Parsed, Skill, SkillContext, SkillSlot } from './types.js';
import { findDateTime, formatDate, holidayName, namesADay, parseDateTime, sameDay, toIso, type DateTimeValue } from './values/datetime.js';
import { resolvePlace, zoneCity, type PlaceValue } from './values/places.js';

const LOCALE = 'en-GB';

function isZone(zone: string): boolean {
  return zone.length > 0 && DateTime.now().setZone(zone).isValid;
}

function zonedNow(ctx: SkillContext, zone = ctx.timeZone): DateTime {
  return DateTime.fromJSDate(ctx.now, { zone }).setLocale(LOCALE);
}

/** "what time is it in Tokyo", "what's the time in new york right now", "current time in PST". */
const PLACE_IN_QUESTION = /\b(?:time|clock|o'?clock)\b.*?\bin\s+(.+?)\s*[?.!]*$/i;

const citySlot: SkillSlot<PlaceValue> = {
  name: 'city',
  required: false,
  prompt: 'Which city, country or time zone?',
  example: 'Tokyo',
  parse: (text) => resolvePlace(text),
  /**
   * The place after "in". A place that cannot be resolved ("Narnia") is still returned, with no
   * zone, so that `validate` asks which city was meant instead of answering with the user's own.
   */
  find(utterance) {
    const m = PLACE_IN_QUESTION.exec(utterance.slice(0, 300));
    if (!m) return null;
    const text = m[1].trim();
    const resolved = resolvePlace(text);
    if (resolved.ok) return { value: resolved.value, text };
    if (text.split(/\s+/).length > 4) return null;
    return { value: { place: text, timeZone: '' }, text };
  },
};

const timeArgs = z.object({ city: z.object({ place: z.string().max(80), timeZone: z.string().max(64) }).optional() });
type TimeArgs = z.infer<typeof timeArgs>;

/** `clock.time`: "It's 19:00 in Tokyo (Wednesday)." */
export const clockTime: Skill<TimeArgs> = {
  name: 'clock.time',
  description: 'tell the time anywhere',
  slots: [citySlot],
  args: timeArgs,
  validate(args) {
    if (!args.city || isZone(args.city.timeZone)) return null;
    const resolved = resolvePlace(args.city.place);
    return {
      slot: 'city',
      reason: resolved.ok ? `I couldn't find the time zone of "${args.city.place}".` : resolved.reason,
      example: 'Tokyo',
    };
  },
  run(args, ctx) {
    const timeZone = args.city?.timeZone ?? ctx.timeZone;
    const place = args.city?.place ?? zoneCity(ctx.timeZone);
    const now = zonedNow(ctx, timeZone);
    const where = args.city ? ` in ${place}` : '';
    return {
      reply: `It's ${now.toFormat('HH:mm')}${where} (${now.toFormat('cccc')}).`,
      status: 'done',
      result: { place, timeZone, iso: toIso(ctx.now, timeZone) },
    };
  },
};

/** The day asked about in "what's the date tomorrow?" (today when none is said). */
const dayAskedSlot: SkillSlot<DateTimeValue> = {
  name: 'day',
  required: false,
  prompt: 'Which day?',
  example: 'tomorrow',
  parse: (text, ctx) => parseDateTime(text, ctx),
  find(utterance, ctx) {
    const found = findDateTime(utterance, ctx);
    return found && namesADay(found.text) ? { value: found.value, text: found.text } : null;
  },
};

/** `clock.date`: "Today is Wednesday 25 November 2026.", "Tomorrow is Thursday 26 November 2026." */
export const clockDate: Skill<{ day?: { iso: string; hasTime: boolean } }> = {
  name: 'clock.date',
  description: "tell today's date",
  slots: [dayAskedSlot],
  args: z.object({ day: z.object({ iso: z.string(), hasTime: z.boolean() }).optional() }),
  run({ day }, ctx) {
    const today = zonedNow(ctx).startOf('day');
    const date = day ? DateTime.fromISO(day.iso, { setZone: true }).setZone(ctx.timeZone).startOf('day') : today;
    if (!date.isValid) return { reply: "I couldn't read that day.", status: 'failed' };
    const offset = Math.round(date.diff(today, 'days').days);
    const iso = offset === 0 ? toIso(ctx.now, ctx.timeZone) : toIso(date.toJSDate(), ctx.timeZone);
    const said = formatDate(iso, ctx);
    const reply = offset === 0 ? `Today is ${said}.` : offset === 1 ? `Tomorrow is ${said}.` : offset === -1 ? `Yesterday was ${said}.` : `That's ${said}.`;
    return { reply, status: 'done', result: { date: date.toFormat('yyyy-MM-dd'), weekday: date.toFormat('cccc'), iso } };
  },
};

/** A date, with the holiday it was named by ("Christmas"), for replies. */
interface DateValue extends DateTimeValue {
  label?: string;
}

function readDate(text: string, ctx: SkillContext): Parsed<DateValue> {
  const parsed = parseDateTime(text, ctx);
  if (!parsed.ok) return { ...parsed, example: 'Christmas' };
  const label = holidayName(text.trim().replace(/^(?:on|until|till|to)\s+/i, ''));
  return { ok: true, value: label ? { ...parsed.value, label } : parsed.value };
}

function dateSlot(prompt: string, example: string): SkillSlot<DateValue> {
  return {
    name: 'date',
    required: true,
    prompt,
    example,
    parse: readDate,
    find(utterance, ctx) {
      const found = findDateTime(utterance, ctx);
      if (!found) return null;
      const label = holidayName(found.text);
      return { value: label ? { ...found.value, label } : found.value, text: found.text };
    },
    widens: (narrowText, narrow, wide) => !namesADay(narrowText) || sameDay(narrow.iso, wide.iso),
  };
}

const isoDate = z.string().refine((s) => DateTime.fromISO(s, { setZone: true }).isValid, 'not an ISO-8601 date');
const dateArgs = z.object({ date: z.object({ iso: isoDate, hasTime: z.boolean(), label: z.string().max(40).optional() }) });
type DateArgs = z.infer<typeof dateArgs>;

/** Whole calendar days from today to a date, in the user's zone (negative when past). */
function daysFromToday(iso: string, ctx: SkillContext): number {
  const day = DateTime.fromISO(iso, { zone: ctx.timeZone }).startOf('day');
  return Math.round(day.diff(zonedNow(ctx).startOf('day'), 'days').days);
}

/** `clock.weekday`: "4 July 2027 is a Sunday." */
export const clockWeekday: Skill<DateArgs> = {
  name: 'clock.weekday',
  description: 'answer weekday questions',
  slots: [dateSlot('Which date?', '4 July 2027')],
  args: dateArgs,
  run({ date }, ctx) {
    const day = DateTime.fromISO(date.iso, { zone: ctx.timeZone }).setLocale(LOCALE);
    const days = daysFromToday(date.iso, ctx);
    const weekday = day.toFormat('cccc');
    const verb = days < 0 ? 'was' : 'is';
    const what = date.label ? `${date.label} (${day.toFormat('d MMMM yyyy')})` : day.toFormat('d MMMM yyyy');
    return {
      reply: days === 0 ? `Today is ${/^[AEIOU]/.test(weekday) ? 'an' : 'a'} ${weekday}.` : `${what} ${verb} a ${weekday}.`,
      status: 'done',
      result: { date: day.toFormat('yyyy-MM-dd'), weekday },
    };
  },
};

/** `clock.days_until`: "There are 30 days until Christmas (Friday 25 December 2026)." */
export const clockDaysUntil: Skill<DateArgs> = {
  name: 'clock.days_until',
  description: 'make day countdowns',
  slots: [dateSlot('Until which date?', 'Christmas')],
  args: dateArgs,
  run({ date }, ctx) {
    const days = daysFromToday(date.iso, ctx);
    const formatted = formatDate(date.iso, ctx);
    const what = date.label ? `${date.label} (${formatted})` : formatted;
    const result = { days, date: DateTime.fromISO(date.iso, { zone: ctx.timeZone }).toFormat('yyyy-MM-dd'), ...(date.label ? { label: date.label } : {}) };
    let reply: string;
    if (days === 0) reply = "That's today!";
    else if (days === 1) reply = `There is 1 day until ${what}: it's tomorrow.`;
    else if (days > 1) reply = `There are ${days} days until ${what}.`;
    else reply = `${what.replace(/^\w/, (c) => c.toUpperCase())} was ${-days} day${days === -1 ? '' : 's'} ago.`;
    return { reply, status: 'done', result };
  },
};

export const clockSkills = [clockTime, clockDate, clockWeekday, clockDaysUntil] as const;
