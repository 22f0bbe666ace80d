import { describe, expect, it } from 'vitest';
import { evaluateMath, formatNumber, wordsToSymbols } from './math.js';

function value(text: string): number {
  const parsed = evaluateMath(text);
  if (!parsed.ok) throw new Error(`"${text}": ${parsed.reason}`);
  return parsed.value.value;
}

describe('evaluateMath', () => {
  it.each([
    ['12 times 7 plus 3', 87],
    ['twelve times seven plus three', 87],
    ['what is 2+2?', 4],
    ['15% of 80', 12],
    ['20 percent of 50', 10],
    ['10 + 15% of 80', 22],
    ['50% + 1', 1.5],
    ['square root of 144', 12],
    ['the cube root of 27', 3],
    ['5 squared', 25],
    ['2 cubed', 8],
    ['2 to the power of 10', 1024],
    ['100 divided by 8', 12.5],
    ['10 minus 3', 7],
    ["what's ten minus five", 5],
    ['one hundred and five divided by five', 21],
    ['10 % 3', 1],
    ['7 mod 3', 1],
    ['-7 mod 3', 2],
    ['5!', 120],
    ['factorial of 5', 120],
    ['log 100', 2],
    ['ln(e)', 1],
    ['sin(pi/2)', 1],
    ['sqrt of (16 + 9)', 5],
    ['3 x 4', 12],
    ['12 × 7', 84],
    ['1,000 + 1', 1001],
    ['half of 10', 5],
    ['round(2.567, 2)', 2.57],
    ['-5 + 2', -3],
    ['2 ^ 3 ^ 2', 512],
  ])('%j = %d', (text, expected) => {
    expect(value(text)).toBeCloseTo(expected, 10);
  });

  it('returns the expression as said and a readable display', () => {
    expect(evaluateMath('what is 15% of 80?')).toEqual({ ok: true, value: { expression: '15% of 80', value: 12, display: '12' } });
    expect(evaluateMath('1/3')).toMatchObject({ ok: true, value: { display: '0.3333333333' } });
    expect(evaluateMath('0.1 + 0.2')).toMatchObject({ ok: true, value: { display: '0.3' } });
    expect(evaluateMath('1000000 * 1000000')).toMatchObject({ ok: true, value: { display: '1,000,000,000,000' } });
  });

  it.each([
    ["require('fs')", /function "require"/],
    ['constructor.constructor', /can't look inside objects/],
    ['this', /don't know what "this" is/],
    ["import('fs')", /function "import"/],
    ['f(x) = x', /can't assign variables or define functions/],
    ['a = 1', /can't assign/],
    ['"abc"', /only calculate with numbers/],
    ['[1, 2]', /isn't arithmetic/],
    ['1 == 1', /only do arithmetic/],
    ['x + 1', /don't know what "x" is/],
    ['process.exit()', /look inside objects|function/],
    ['1/0', /can't divide by zero/],
    ['5 mod 0', /dividing by zero/],
    ['2^10000', /too big/],
    ['sqrt(-1)', /real-number answer/],
    ['(((((((((((((((((((((1)))))))))))))))))))))', /nested too deeply/],
    ['1 +', /couldn't read/],
    ['banana', /don't know what "banana" is/],
  ])('refuses %j with a reason', (text, reason) => {
    const parsed = evaluateMath(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toMatch(reason);
      expect(parsed.example).toBe('15% of 80');
    }
  });

  it('refuses input over 200 characters without parsing it', () => {
    expect(evaluateMath(`${'1+'.repeat(5_000)}1`)).toMatchObject({ ok: false, reason: expect.stringContaining('200 characters') });
  });
});

describe('wordsToSymbols', () => {
  it('turns spoken arithmetic into symbols', () => {
    expect(wordsToSymbols('12 times 7 plus 3')).toBe('12 * 7 + 3');
    expect(wordsToSymbols('what is 15% of 80?')).toBe('(15 / 100) * 80');
    expect(wordsToSymbols('square root of 144')).toBe('sqrt(144)');
    expect(wordsToSymbols('2 to the power of 10')).toBe('2 ^ 10');
  });
});

describe('formatNumber', () => {
  it('rounds to 10 significant digits with separators, exponent when huge or tiny', () => {
    expect(formatNumber(12)).toBe('12');
    expect(formatNumber(1234567.891)).toBe('1,234,567.891');
    expect(formatNumber(2 / 3)).toBe('0.6666666667');
    expect(formatNumber(1e21)).toBe('1e+21');
    expect(formatNumber(1.5e-9)).toBe('1.5e-9');
    expect(formatNumber(-0)).toBe('0');
  });
});
