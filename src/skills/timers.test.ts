import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore, type Store } from '../store/index.js';
import { cancelTimer, listTimers, normaliseTimerName, startTimer, timerRemaining, timerSkills } from './timers.js';
import type { SkillContext, SkillSlot } from './types.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const MINUTE = 60_000;

let store: Store;
let ctx: SkillContext;
beforeEach(() => {
  store = createMemoryStore();
  ctx = context('Europe/London');
  return () => store.close();
});

function context(timeZone: string, now = NOW, user = 'alice'): SkillContext {
  return { user, now, timeZone, store: store.forUser(user) };
}

/** The same user, `seconds` later. */
const later = (seconds: number) => context(ctx.timeZone, new Date(NOW.getTime() + seconds * 1000));

function slot(skill: { slots: SkillSlot[] }, name: string): SkillSlot {
  return skill.slots.find((s) => s.name === name)!;
}

function read(skill: { slots: SkillSlot[] }, name: string, text: string): never {
  const parsed = slot(skill, name).parse(text, ctx);
  if (!parsed.ok) throw new Error(`${name} "${text}": ${parsed.reason}`);
  return parsed.value as never;
}

function start(duration: string, name?: string, c = ctx) {
  const args = startTimer.args.parse({ duration: read(startTimer, 'duration', duration), ...(name ? { name: read(startTimer, 'name', name) } : {}) });
  expect(startTimer.validate?.(args, c)).toBeNull();
  return startTimer.run(args, c);
}

describe('timers.start', () => {
  it('declares the contract slots and reads durations and names', () => {
    expect(timerSkills.map((s) => s.name)).toEqual(['timers.start', 'timers.list', 'timers.remaining', 'timers.cancel']);
    expect(startTimer.slots.map((s) => [s.name, s.required, s.prompt, s.example])).toEqual([
      ['duration', true, 'For how long?', '10 minutes'],
      ['name', false, 'What should I call the timer?', 'pasta'],
    ]);
    expect(read(startTimer, 'duration', '10 minutes')).toBe(10 * MINUTE);
    expect(read(startTimer, 'duration', 'an hour and a half')).toBe(90 * MINUTE);
    expect(slot(startTimer, 'duration').find?.('set a pasta timer for 10 minutes please', ctx)).toEqual({ value: 10 * MINUTE, text: '10 minutes' });
    expect(slot(startTimer, 'duration').parse('soon', ctx).ok).toBe(false);
    expect(slot(startTimer, 'duration').parse('0 minutes', ctx).ok).toBe(false);
    expect(read(startTimer, 'name', 'the Pasta timer')).toBe('pasta');
    expect(normaliseTimerName('all timers')).toBe('all');
    expect(normaliseTimerName('my egg one')).toBe('egg');
  });

  it('starts a timer and says for how long', () => {
    const outcome = start('10 minutes');
    expect(outcome.reply).toBe('Timer set for 10 minutes.');
    const [timer] = ctx.store.listTimers();
    expect(outcome.result).toEqual({ id: timer.id, name: null, durationMs: 10 * MINUTE, endsAt: '2026-11-25T10:10:00+00:00', remainingMs: 10 * MINUTE });
    expect(JSON.parse(JSON.stringify(outcome.result))).toEqual(outcome.result);
  });

  it('names a timer', () => {
    expect(start('an hour and a half', 'pasta').reply).toBe('Pasta timer set for 1 hour 30 minutes.');
    expect(ctx.store.listTimers()[0].name).toBe('pasta');
  });

  it('gives the end time in the user zone', () => {
    const ny = context('America/New_York');
    expect(start('10 minutes', undefined, ny).result).toMatchObject({ endsAt: '2026-11-25T05:10:00-05:00' });
  });

  it('refuses a zero duration and one longer than a day, on the duration slot', () => {
    expect(startTimer.validate?.({ duration: 0 }, ctx)).toEqual({ slot: 'duration', reason: 'A timer has to run for longer than zero seconds.', example: '10 minutes' });
    const tooLong = startTimer.validate?.({ duration: 25 * 60 * MINUTE }, ctx);
    expect(tooLong?.slot).toBe('duration');
    expect(tooLong?.reason).toContain('up to 24 hours');
    expect(startTimer.validate?.({ duration: 24 * 60 * MINUTE }, ctx)).toBeNull();
  });

  it('rejects arguments that break the schema', () => {
    expect(startTimer.args.safeParse({ duration: 600_000 }).success).toBe(true);
    expect(startTimer.args.safeParse({ duration: '10 minutes' }).success).toBe(false);
    expect(startTimer.args.safeParse({ duration: -1 }).success).toBe(false);
    expect(startTimer.args.safeParse({ duration: 1.5 }).success).toBe(false);
    expect(startTimer.args.safeParse({}).success).toBe(false);
    expect(startTimer.args.safeParse({ duration: 1000, name: '' }).success).toBe(false);
  });

  it('can be undone', () => {
    const outcome = start('10 minutes');
    expect(startTimer.undo?.(outcome.result, ctx)).toBe(true);
    expect(ctx.store.listTimers()).toEqual([]);
  });
});

describe('timers.list', () => {
  it('says when no timer is running', () => {
    expect(listTimers.run({}, ctx)).toEqual({ reply: "You don't have any timers running.", result: [] });
  });

  it('lists timers, soonest end first, with the time left', () => {
    start('10 minutes', 'pasta');
    start('90 seconds');
    const outcome = listTimers.run({}, later(40));
    expect(outcome.reply).toBe(['You have 2 timers:', '1. The timer for 1 minute 30 seconds: 50 seconds left', '2. The pasta timer: 9 minutes 20 seconds left'].join('\n'));
    expect((outcome.result as { remainingMs: number }[]).map((t) => t.remainingMs)).toEqual([50_000, 560_000]);
  });

  it('shows a finished timer that has not been announced yet as finished', () => {
    start('1 minute', 'tea');
    expect(listTimers.run({}, later(61)).reply).toBe('You have 1 timer:\n1. The tea timer: finished');
    store.claimDue(later(61).now);
    expect(listTimers.run({}, later(61)).reply).toBe("You don't have any timers running.");
  });

  it("shows only the user's own timers", () => {
    start('10 minutes');
    expect(listTimers.run({}, context('Europe/London', NOW, 'bob')).result).toEqual([]);
  });
});

describe('timers.remaining', () => {
  it('fails when no timer is running', () => {
    expect(timerRemaining.run({}, ctx)).toEqual({ reply: "You don't have any timers running.", status: 'failed', result: [] });
  });

  it('answers for the only timer without a name', () => {
    start('10 minutes', 'pasta');
    expect(timerRemaining.run({}, later(100)).reply).toBe('8 minutes 20 seconds left on the pasta timer.');
  });

  it('answers for each timer when there are several and no name', () => {
    start('10 minutes', 'pasta');
    start('3 minutes', 'tea');
    expect(timerRemaining.run({}, later(60)).reply).toBe(['You have 2 timers:', '1. The tea timer: 2 minutes left', '2. The pasta timer: 9 minutes left'].join('\n'));
  });

  it('answers for the named timer, by name or by length', () => {
    start('10 minutes', 'pasta');
    start('3 minutes', 'tea');
    start('5 minutes');
    expect(timerRemaining.run({ name: read(timerRemaining, 'name', 'the pasta timer') }, later(30)).reply).toBe('9 minutes 30 seconds left on the pasta timer.');
    expect(timerRemaining.run({ name: '5 minute' }, later(30)).reply).toBe('4 minutes 30 seconds left on the timer for 5 minutes.');
  });

  it('fails for an unknown name and lists what runs', () => {
    start('10 minutes', 'pasta');
    const outcome = timerRemaining.run({ name: 'egg' }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.reply).toBe("You don't have an egg timer. Running now:\n1. The pasta timer: 10 minutes left");
  });

  it('says when the timer has finished', () => {
    start('1 minute', 'tea');
    expect(timerRemaining.run({}, later(75)).reply).toBe('The tea timer has finished.');
  });
});

describe('timers.cancel', () => {
  it('fails when no timer is running', () => {
    expect(cancelTimer.validate?.({}, ctx)).toBeNull();
    expect(cancelTimer.run({}, ctx).status).toBe('failed');
  });

  it('cancels the only timer without asking which', () => {
    start('10 minutes', 'pasta');
    expect(cancelTimer.validate?.({}, ctx)).toBeNull();
    expect(cancelTimer.run({}, ctx).reply).toBe('Cancelled the pasta timer.');
    expect(ctx.store.listTimers()).toEqual([]);
  });

  it('asks which timer, listing them, when there are several and no name', () => {
    start('10 minutes', 'pasta');
    start('3 minutes', 'tea');
    expect(cancelTimer.validate?.({}, later(60))).toEqual({
      slot: 'name',
      reason: 'You have 2 timers: 1. the tea timer (2 minutes left); 2. the pasta timer (9 minutes left).',
      example: 'tea',
    });
    expect(slot(cancelTimer, 'name').prompt).toBe('Which timer should I cancel? You can also say "all".');
  });

  it('cancels the named timer, or one by its position', () => {
    start('10 minutes', 'pasta');
    start('3 minutes', 'tea');
    start('5 minutes');
    expect(cancelTimer.validate?.({ name: 'pasta' }, ctx)).toBeNull();
    expect(cancelTimer.run({ name: read(cancelTimer, 'name', 'the pasta timer') }, ctx).reply).toBe('Cancelled the pasta timer. 2 other timers are still running.');
    expect(cancelTimer.run({ name: read(cancelTimer, 'name', 'the first one') }, ctx).reply).toBe('Cancelled the tea timer. 1 other timer is still running.');
    expect(ctx.store.listTimers().map((t) => t.durationMs)).toEqual([5 * MINUTE]);
  });

  it('cancels all timers on "all"', () => {
    start('10 minutes', 'pasta');
    start('3 minutes', 'tea');
    const outcome = cancelTimer.run({ name: read(cancelTimer, 'name', 'all of them') }, ctx);
    expect(outcome.reply).toBe('Cancelled all 2 timers.');
    expect((outcome.result as unknown[]).length).toBe(2);
    expect(ctx.store.listTimers()).toEqual([]);
  });

  it('fails for an unknown name without cancelling anything', () => {
    start('10 minutes', 'pasta');
    const outcome = cancelTimer.run({ name: 'egg' }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.reply).toContain("You don't have an egg timer.");
    expect(ctx.store.listTimers()).toHaveLength(1);
  });

  it("cannot cancel another user's timer", () => {
    start('10 minutes', 'pasta');
    expect(cancelTimer.run({ name: 'pasta' }, context('Europe/London', NOW, 'bob')).status).toBe('failed');
    expect(ctx.store.listTimers()).toHaveLength(1);
  });

  it('rejects arguments that break the schema', () => {
    expect(cancelTimer.args.safeParse({}).success).toBe(true);
    expect(cancelTimer.args.safeParse({ name: 3 }).success).toBe(false);
    expect(timerRemaining.args.safeParse({ name: 'x'.repeat(61) }).success).toBe(false);
  });
});
