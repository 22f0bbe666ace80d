import { describe, expect, it } from 'vitest';
import { findDuration, formatDuration, parseDuration } from './duration.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('parseDuration', () => {
  it.each([
    ['10 minutes', 10 * MINUTE],
    ['10 min', 10 * MINUTE],
    ['10 mins', 10 * MINUTE],
    ['an hour and a half', 90 * MINUTE],
    ['1h30', 90 * MINUTE],
    ['2h30m', 150 * MINUTE],
    ['1m30s', 90 * SECOND],
    ['90 seconds', 90 * SECOND],
    ['half an hour', 30 * MINUTE],
    ['2 and a half hours', 150 * MINUTE],
    ['two and a half hours', 150 * MINUTE],
    ['five minutes', 5 * MINUTE],
    ['twenty five minutes', 25 * MINUTE],
    ['a minute', MINUTE],
    ['an hour', HOUR],
    ['1 hour 30 minutes', 90 * MINUTE],
    ['1 hour and 15 minutes', 75 * MINUTE],
    ['quarter of an hour', 15 * MINUTE],
    ['three quarters of an hour', 45 * MINUTE],
    ['1.5 hours', 90 * MINUTE],
    ['for 10 minutes', 10 * MINUTE],
    ['10-minute', 10 * MINUTE],
  ])('reads %j', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: { ms } });
  });

  it.each(['banana', '10', 'minutes', '', '5 minutes 3 minutes', 'tomorrow'])('rejects %j with an example', (text) => {
    const parsed = parseDuration(text);
    expect(parsed).toMatchObject({ ok: false, example: '10 minutes' });
  });

  it('says why zero and absurd lengths are refused', () => {
    expect(parseDuration('0 minutes')).toMatchObject({ ok: false, reason: 'A duration has to be longer than zero.' });
    expect(parseDuration('900 days')).toMatchObject({ ok: false, reason: expect.stringContaining('longer than a year') });
  });
});

describe('findDuration', () => {
  it('finds the first duration with its offsets', () => {
    const utterance = 'set a pasta timer for 10 minutes please';
    const found = findDuration(utterance);
    expect(found).toEqual({ value: { ms: 10 * MINUTE }, text: '10 minutes', start: 22, end: 32 });
    expect(utterance.slice(found!.start, found!.end)).toBe(found!.text);
  });

  it('takes the longest reading at the first place one starts', () => {
    expect(findDuration('timer for an hour and a half')?.text).toBe('an hour and a half');
    expect(findDuration('remind me in five minutes.')?.text).toBe('five minutes');
  });

  it('keeps a sign before the amount, so that a negative length is refused rather than read as positive', () => {
    expect(findDuration('set a timer for minus 5 minutes')).toMatchObject({ value: { ms: -300_000 }, text: 'minus 5 minutes' });
    expect(findDuration('timer for -10 seconds')).toMatchObject({ value: { ms: -10_000 }, text: '-10 seconds' });
    expect(parseDuration('negative 2 hours')).toEqual({ ok: true, value: { ms: -7_200_000 } });
  });

  it('returns null when there is none', () => {
    expect(findDuration('what timers are running')).toBeNull();
    expect(findDuration('a'.repeat(10_000))).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [10 * MINUTE, '10 minutes'],
    [90 * MINUTE, '1 hour 30 minutes'],
    [45 * SECOND, '45 seconds'],
    [MINUTE + SECOND, '1 minute 1 second'],
    [26 * HOUR, '1 day 2 hours'],
    [0, '0 seconds'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
