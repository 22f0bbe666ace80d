/**
 * Countdown timers: start one ("set a pasta timer for 10 minutes"), list them, ask how long is
 * left, cancel one or all. A timer is found by its name, or by its length when it has none
 * ("the 10 minute timer").
 */
import { z } from 'zod';
import type { Timer } from '../store/types.js';
import type { ArgumentProblem, Parsed, Skill, SkillContext, SkillSlot } from './types.js';
import { toIso } from './values/datetime.js';
import { findDuration, formatDuration, parseDuration } from './values/duration.js';
import { parseNumber } from './values/number.js';

/** The longest timer: a day. Longer waits are reminders. */
export const MAX_TIMER_MS = 24 * 60 * 60 * 1000;
const MAX_NAME = 60;

/** A timer name as stored: lower-case, without "the"/"a"/"my" and a trailing "timer"; "all timers" → "all". */
export function normaliseTimerName(text: string): string {
  const t = text
    .toLowerCase()
    .replace(/[.!?]+$/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:(?:the|a|an|my|your|this|that)\s+)+/, '')
    .replace(/\s*\btimers?$/, '')
    .replace(/\s+one$/, '')
    .trim();
  if (/^(?:all|all of them|both|every|everything|every one|all the|all my|all of my)$/.test(t)) return 'all';
  return t;
}

function nameSlot(prompt: string, example: string): SkillSlot<string> {
  return {
    name: 'name',
    required: false,
    prompt,
    example,
    parse(text: string): Parsed<string> {
      const name = normaliseTimerName(text);
      if (!name) return { ok: false, reason: "I didn't catch the timer's name.", example };
      if (name.length > MAX_NAME) return { ok: false, reason: `A timer name can be at most ${MAX_NAME} characters.`, example };
      return { ok: true, value: name };
    },
  };
}

/** How a timer is called in a reply: "the pasta timer", "the timer for 10 minutes". */
function label(t: Timer): string {
  return t.name ? `the ${t.name} timer` : `the timer for ${formatDuration(t.durationMs)}`;
}

function remainingMs(t: Timer, now: Date): number {
  return Math.max(0, t.endsAt.getTime() - now.getTime());
}

/** "8 minutes 20 seconds left", or "finished" when it has run out. */
function remainingText(t: Timer, now: Date): string {
  const ms = remainingMs(t, now);
  // Round up to the second: a timer with 0.4 s to go has not finished.
  return ms === 0 ? 'finished' : `${formatDuration(Math.ceil(ms / 1000) * 1000)} left`;
}

function timerResult(t: Timer, ctx: SkillContext) {
  return { id: t.id, name: t.name, durationMs: t.durationMs, endsAt: toIso(t.endsAt, ctx.timeZone), remainingMs: remainingMs(t, ctx.now) };
}

/** "a pasta", "an egg". */
function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One line per timer: "1. the pasta timer: 8 minutes left". */
function lines(timers: Timer[], now: Date): string[] {
  return timers.map((t, i) => `${i + 1}. ${capitalise(label(t))}: ${remainingText(t, now)}`);
}

/** The timers a name refers to: by name (ignoring a plural "s"), else by length ("10 minute"). */
function matching(timers: Timer[], name: string): Timer[] {
  const key = (s: string) => s.replace(/s$/, '');
  const byName = timers.filter((t) => t.name !== null && key(t.name) === key(name));
  if (byName.length > 0) return byName;
  const length = parseDuration(name);
  if (length.ok) return timers.filter((t) => t.durationMs === length.value.ms);
  return timers.filter((t) => t.name !== null && t.name.split(' ').some((w) => key(w) === key(name)));
}

function noTimers(): { reply: string; status: 'failed'; result: [] } {
  return { reply: "You don't have any timers running.", status: 'failed', result: [] };
}

type StartArgs = { duration: number; name?: string };

/** Starts a countdown ("set a timer for 10 minutes"); `duration` is in milliseconds. */
export const startTimer: Skill<StartArgs> = {
  name: 'timers.start',
  description: 'set timers',
  slots: [
    {
      name: 'duration',
      required: true,
      prompt: 'For how long?',
      example: '10 minutes',
      parse(text: string): Parsed<number> {
        const parsed = parseDuration(text);
        return parsed.ok ? { ok: true, value: parsed.value.ms } : parsed;
      },
      find(utterance: string) {
        const found = findDuration(utterance);
        return found ? { value: found.value.ms, text: found.text } : null;
      },
    } satisfies SkillSlot<number>,
    nameSlot('What should I call the timer?', 'pasta'),
  ],
  args: z.object({ duration: z.number().int().nonnegative(), name: z.string().trim().min(1).max(MAX_NAME).optional() }),
  validate({ duration }): ArgumentProblem | null {
    if (duration <= 0) return { slot: 'duration', reason: 'A timer has to run for longer than zero seconds.', example: '10 minutes' };
    if (duration > MAX_TIMER_MS) {
      return { slot: 'duration', reason: `Timers can run for up to 24 hours (that was ${formatDuration(duration)}); for longer, set a reminder.`, example: '2 hours' };
    }
    return null;
  },
  run({ duration, name }, ctx) {
    const clean = name === undefined ? null : normaliseTimerName(name) || null;
    const timer = ctx.store.addTimer({ name: clean, durationMs: duration, now: ctx.now });
    const what = clean ? `${capitalise(clean)} timer` : 'Timer';
    return { reply: `${what} set for ${formatDuration(duration)}.`, result: timerResult(timer, ctx) };
  },
  undo(result, ctx) {
    const id = (result as { id?: unknown } | null)?.id;
    return typeof id === 'number' && ctx.store.cancelTimer(id);
  },
};

/** Lists the running timers with the time left on each. */
export const listTimers: Skill<Record<string, never>> = {
  name: 'timers.list',
  description: 'list timers',
  slots: [],
  args: z.object({}),
  run(_args, ctx) {
    const timers = ctx.store.listTimers();
    if (timers.length === 0) return { reply: "You don't have any timers running.", result: [] };
    const head = timers.length === 1 ? 'You have 1 timer:' : `You have ${timers.length} timers:`;
    return { reply: [head, ...lines(timers, ctx.now)].join('\n'), result: timers.map((t) => timerResult(t, ctx)) };
  },
};

type NameArgs = { name?: string };

/** How long is left: on the named timer, the only one, or each of them. */
export const timerRemaining: Skill<NameArgs> = {
  name: 'timers.remaining',
  description: 'check timers',
  slots: [nameSlot('Which timer?', 'pasta')],
  args: z.object({ name: z.string().trim().min(1).max(MAX_NAME).optional() }),
  run({ name }, ctx) {
    const timers = ctx.store.listTimers();
    if (timers.length === 0) return noTimers();
    const key = name === undefined ? 'all' : normaliseTimerName(name);
    const chosen = key === 'all' ? timers : matching(timers, key);
    if (chosen.length === 0) {
      return {
        status: 'failed',
        reply: [`You don't have ${article(key ?? '')} ${key} timer. Running now:`, ...lines(timers, ctx.now)].join('\n'),
        result: timers.map((t) => timerResult(t, ctx)),
      };
    }
    if (chosen.length === 1) {
      const t = chosen[0];
      const reply = remainingMs(t, ctx.now) === 0 ? `${capitalise(label(t))} has finished.` : `${capitalise(remainingText(t, ctx.now))} on ${label(t)}.`;
      return { reply, result: [timerResult(t, ctx)] };
    }
    return { reply: [`You have ${chosen.length} timers:`, ...lines(chosen, ctx.now)].join('\n'), result: chosen.map((t) => timerResult(t, ctx)) };
  },
};

/** Cancels the named timer, the only one, or all; asks which when there are several. */
export const cancelTimer: Skill<NameArgs> = {
  name: 'timers.cancel',
  description: 'cancel timers',
  slots: [nameSlot('Which timer should I cancel? You can also say "all".', 'all')],
  args: z.object({ name: z.string().trim().min(1).max(MAX_NAME).optional() }),
  validate({ name }, ctx): ArgumentProblem | null {
    const timers = ctx.store.listTimers();
    if (name !== undefined || timers.length < 2) return null;
    const example = timers.find((t) => t.name)?.name ?? 'the first one';
    const inline = timers.map((t, i) => `${i + 1}. ${label(t)} (${remainingText(t, ctx.now)})`).join('; ');
    return { slot: 'name', reason: `You have ${timers.length} timers: ${inline}.`, example };
  },
  run({ name }, ctx) {
    const timers = ctx.store.listTimers();
    if (timers.length === 0) return noTimers();
    const key = name === undefined ? null : normaliseTimerName(name);
    let chosen: Timer[];
    if (key === 'all') chosen = timers;
    else if (key === null) chosen = timers.slice(0, 1);
    else {
      chosen = matching(timers, key);
      if (chosen.length === 0) chosen = byPosition(timers, key);
      // Two timers of one name: the one ending first, and say that the other still runs.
      chosen = chosen.slice(0, 1);
    }
    if (chosen.length === 0) {
      return {
        status: 'failed',
        reply: [`You don't have ${article(key ?? '')} ${key} timer. Running now:`, ...lines(timers, ctx.now)].join('\n'),
        result: timers.map((t) => timerResult(t, ctx)),
      };
    }
    for (const t of chosen) ctx.store.cancelTimer(t.id);
    const result = chosen.map((t) => timerResult(t, ctx));
    if (key === 'all') {
      return { reply: chosen.length === 1 ? `Cancelled ${label(chosen[0])}.` : `Cancelled all ${chosen.length} timers.`, result };
    }
    const left = timers.length - chosen.length;
    const still = left > 0 ? ` ${left === 1 ? '1 other timer is' : `${left} other timers are`} still running.` : '';
    return { reply: `Cancelled ${label(chosen[0])}.${still}`, result };
  },
};

/** "the first one", "2", "the last one": a position in the list the question showed. */
function byPosition(timers: Timer[], key: string): Timer[] {
  if (/^last(?: one)?$/.test(key)) return timers.slice(-1);
  const n = parseNumber(key);
  return n.ok && Number.isInteger(n.value) && n.value >= 1 && n.value <= timers.length ? [timers[n.value - 1]] : [];
}

/** The timer skills, for the registry. */
export const timerSkills = [startTimer, listTimers, timerRemaining, cancelTimer] as const;
