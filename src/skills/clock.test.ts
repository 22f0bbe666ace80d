import { describe, expect, it } from 'vitest';
import type { UserStore } from '../store/types.js';
import { clockDate, clockDaysUntil, clockSkills, clockTime, clockWeekday } from './clock.js';
import type { Skill, SkillContext } from './types.js';

/** Wednesday 25 November 2026, 10:00 UTC. */
const NOW = new Date('2026-11-25T10:00:00Z');

function context(timeZone = 'Europe/London', now = NOW): SkillContext {
  return { user: 'alice', now, timeZone, store: {} as UserStore };
}

/** Fills slots from spans, else finds them in the utterance; validates and runs, as the dialogue manager does. */
function ask(skill: Skill, utterance: string, spans: Record<string, string> = {}, ctx = context()) {
  const values: Record<string, unknown> = {};
  for (const s of skill.slots) {
    if (spans[s.name] !== undefined) {
      const parsed = s.parse(spans[s.name], ctx);
      if (!parsed.ok) return { problem: { slot: s.name, reason: parsed.reason, example: parsed.example } };
      values[s.name] = parsed.value;
    } else {
      const found = s.find?.(utterance, ctx);
      if (found) values[s.name] = found.value;
    }
  }
  const missing = skill.slots.find((s) => s.required && values[s.name] === undefined);
  if (missing) return { missing: missing.prompt };
  const args = skill.args.parse(values);
  const problem = skill.validate?.(args, ctx);
  if (problem) return { problem };
  return { outcome: skill.run(args, ctx) };
}

describe('clock skills', () => {
  it('are all exported', () => {
    expect(clockSkills.map((s) => s.name)).toEqual(['clock.time', 'clock.date', 'clock.weekday', 'clock.days_until']);
  });
});

describe('clock.time', () => {
  it('tells the time in a city', () => {
    expect(ask(clockTime, 'what time is it in Tokyo', { city: 'Tokyo' })).toEqual({
      outcome: {
        reply: "It's 19:00 in Tokyo (Wednesday).",
        status: 'done',
        result: { place: 'Tokyo', timeZone: 'Asia/Tokyo', iso: '2026-11-25T19:00:00+09:00' },
      },
    });
  });

  it('finds the place in the utterance when no span was marked', () => {
    expect(ask(clockTime, "what's the time in new york right now?")).toMatchObject({ outcome: { reply: "It's 05:00 in New York (Wednesday)." } });
    expect(ask(clockTime, 'what time is it in PST')).toMatchObject({ outcome: { reply: "It's 02:00 in PST (Wednesday)." } });
    expect(ask(clockTime, 'what time is it in Auckland')).toMatchObject({ outcome: { reply: "It's 23:00 in Auckland (Wednesday)." } });
    expect(ask(clockTime, 'time in Honolulu')).toMatchObject({ outcome: { reply: "It's 00:00 in Honolulu (Wednesday)." } });
  });

  it('says the weekday of the place, not of the user', () => {
    expect(ask(clockTime, '', { city: 'Sydney' }, context('Europe/London', new Date('2026-11-25T20:00:00Z')))).toMatchObject({
      outcome: { reply: "It's 07:00 in Sydney (Thursday)." },
    });
  });

  it("without a city, tells the time in the user's zone", () => {
    expect(ask(clockTime, 'what time is it')).toEqual({
      outcome: { reply: "It's 10:00 (Wednesday).", status: 'done', result: { place: 'London', timeZone: 'Europe/London', iso: '2026-11-25T10:00:00+00:00' } },
    });
    expect(ask(clockTime, 'what time is it', {}, context('America/New_York'))).toMatchObject({ outcome: { reply: "It's 05:00 (Wednesday)." } });
  });

  it('asks for a city when the place is unknown, marked or not', () => {
    const expected = {
      problem: { slot: 'city', reason: 'I don\'t know a place called "Narnia". Which city, country or time zone do you mean?', example: 'Tokyo' },
    };
    expect(ask(clockTime, 'what time is it in Narnia')).toEqual(expected);
    expect(ask(clockTime, 'what time is it in Narnia', { city: 'Narnia' })).toEqual(expected);
  });

  it('asks which city for a country with several zones', () => {
    expect(ask(clockTime, '', { city: 'USA' })).toMatchObject({ problem: { slot: 'city', reason: expect.stringContaining('several time zones') } });
  });

  it('refuses 10,000 characters', () => {
    expect(ask(clockTime, '', { city: 'x'.repeat(10_000) })).toMatchObject({ problem: { slot: 'city' } });
    expect(ask(clockTime, `what time is it in ${'x '.repeat(5_000)}`)).toMatchObject({ outcome: { reply: "It's 10:00 (Wednesday)." } });
  });
});

describe('clock.date', () => {
  it("tells today's date in the user's zone", () => {
    expect(ask(clockDate, "what's the date today")).toEqual({
      outcome: { reply: 'Today is Wednesday 25 November 2026.', status: 'done', result: { date: '2026-11-25', weekday: 'Wednesday', iso: '2026-11-25T10:00:00+00:00' } },
    });
    // 23:30 UTC is already Thursday in Tokyo.
    expect(ask(clockDate, 'what day is it', {}, context('Asia/Tokyo', new Date('2026-11-25T23:30:00Z')))).toMatchObject({
      outcome: { reply: 'Today is Thursday 26 November 2026.' },
    });
  });

  it('tells the date of another day asked about', () => {
    expect(ask(clockDate, 'what day is it tomorrow')).toMatchObject({ outcome: { reply: 'Tomorrow is Thursday 26 November 2026.', result: { date: '2026-11-26' } } });
    expect(ask(clockDate, 'what was the date yesterday')).toMatchObject({ outcome: { reply: 'Yesterday was Tuesday 24 November 2026.' } });
    expect(ask(clockDate, 'what date is it on friday')).toMatchObject({ outcome: { reply: "That's Friday 27 November 2026." } });
  });
});

describe('clock.weekday', () => {
  it.each([
    ['July 4th 2027', '4 July 2027 is a Sunday.'],
    ['4 July 1776', '4 July 1776 was a Thursday.'],
    ['christmas', 'Christmas (25 December 2026) is a Friday.'],
    ['tomorrow', '26 November 2026 is a Thursday.'],
    ['today', 'Today is a Wednesday.'],
  ])('%j', (span, reply) => {
    expect(ask(clockWeekday, '', { date: span })).toMatchObject({ outcome: { reply, status: 'done' } });
  });

  it('finds the date in the utterance', () => {
    expect(ask(clockWeekday, 'what day of the week is July 4th 2027')).toEqual({
      outcome: { reply: '4 July 2027 is a Sunday.', status: 'done', result: { date: '2027-07-04', weekday: 'Sunday' } },
    });
  });

  it('asks again for a date it cannot read', () => {
    expect(ask(clockWeekday, '', { date: 'banana' })).toEqual({
      problem: { slot: 'date', reason: 'I couldn\'t read "banana" as a date or time.', example: 'Christmas' },
    });
    expect(ask(clockWeekday, 'what day of the week is it')).toEqual({ missing: 'Which date?' });
  });
});

describe('clock.days_until', () => {
  it('counts the days until Christmas', () => {
    expect(ask(clockDaysUntil, 'how many days until christmas')).toEqual({
      outcome: {
        reply: 'There are 30 days until Christmas (Friday 25 December 2026).',
        status: 'done',
        result: { days: 30, date: '2026-12-25', label: 'Christmas' },
      },
    });
  });

  it.each([
    ['today', "That's today!"],
    ['wednesday', "That's today!"],
    ['tomorrow', 'There is 1 day until Thursday 26 November 2026: it\'s tomorrow.'],
    ["new year's day", "There are 37 days until New Year's Day (Friday 1 January 2027)."],
    ['july 4th 2027', 'There are 221 days until Sunday 4 July 2027.'],
    ['1 january 2026', 'Thursday 1 January 2026 was 328 days ago.'],
  ])('%j', (span, reply) => {
    expect(ask(clockDaysUntil, '', { date: span })).toMatchObject({ outcome: { reply } });
  });

  it("counts calendar days in the user's zone", () => {
    // 23:30 UTC on 24 December is already Christmas Day in Tokyo.
    const tokyo = context('Asia/Tokyo', new Date('2026-12-24T23:30:00Z'));
    expect(ask(clockDaysUntil, 'how many days until christmas', {}, tokyo)).toMatchObject({ outcome: { reply: "That's today!" } });
    const london = context('Europe/London', new Date('2026-12-24T23:30:00Z'));
    expect(ask(clockDaysUntil, 'how many days until christmas', {}, london)).toMatchObject({ outcome: { reply: expect.stringContaining('There is 1 day') } });
  });

  it('asks for the date when there is none', () => {
    expect(ask(clockDaysUntil, 'how many days until')).toEqual({ missing: 'Until which date?' });
  });
});
