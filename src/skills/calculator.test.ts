import { describe, expect, it } from 'vitest';
import type { UserStore } from '../store/types.js';
import { calculatorEvaluate, calculatorSkills } from './calculator.js';
import type { SkillContext } from './types.js';

const ctx: SkillContext = { user: 'alice', now: new Date('2026-11-25T10:00:00Z'), timeZone: 'Europe/London', store: {} as UserStore };
const slot = calculatorEvaluate.slots[0];

/** Reads the expression slot from a span, as the dialogue manager does, and runs the skill. */
function ask(span: string) {
  const parsed = slot.parse(span, ctx);
  if (!parsed.ok) return parsed;
  const args = calculatorEvaluate.args.parse({ expression: parsed.value });
  return { ok: true as const, outcome: calculatorEvaluate.run(args, ctx) };
}

describe('calculator.evaluate', () => {
  it('declares its slot', () => {
    expect(calculatorSkills).toContain(calculatorEvaluate);
    expect(calculatorEvaluate.name).toBe('calculator.evaluate');
    expect(slot).toMatchObject({ name: 'expression', required: true, prompt: 'What should I calculate?', example: '15% of 80' });
  });

  it.each([
    ['15% of 80', '15% of 80 is 12.', 12],
    ['12 times 7 plus 3', '12 times 7 plus 3 is 87.', 87],
    ['square root of 144', 'square root of 144 is 12.', 12],
    ['2 to the power of 20', '2 to the power of 20 is 1,048,576.', 1_048_576],
    ['1/3', '1/3 is 0.3333333333.', 1 / 3],
  ])('%j', (span, reply, value) => {
    const answer = ask(span);
    expect(answer).toMatchObject({ ok: true, outcome: { reply, status: 'done', result: { expression: span, value } } });
  });

  it('finds the sum in a whole utterance when no span was marked', () => {
    const found = slot.find?.('what is 15% of 80?', ctx);
    expect(found).toEqual({ value: { expression: '15% of 80', value: 12, display: '12' }, text: '15% of 80' });
    expect(slot.find?.('set a timer for ten minutes', ctx)).toBeNull();
  });

  it.each([
    ["require('fs')", /function "require"/],
    ['constructor.constructor', /can't look inside objects/],
    ['this.process', /can't look inside objects/],
    ['1/0', /divide by zero/],
    ['9'.repeat(10_000), /200 characters/],
  ])('refuses %j with a reason and an example', (span, reason) => {
    const answer = ask(span);
    expect(answer.ok).toBe(false);
    if (!answer.ok) {
      expect(answer.reason).toMatch(reason);
      expect(answer.example).toBe('15% of 80');
    }
  });

  it('its args schema refuses a value that is not a finite number', () => {
    expect(calculatorEvaluate.args.safeParse({ expression: { expression: '1/0', value: Infinity, display: '∞' } }).success).toBe(false);
  });
});
