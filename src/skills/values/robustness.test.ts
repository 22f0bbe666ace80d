/** Property tests: no value parser throws, whatever the text, and garbage is refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Parsed } from '../types.js';
import { findDateTime, parseDateTime, parseDayRange, type ValueContext } from './datetime.js';
import { findDuration, parseDuration } from './duration.js';
import { evaluateMath } from './math.js';
import { parseNumber } from './number.js';
import { resolvePlace } from './places.js';
import { convertUnits, findConversion, parseQuantity, parseUnit } from './units.js';

const ctx: ValueContext = { now: new Date('2026-11-25T10:00:00Z'), timeZone: 'Europe/London' };

const parsers: [string, (text: string) => Parsed<unknown>][] = [
  ['parseDateTime', (t) => parseDateTime(t, ctx)],
  ['parseDayRange', (t) => parseDayRange(t, ctx)],
  ['parseDuration', parseDuration],
  ['parseNumber', parseNumber],
  ['evaluateMath', evaluateMath],
  ['parseQuantity', parseQuantity],
  ['parseUnit', parseUnit],
  ['convertUnits', (t) => convertUnits(t, t)],
  ['resolvePlace', resolvePlace],
];
const finders: [string, (text: string) => unknown][] = [
  ['findDateTime', (t) => findDateTime(t, ctx)],
  ['findDuration', findDuration],
  ['findConversion', findConversion],
];

/** Any text: printable, full Unicode, and strings built from the words the parsers look for. */
const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(
      fc.constantFrom('at', '5', 'pm', 'in', 'of', 'the', 'and', 'a', 'half', 'hour', 'minutes', '%', '(', ')', '^', '/', '-', ',', '.', '1e308', 'to', 'km', 'miles', 'christmas', 'next', 'friday', 'twelve', 'hundred', 'sqrt', 'mod', '!', ':', 'UTC+', '°'),
      { maxLength: 25 },
    )
    .map((words) => words.join(' ')),
);

/** Text no parser should read: letters that spell no number, unit, date or place, and symbols. */
const garbage = fc
  .array(fc.constantFrom('q', 'x', 'z', 'j', 'v', 'w', 'q', '#', '@', '~'), { minLength: 1, maxLength: 40 })
  .map((chars) => chars.join(''))
  .filter((s) => /[a-z]{2}/.test(s) || /^[#@~]+$/.test(s));

function check(result: Parsed<unknown>): void {
  expect(typeof result.ok).toBe('boolean');
  if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
}

describe('value parsers', () => {
  it.each(parsers)('%s never throws', (_name, parse) => {
    fc.assert(
      fc.property(anyText, (text) => {
        check(parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it.each(finders)('%s never throws', (_name, find) => {
    fc.assert(
      fc.property(anyText, (text) => {
        find(text);
      }),
      { numRuns: 200 },
    );
  });

  it.each(parsers)('%s refuses garbage', (_name, parse) => {
    fc.assert(
      fc.property(garbage, (text) => {
        expect(parse(text).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it.each([...parsers, ...finders.map(([n, f]) => [n, (t: string) => ({ ok: f(t) !== null, reason: 'none' }) as Parsed<unknown>] as const)])(
    '%s copes with 10,000 characters quickly',
    (_name, parse) => {
      const inputs = ['x'.repeat(10_000), 'tomorrow at 5pm '.repeat(625), '1 '.repeat(5_000), '('.repeat(10_000), '5 miles to km '.repeat(700)];
      const started = performance.now();
      for (const input of inputs) check(parse(input));
      expect(performance.now() - started).toBeLessThan(2_000);
    },
  );

  it('parsers refuse long random text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 10_000, maxLength: 10_000 }), (text) => {
        for (const [, parse] of parsers) expect(parse(text).ok).toBe(false);
      }),
      { numRuns: 3 },
    );
  });
});
