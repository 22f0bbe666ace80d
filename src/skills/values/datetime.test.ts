import { describe, expect, it } from 'vitest';
import { findDateTime, formatDate, formatDateTime, holidayName, parseDateTime, parseDayRange, toIso, type ValueContext } from './datetime.js';

/** Wednesday 25 November 2026, 10:00 UTC. */
const NOW = new Date('2026-11-25T10:00:00Z');
const london: ValueContext = { now: NOW, timeZone: 'Europe/London' };
const newYork: ValueContext = { now: NOW, timeZone: 'America/New_York' };
const tokyo: ValueContext = { now: NOW, timeZone: 'Asia/Tokyo' };

function read(text: string, ctx: ValueContext): { iso: string; hasTime: boolean } {
  const parsed = parseDateTime(text, ctx);
  if (!parsed.ok) throw new Error(`"${text}": ${parsed.reason}`);
  return parsed.value;
}

describe('parseDateTime in Europe/London (10:00 on Wednesday 25 November 2026)', () => {
  it.each([
    ['tomorrow at 5pm', '2026-11-26T17:00:00+00:00', true],
    ['5pm', '2026-11-25T17:00:00+00:00', true],
    ['at 5', '2026-11-25T17:00:00+00:00', true],
    ['at 9', '2026-11-25T21:00:00+00:00', true],
    ['at 11', '2026-11-25T11:00:00+00:00', true],
    ['at five', '2026-11-25T17:00:00+00:00', true],
    ['half past five', '2026-11-25T17:30:00+00:00', true],
    ['half 8', '2026-11-25T20:30:00+00:00', true],
    ['tomorrow at half eight am', '2026-11-26T08:30:00+00:00', true],
    ['in half an hour', '2026-11-25T10:30:00+00:00', true],
    ['5pm on the 1st of december', '2026-12-01T17:00:00+00:00', true],
    ['at 6pm, friday', '2026-11-27T18:00:00+00:00', true],
    ['17:00', '2026-11-25T17:00:00+00:00', true],
    ['in 20 minutes', '2026-11-25T10:20:00+00:00', true],
    ['in an hour', '2026-11-25T11:00:00+00:00', true],
    ['friday', '2026-11-27T09:00:00+00:00', false],
    ['on friday', '2026-11-27T09:00:00+00:00', false],
    ['friday at 5', '2026-11-27T17:00:00+00:00', true],
    ['next monday at 9', '2026-11-30T09:00:00+00:00', true],
    ['tomorrow at 5', '2026-11-26T17:00:00+00:00', true],
    ['on the 3rd of december', '2026-12-03T09:00:00+00:00', false],
    ['the 3rd', '2026-12-03T09:00:00+00:00', false],
    ['dec 24', '2026-12-24T09:00:00+00:00', false],
    ['3/12', '2026-12-03T09:00:00+00:00', false],
    ['july 4th 2027', '2027-07-04T09:00:00+01:00', false],
    ['noon', '2026-11-25T12:00:00+00:00', true],
    ['midnight', '2026-11-26T00:00:00+00:00', true],
    ['tonight', '2026-11-25T20:00:00+00:00', true],
    ['this evening', '2026-11-25T19:00:00+00:00', true],
    ['tomorrow morning', '2026-11-26T09:00:00+00:00', true],
    ['tomorrow', '2026-11-26T09:00:00+00:00', false],
    ['in 2 days', '2026-11-27T09:00:00+00:00', false],
    ['wednesday', '2026-11-25T09:00:00+00:00', false],
    ['wednesday at 9', '2026-12-02T09:00:00+00:00', true],
    ['9am', '2026-11-26T09:00:00+00:00', true],
  ])('%j → %s', (text, iso, hasTime) => {
    expect(read(text, london)).toEqual({ iso, hasTime });
  });

  it.each([
    ['christmas', '2026-12-25T09:00:00+00:00'],
    ['Christmas Day', '2026-12-25T09:00:00+00:00'],
    ['xmas eve', '2026-12-24T09:00:00+00:00'],
    ["new year's day", '2027-01-01T09:00:00+00:00'],
    ["New Year's Eve", '2026-12-31T09:00:00+00:00'],
    ['halloween', '2027-10-31T09:00:00+00:00'],
    ["valentine's day", '2027-02-14T09:00:00+00:00'],
    ['independence day', '2027-07-04T09:00:00+01:00'],
    ['thanksgiving', '2026-11-26T09:00:00+00:00'],
    ['christmas 2027', '2027-12-25T09:00:00+00:00'],
  ])('holiday %j → its next date, %s', (text, iso) => {
    expect(read(text, london)).toEqual({ iso, hasTime: false });
  });

  it('combines a holiday with a time', () => {
    expect(read('christmas eve at 6pm', london)).toEqual({ iso: '2026-12-24T18:00:00+00:00', hasTime: true });
  });

  it("a holiday on its own day is today, not next year's", () => {
    const christmasAfternoon = { now: new Date('2026-12-25T15:00:00Z'), timeZone: 'Europe/London' };
    expect(read('christmas', christmasAfternoon).iso).toBe('2026-12-25T09:00:00+00:00');
    expect(read('dec 25', christmasAfternoon).iso).toBe('2026-12-25T09:00:00+00:00');
  });

  it('"at 5" before five in the morning is 05:00', () => {
    expect(read('at 5', { now: new Date('2026-11-25T03:00:00Z'), timeZone: 'Europe/London' }).iso).toBe('2026-11-25T05:00:00+00:00');
  });

  it.each(['banana', 'call mom tomorrow', 'tomorrow and friday', '', '   ', 'reminder 2'])('rejects %j', (text) => {
    expect(parseDateTime(text, london)).toEqual({ ok: false, reason: `I couldn't read "${text.trim()}" as a date or time.`, example: 'tomorrow at 5pm' });
  });

  it('refuses long text without reading it', () => {
    expect(parseDateTime(`tomorrow ${'x'.repeat(300)}`, london).ok).toBe(false);
  });
});

describe('parseDateTime in other zones', () => {
  it('America/New_York (05:00 local)', () => {
    expect(read('tomorrow at 5pm', newYork)).toEqual({ iso: '2026-11-26T17:00:00-05:00', hasTime: true });
    // It is 05:00 exactly: the next 5 o'clock is 17:00.
    expect(read('at 5', newYork).iso).toBe('2026-11-25T17:00:00-05:00');
    expect(read('in 20 minutes', newYork).iso).toBe('2026-11-25T05:20:00-05:00');
    expect(read('12/3', newYork).iso).toBe('2026-12-03T09:00:00-05:00');
    expect(read('christmas', newYork).iso).toBe('2026-12-25T09:00:00-05:00');
  });

  it('Asia/Tokyo (19:00 local)', () => {
    expect(read('tomorrow at 5pm', tokyo)).toEqual({ iso: '2026-11-26T17:00:00+09:00', hasTime: true });
    expect(read('at 5', tokyo).iso).toBe('2026-11-26T05:00:00+09:00');
    expect(read('at 9', tokyo).iso).toBe('2026-11-25T21:00:00+09:00');
    expect(read('noon', tokyo).iso).toBe('2026-11-26T12:00:00+09:00');
    expect(read('in an hour', tokyo).iso).toBe('2026-11-25T20:00:00+09:00');
    expect(read('friday', tokyo).iso).toBe('2026-11-27T09:00:00+09:00');
  });

  it('gives a date across a DST change the offset of that date (London, autumn)', () => {
    // Saturday 24 October 2026, 11:00 BST; clocks go back at 02:00 on Sunday.
    const ctx = { now: new Date('2026-10-24T10:00:00Z'), timeZone: 'Europe/London' };
    expect(read('tomorrow at 5pm', ctx).iso).toBe('2026-10-25T17:00:00+00:00');
    expect(read('in 2 hours', ctx).iso).toBe('2026-10-24T13:00:00+01:00');
    expect(parseDayRange('tomorrow', ctx)).toEqual({
      ok: true,
      value: { from: '2026-10-25T00:00:00+01:00', to: '2026-10-26T00:00:00+00:00', label: 'tomorrow' },
    });
  });

  it('gives a date across a DST change the offset of that date (New York, autumn; London, spring)', () => {
    const ny = { now: new Date('2026-10-31T14:00:00Z'), timeZone: 'America/New_York' };
    expect(read('tomorrow at 9am', ny).iso).toBe('2026-11-01T09:00:00-05:00');
    const spring = { now: new Date('2027-03-27T10:00:00Z'), timeZone: 'Europe/London' };
    expect(read('tomorrow at 9', spring).iso).toBe('2027-03-28T09:00:00+01:00');
  });
});

describe('findDateTime', () => {
  it('finds the time expression in a sentence, with offsets', () => {
    const utterance = 'remind me to call mom tomorrow at 5pm';
    const found = findDateTime(utterance, london);
    expect(found).toEqual({ value: { iso: '2026-11-26T17:00:00+00:00', hasTime: true }, text: 'tomorrow at 5pm', start: 22, end: 37 });
    expect(utterance.slice(found!.start, found!.end)).toBe('tomorrow at 5pm');
  });

  it('finds holidays and spelled hours', () => {
    expect(findDateTime('how many days until christmas', london)?.text).toBe('christmas');
    expect(findDateTime('remind me at five to stretch', london)?.value.iso).toBe('2026-11-25T17:00:00+00:00');
  });

  it('leaves out a leading "on", "at" or "by" unless only an hour would be left', () => {
    expect(findDateTime('remind me to call mom on friday', london)).toMatchObject({ text: 'friday', start: 25, end: 31 });
    expect(findDateTime('remind me at noon to eat', london)).toMatchObject({ text: 'noon', start: 13 });
    expect(findDateTime('remind me at 5 to call mom', london)).toMatchObject({ text: 'at 5', start: 10 });
    expect(parseDateTime('at 5', london).ok).toBe(true);
  });

  it('does not take "for 10 minutes" as a time', () => {
    expect(findDateTime('set a timer for 10 minutes', london)).toBeNull();
    expect(findDateTime('remind me to stretch for 10 minutes at 5pm', london)?.text).toBe('5pm');
    expect(parseDateTime('for 10 minutes', london).ok).toBe(false);
  });

  it('prefers a real date over "the week"', () => {
    expect(findDateTime('what day of the week is July 4th 2027', london)?.text).toBe('July 4th 2027');
    expect(findDateTime('what day of the week is it', london)).toBeNull();
  });

  it('returns null without a time expression', () => {
    expect(findDateTime("what's on my shopping list", london)).toBeNull();
    expect(findDateTime('x'.repeat(10_000), london)).toBeNull();
  });
});

describe('parseDayRange', () => {
  it.each([
    ['today', '2026-11-25', '2026-11-26', 'today'],
    ['for tomorrow', '2026-11-26', '2026-11-27', 'tomorrow'],
    ['this week', '2026-11-25', '2026-11-30', 'this week'],
    ['next week', '2026-11-30', '2026-12-07', 'next week'],
    ['friday', '2026-11-27', '2026-11-28', 'on Friday 27 November'],
    ['on monday', '2026-11-30', '2026-12-01', 'on Monday 30 November'],
    ['this weekend', '2026-11-28', '2026-11-30', 'this weekend'],
    ['christmas 2027', '2027-12-25', '2027-12-26', 'on Saturday 25 December 2027'],
  ])('%j', (text, from, to, label) => {
    expect(parseDayRange(text, london)).toEqual({ ok: true, value: { from: `${from}T00:00:00+00:00`, to: `${to}T00:00:00+00:00`, label } });
  });

  it('uses the offset of the zone', () => {
    expect(parseDayRange('today', tokyo)).toEqual({ ok: true, value: { from: '2026-11-25T00:00:00+09:00', to: '2026-11-26T00:00:00+09:00', label: 'today' } });
  });

  it('rejects what is not a day', () => {
    expect(parseDayRange('banana', london)).toMatchObject({ ok: false, example: 'tomorrow' });
  });
});

describe('formatting', () => {
  it('formatDateTime says today, tomorrow, or the day, with the year when not this year', () => {
    expect(formatDateTime('2026-11-25T17:00:00+00:00', london)).toBe('today at 17:00');
    expect(formatDateTime('2026-11-26T09:00:00+00:00', london)).toBe('tomorrow at 09:00');
    expect(formatDateTime('2026-11-27T17:00:00+00:00', london)).toBe('on Fri 27 Nov at 17:00');
    expect(formatDateTime('2027-01-01T09:00:00+00:00', london)).toBe('on Fri 1 Jan 2027 at 09:00');
  });

  it('formatDateTime reads the instant in the user zone', () => {
    // 23:30 in London on the 25th is 08:30 on the 26th in Tokyo.
    expect(formatDateTime('2026-11-25T23:30:00+00:00', tokyo)).toBe('tomorrow at 08:30');
  });

  it('formatDate and toIso', () => {
    expect(formatDate('2026-11-26T17:00:00+00:00', london)).toBe('Thursday 26 November 2026');
    expect(toIso(NOW, 'Europe/London')).toBe('2026-11-25T10:00:00+00:00');
    expect(toIso(NOW, 'America/New_York')).toBe('2026-11-25T05:00:00-05:00');
    expect(toIso(NOW, 'Asia/Tokyo')).toBe('2026-11-25T19:00:00+09:00');
  });

  it('holidayName', () => {
    expect(holidayName('xmas')).toBe('Christmas');
    expect(holidayName("new years eve")).toBe("New Year's Eve");
    expect(holidayName('friday')).toBeNull();
  });
});

describe('parts of the day after an hour', () => {
  const ctx: ValueContext = { now: new Date('2026-11-25T10:00:00Z'), timeZone: 'Europe/London' };
  it('reads "in the morning" as am and "in the evening" as pm', () => {
    expect(read('tomorrow at six in the morning', ctx).iso).toBe('2026-11-26T06:00:00+00:00');
    expect(read('tomorrow at 8 in the evening', ctx).iso).toBe('2026-11-26T20:00:00+00:00');
    expect(read('tomorrow at six', ctx).iso).toBe('2026-11-26T18:00:00+00:00');
  });
});
