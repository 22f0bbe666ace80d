/**
 * Reminders: set one ("remind me to call mom tomorrow at 5pm"), list them (all, or for a day or
 * a week), cancel one (by description or by its number in the list), cancel all. Times are read
 * and said in the user's time zone; reminders are numbered soonest first, the same numbering
 * whether the whole list or one day of it is shown, so "cancel reminder 2" means what was shown.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Reminder } from '../store/types.js';
import type { ArgumentProblem, Parsed, Skill, SkillContext, SkillSlot } from './types.js';
import { findDateTime, formatDateTime, parseDateTime, looksLikeDateTime, namesADay, parseDayRange, sameDay, toIso } from './values/datetime.js';
import { parseNumber } from './values/number.js';

const MAX_TASK = 500;
const WHEN_EXAMPLE = 'tomorrow at 5pm';

/** The task as it should be stored: without a leading "to"/"about"/"that" or trailing punctuation. */
export function cleanTask(text: string): string {
  let t = text.replace(/\s+/g, ' ').trim();
  for (;;) {
    const next = t
      .replace(/^(?:to|about|that|of)\s+/i, '')
      .replace(/[\s,]*\b(?:please|pls)$/i, '')
      .replace(/[\s.,;:!?]+$/, '')
      .trim();
    if (next === t) return t;
    t = next;
  }
}

const SECOND_PERSON: Record<string, string> = { my: 'your', me: 'you', i: 'you', myself: 'yourself', mine: 'yours', "i'm": "you're", im: "you're", our: 'your', us: 'you' };

/** The task as the assistant says it back: "call my mom" → "call your mom". */
function yourise(text: string): string {
  return text.replace(/\b(?:my|me|i|myself|mine|i'm|im|our|us)\b/gi, (w) => SECOND_PERSON[w.toLowerCase()] ?? w);
}

/** "to call your mom" or, for a thing rather than an action, "about the meeting". */
function remindPhrase(task: string): string {
  const said = yourise(task);
  return /^(?:the|a|an|your|his|her|their|this|that|these|those)\b/i.test(said) ? `about ${said}` : `to ${said}`;
}

/** "tomorrow at 17:00", "Fri 27 Nov at 17:00": a due time inside a list line. */
function shortWhen(iso: string, ctx: SkillContext): string {
  return formatDateTime(iso, ctx).replace(/^on /, '');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function reminderResult(r: Reminder, ctx: SkillContext, number?: number) {
  return { id: r.id, ...(number === undefined ? {} : { number }), text: r.text, due: toIso(r.due, ctx.timeZone) };
}

/** Numbered lines, soonest first: "2. call your mom, tomorrow at 17:00". */
function numbered(items: { reminder: Reminder; number: number }[], ctx: SkillContext): string {
  return items.map(({ reminder, number }) => `${number}. ${yourise(reminder.text)}, ${shortWhen(toIso(reminder.due, ctx.timeZone), ctx)}`).join('\n');
}

/** The same on one line, for a question: "1. call your mom (tomorrow at 17:00); 2. ...". */
function numberedInline(items: { reminder: Reminder; number: number }[], ctx: SkillContext): string {
  return items.map(({ reminder, number }) => `${number}. ${yourise(reminder.text)} (${shortWhen(toIso(reminder.due, ctx.timeZone), ctx)})`).join('; ');
}

function numberAll(reminders: Reminder[]): { reminder: Reminder; number: number }[] {
  return reminders.map((reminder, i) => ({ reminder, number: i + 1 }));
}

const whenSlot: SkillSlot<string> = {
  name: 'when',
  required: true,
  prompt: 'When should I remind you?',
  example: WHEN_EXAMPLE,
  parse(text, ctx) {
    const parsed = parseDateTime(text, ctx);
    return parsed.ok ? { ok: true, value: parsed.value.iso } : parsed;
  },
  find(utterance, ctx) {
    const found = findDateTime(utterance, ctx);
    return found ? { value: found.value.iso, text: found.text } : null;
  },
  widens: (narrowText, narrow, wide) => !namesADay(narrowText) || sameDay(narrow, wide),
  looksLike: looksLikeDateTime,
  reread: rereadWhen,
};


/**
 * A corrected time keeps the day it corrects ("no, 6pm" after "tomorrow at 5pm"), and a
 * corrected day keeps the time ("I meant thursday" after "friday at 10am").
 */
export function rereadWhen(text: string, previous: string, ctx: SkillContext): Parsed<string> {
  const before = DateTime.fromISO(previous, { setZone: true }).setZone(ctx.timeZone);
  if (!before.isValid) return whenSlot.parse(text, ctx);
  // A bare time is read on the previous value's day (from that day's start, never before now).
  const dayStart = before.startOf('day').toJSDate();
  const reference = !namesADay(text) && dayStart > ctx.now ? { ...ctx, now: dayStart } : ctx;
  const parsed = parseDateTime(text, reference);
  if (!parsed.ok) return parsed;
  if (parsed.value.hasTime) return { ok: true, value: parsed.value.iso };
  const day = DateTime.fromISO(parsed.value.iso, { setZone: true }).setZone(ctx.timeZone);
  const kept = day.set({ hour: before.hour, minute: before.minute, second: 0, millisecond: 0 });
  return { ok: true, value: toIso(kept.toJSDate(), ctx.timeZone) };
}

const taskSlot: SkillSlot<string> = {
  name: 'task',
  required: true,
  prompt: 'What should I remind you about?',
  example: 'call mom',
  runsOn: true,
  parse(text): Parsed<string> {
    const task = cleanTask(text);
    if (!task) return { ok: false, reason: "I didn't catch what to remind you about.", example: 'call mom' };
    if (task.length > MAX_TASK) return { ok: false, reason: `That's too long for a reminder (at most ${MAX_TASK} characters).`, example: 'call mom' };
    return { ok: true, value: task };
  },
};

const isoWithOffset = z.iso.datetime({ offset: true });

type CreateArgs = { task: string; when: string };

/** Sets a reminder at a time in the future. */
export const createReminder: Skill<CreateArgs> = {
  name: 'reminders.create',
  description: 'set reminders',
  slots: [taskSlot, whenSlot],
  args: z.object({ task: z.string().trim().min(1).max(MAX_TASK), when: isoWithOffset }),
  validate({ when }, ctx): ArgumentProblem | null {
    if (new Date(when).getTime() <= ctx.now.getTime()) {
      return { slot: 'when', reason: `That time has already passed (${formatDateTime(when, ctx)}).`, example: WHEN_EXAMPLE };
    }
    return null;
  },
  run({ task, when }, ctx) {
    const text = cleanTask(task) || task.trim();
    const reminder = ctx.store.addReminder({ text, due: new Date(when), now: ctx.now });
    const due = toIso(reminder.due, ctx.timeZone);
    return { reply: `OK, I'll remind you ${remindPhrase(text)} ${formatDateTime(due, ctx)}.`, result: reminderResult(reminder, ctx) };
  },
  undo(result, ctx) {
    const id = (result as { id?: unknown } | null)?.id;
    return typeof id === 'number' && ctx.store.cancelReminder(id);
  },
};

type ListArgs = { when?: { from: string; to: string; label: string } };

/** Week, weekend and month phrases chrono may not find on its own in a longer question. */
const RANGE_WORDS = /\b(?:(?:this|next|the)\s+)?(?:week|weekend|month)\b|\btoday\b|\btomorrow\b|\btonight\b/i;

/** Lists pending reminders, all or those of one day or week. */
export const listReminders: Skill<ListArgs> = {
  name: 'reminders.list',
  description: 'list reminders',
  slots: [
    {
      name: 'when',
      required: false,
      prompt: 'For which day?',
      example: 'tomorrow',
      parse: (text, ctx) => parseDayRange(text, ctx),
      find(utterance, ctx) {
        const words = RANGE_WORDS.exec(utterance);
        const found = findDateTime(utterance, ctx);
        for (const text of [words?.[0], found?.text]) {
          if (!text) continue;
          const range = parseDayRange(text, ctx);
          if (range.ok) return { value: range.value, text };
        }
        return null;
      },
    } satisfies SkillSlot<{ from: string; to: string; label: string }>,
  ],
  args: z.object({ when: z.object({ from: isoWithOffset, to: isoWithOffset, label: z.string().min(1).max(100) }).optional() }),
  run({ when }, ctx) {
    const all = numberAll(ctx.store.listReminders());
    const from = when ? new Date(when.from).getTime() : -Infinity;
    const to = when ? new Date(when.to).getTime() : Infinity;
    const shown = all.filter(({ reminder }) => reminder.due.getTime() >= from && reminder.due.getTime() < to);
    const period = when ? ` ${when.label}` : '';
    const result = shown.map(({ reminder, number }) => reminderResult(reminder, ctx, number));
    if (shown.length === 0) return { reply: `You have no reminders${period}.`, result };
    return { reply: `You have ${plural(shown.length, 'reminder')}${period}:\n${numbered(shown, ctx)}`, result };
  },
};

/** Words of a reminder description that do not tell reminders apart. */
const FILLER = new Set([
  'the', 'a', 'an', 'my', 'to', 'about', 'that', 'reminder', 'reminders', 'one', 'for', 'remind', 'me', 'i', 'of', 'on',
  'at', 'with', 'please', 'cancel', 'delete', 'remove', 'thing', 'it',
]);

function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function keywords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !FILLER.has(w))
    .map(stem);
}

/** How many words of the description the reminder shares ("dentist" ~ "dentist's", "pill" ~ "pills"). */
function overlap(description: string[], reminder: Reminder): number {
  const words = keywords(reminder.text);
  return description.filter((d) => words.some((w) => w === d || (d.length >= 4 && w.startsWith(d)))).length;
}

/** "2", "the second one", "number 3", "the last one": a position, or null. */
function positionOf(text: string, count: number): number | null {
  const t = text.toLowerCase().replace(/\b(?:reminder|reminders)\b/g, ' ').replace(/\s+/g, ' ').trim();
  if (/^(?:the )?last(?: one)?$/.test(t)) return count;
  const n = parseNumber(t);
  return n.ok ? n.value : null;
}

type CancelArgs = { reminder?: string; number?: number };

type Target =
  | { kind: 'found'; reminder: Reminder; number: number }
  | { kind: 'only'; reminder: Reminder; number: number }
  | { kind: 'empty' }
  | { kind: 'ask'; all: { reminder: Reminder; number: number }[] }
  | { kind: 'ambiguous'; description: string; matches: { reminder: Reminder; number: number }[] }
  | { kind: 'no_match'; description: string; all: { reminder: Reminder; number: number }[] }
  | { kind: 'out_of_range'; number: number; all: { reminder: Reminder; number: number }[] };

/** Which reminder a cancel request means, from its number or the best word overlap of its description. */
function target({ reminder, number }: CancelArgs, ctx: SkillContext): Target {
  const all = numberAll(ctx.store.listReminders());
  if (all.length === 0) return { kind: 'empty' };
  const position = number ?? (reminder === undefined ? null : positionOf(reminder, all.length));
  if (position !== null) {
    const hit = all[position - 1];
    return Number.isInteger(position) && hit ? { kind: 'found', ...hit } : { kind: 'out_of_range', number: position, all };
  }
  if (reminder === undefined) return all.length === 1 ? { kind: 'only', ...all[0] } : { kind: 'ask', all };
  const words = keywords(reminder);
  const scored = all.map((r) => ({ ...r, score: overlap(words, r.reminder) }));
  const best = Math.max(...scored.map((s) => s.score));
  const matches = best > 0 ? scored.filter((s) => s.score === best).map(({ reminder: r, number: n }) => ({ reminder: r, number: n })) : byTime(reminder, all, ctx);
  if (matches.length === 0) return { kind: 'no_match', description: reminder, all };
  if (matches.length === 1) return { kind: 'found', ...matches[0] };
  return { kind: 'ambiguous', description: reminder, matches };
}

/** A time of day with no day: "3pm", "at 17:30", "noon", "5 o'clock". */
const TIME_ONLY = /^\s*(?:at\s+)?(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|midday|midnight|\d{1,2}\s*o'?clock)\s*$/i;

/**
 * Reminders a time or a day describes: "the 3pm one" (that time of day, any day), "tomorrow's",
 * "friday at 9" (that instant, else that day).
 */
function byTime(description: string, all: { reminder: Reminder; number: number }[], ctx: SkillContext): { reminder: Reminder; number: number }[] {
  const dt = parseDateTime(description, ctx);
  if (dt.ok && TIME_ONLY.test(description)) {
    const clock = (iso: string) => iso.slice(11, 16);
    return all.filter((r) => clock(toIso(r.reminder.due, ctx.timeZone)) === clock(dt.value.iso));
  }
  if (dt.ok && dt.value.hasTime) {
    const at = new Date(dt.value.iso).getTime();
    const exact = all.filter((r) => r.reminder.due.getTime() === at);
    if (exact.length > 0) return exact;
  }
  const day = parseDayRange(description, ctx);
  if (!day.ok) return [];
  const from = new Date(day.value.from).getTime();
  const to = new Date(day.value.to).getTime();
  return all.filter((r) => r.reminder.due.getTime() >= from && r.reminder.due.getTime() < to);
}

/** Cancels one reminder, named by description ("the dentist one") or number ("reminder 2"). */
export const cancelReminder: Skill<CancelArgs> = {
  name: 'reminders.cancel',
  description: 'cancel reminders',
  slots: [
    {
      name: 'reminder',
      required: false,
      prompt: 'Which one should I cancel?',
      example: 'the second one',
      parse(text): Parsed<string> {
        const t = cleanTask(text);
        return t ? { ok: true, value: t } : { ok: false, reason: "I didn't catch which reminder.", example: 'the second one' };
      },
    } satisfies SkillSlot<string>,
    {
      name: 'number',
      required: false,
      prompt: 'Which number?',
      example: '2',
      parse(text, ctx): Parsed<number> {
        // "the last one": its position is the length of the list right now.
        if (/^\s*(?:the\s+)?last(?:\s+one)?\s*$/i.test(text)) return { ok: true, value: Math.max(1, ctx.store.listReminders().length) };
        const n = parseNumber(text);
        if (n.ok && Number.isInteger(n.value) && n.value >= 1) return n;
        return { ok: false, reason: `"${text.trim()}" is not a reminder number.`, example: '2' };
      },
    } satisfies SkillSlot<number>,
  ],
  args: z.object({ reminder: z.string().trim().min(1).max(MAX_TASK).optional(), number: z.number().int().positive().optional() }),
  validate(args, ctx): ArgumentProblem | null {
    const t = target(args, ctx);
    if (t.kind === 'ask') {
      return { slot: 'reminder', reason: `You have ${plural(t.all.length, 'reminder')}: ${numberedInline(t.all, ctx)}.`, example: 'the second one' };
    }
    if (t.kind === 'ambiguous') {
      return {
        slot: 'reminder',
        reason: `${t.matches.length} reminders match "${t.description}": ${numberedInline(t.matches, ctx)}.`,
        example: `number ${t.matches[0].number}`,
      };
    }
    return null;
  },
  confirm(args, ctx) {
    const t = target(args, ctx);
    if (t.kind !== 'only') return null;
    return `Cancel your reminder ${remindPhrase(t.reminder.text)} ${formatDateTime(toIso(t.reminder.due, ctx.timeZone), ctx)}?`;
  },
  run(args, ctx) {
    const t = target(args, ctx);
    switch (t.kind) {
      case 'found':
      case 'only': {
        ctx.store.cancelReminder(t.reminder.id);
        const due = toIso(t.reminder.due, ctx.timeZone);
        return { reply: `OK, I cancelled your reminder ${remindPhrase(t.reminder.text)} ${formatDateTime(due, ctx)}.`, result: reminderResult(t.reminder, ctx, t.number) };
      }
      case 'empty':
        return { status: 'failed', reply: 'You have no reminders to cancel.', result: null };
      case 'no_match':
        return { status: 'failed', reply: `None of your reminders matches "${t.description}". You have:\n${numbered(t.all, ctx)}`, result: null };
      case 'out_of_range':
        return {
          status: 'failed',
          reply: `There is no reminder ${t.number}; you have ${plural(t.all.length, 'reminder')}:\n${numbered(t.all, ctx)}`,
          result: null,
        };
      case 'ask':
        return { status: 'failed', reply: `Which reminder should I cancel? You have:\n${numbered(t.all, ctx)}`, result: null };
      case 'ambiguous':
        return { status: 'failed', reply: `Which one should I cancel?\n${numbered(t.matches, ctx)}`, result: null };
    }
  },
  undo(result, ctx) {
    const r = result as { text?: unknown; due?: unknown } | null;
    if (typeof r?.text !== 'string' || typeof r.due !== 'string' || Number.isNaN(Date.parse(r.due))) return false;
    ctx.store.addReminder({ text: r.text, due: new Date(r.due), now: ctx.now });
    return true;
  },
};

/** Deletes every pending reminder, after a yes. */
export const cancelAllReminders: Skill<Record<string, never>> = {
  name: 'reminders.cancel_all',
  description: 'delete all reminders',
  slots: [],
  args: z.object({}),
  confirm(_args, ctx) {
    const all = ctx.store.listReminders();
    if (all.length === 0) return null;
    if (all.length === 1) return `Delete your only reminder (${yourise(all[0].text)}, ${shortWhen(toIso(all[0].due, ctx.timeZone), ctx)})?`;
    return `Delete all ${all.length} reminders?`;
  },
  run(_args, ctx) {
    const before = ctx.store.listReminders();
    const deleted = ctx.store.cancelAllReminders();
    const result = { deleted, reminders: before.map((r) => reminderResult(r, ctx)) };
    if (deleted === 0) return { reply: 'You have no reminders to delete.', result };
    return { reply: deleted === 1 ? 'Deleted your reminder.' : `Deleted all ${deleted} reminders.`, result };
  },
  undo(result, ctx) {
    const list = (result as { reminders?: unknown } | null)?.reminders;
    if (!Array.isArray(list) || list.length === 0) return false;
    for (const r of list as { text?: unknown; due?: unknown }[]) {
      if (typeof r?.text === 'string' && typeof r.due === 'string' && !Number.isNaN(Date.parse(r.due))) {
        ctx.store.addReminder({ text: r.text, due: new Date(r.due), now: ctx.now });
      }
    }
    return true;
  },
};

/** The reminder skills, for the registry. */
export const reminderSkills = [createReminder, listReminders, cancelReminder, cancelAllReminders] as const;
