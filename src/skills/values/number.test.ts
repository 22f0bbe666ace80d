import { describe, expect, it } from 'vitest';
import { numberWordsToDigits, parseNumber } from './number.js';

describe('parseNumber', () => {
  it.each([
    ['3', 3],
    ['1,250.5', 1250.5],
    ['-4', -4],
    ['0.75', 0.75],
    ['twelve', 12],
    ['twenty-one', 21],
    ['one hundred and five', 105],
    ['two thousand and twenty six', 2026],
    ['one million two hundred thousand and six', 1_200_006],
    ['a dozen', 12],
    ['three point one four', 3.14],
    ['second', 2],
    ['the second one', 2],
    ['twenty-first', 21],
    ['3rd', 3],
    ['#3', 3],
    ['number 3', 3],
    ['the 3rd one', 3],
  ])('reads %j as %d', (text, expected) => {
    expect(parseNumber(text)).toEqual({ ok: true, value: expected });
  });

  it.each(['', 'banana', 'five five', 'twenty twenty thirty', 'two thousand three million', 'the', 'there', 'one hundred and', '1.2.3'])(
    'rejects %j with a reason and an example',
    (text) => {
      const parsed = parseNumber(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.reason).toMatch(/couldn't read .* as a number/);
        expect(parsed.example).toBe('3');
      }
    },
  );

  it('rejects long input without reading it', () => {
    expect(parseNumber('one '.repeat(2_500)).ok).toBe(false);
  });
});

describe('numberWordsToDigits', () => {
  it('replaces spelled-out numbers and leaves other words alone', () => {
    expect(numberWordsToDigits('twelve times seven plus three')).toBe('12 times 7 plus 3');
    expect(numberWordsToDigits('one hundred and five and six')).toBe('105 and 6');
    expect(numberWordsToDigits('a dozen eggs')).toBe('12 eggs');
    expect(numberWordsToDigits('wait a second')).toBe('wait a second');
    expect(numberWordsToDigits('someone is on it')).toBe('someone is on it');
  });
});
