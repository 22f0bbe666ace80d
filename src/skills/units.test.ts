import { describe, expect, it } from 'vitest';
import type { UserStore } from '../store/types.js';
import type { SkillContext, SkillSlot } from './types.js';
import { unitSkills, unitsConvert } from './units.js';

const ctx: SkillContext = { user: 'alice', now: new Date('2026-11-25T10:00:00Z'), timeZone: 'Europe/London', store: {} as UserStore };
const slot = (name: string): SkillSlot => unitsConvert.slots.find((s) => s.name === name)!;

/** Fills the slots from the model's spans, else finds them in the utterance, then validates and runs. */
function convert(utterance: string, spans: Record<string, string> = {}) {
  const values: Record<string, unknown> = {};
  for (const s of unitsConvert.slots) {
    if (spans[s.name] !== undefined) {
      const parsed = s.parse(spans[s.name], ctx);
      if (!parsed.ok) return { problem: { slot: s.name, reason: parsed.reason } };
      values[s.name] = parsed.value;
    } else {
      const found = s.find?.(utterance, ctx);
      if (found) values[s.name] = found.value;
    }
  }
  const missing = unitsConvert.slots.find((s) => s.required && values[s.name] === undefined);
  if (missing) return { missing: missing.prompt };
  const args = unitsConvert.args.parse(values);
  const problem = unitsConvert.validate?.(args, ctx);
  if (problem) return { problem };
  return { outcome: unitsConvert.run(args, ctx) };
}

describe('units.convert', () => {
  it('declares its slots', () => {
    expect(unitSkills).toContain(unitsConvert);
    expect(slot('quantity')).toMatchObject({ required: true, prompt: 'What amount should I convert?', example: '5 miles' });
    expect(slot('unit')).toMatchObject({ required: true, prompt: 'Convert to which unit?', example: 'kilometres' });
  });

  it('converts from spans', () => {
    expect(convert('convert 5 miles to km', { quantity: '5 miles', unit: 'km' })).toEqual({
      outcome: {
        reply: '5 miles is 8.05 kilometres.',
        status: 'done',
        result: { from: { value: 5, unit: 'mi' }, to: { value: 8.04672, unit: 'km' } },
      },
    });
  });

  it.each([
    ['how many ounces in a pound', '1 pound is 16 ounces.'],
    ['72 F in celsius', '72 degrees Fahrenheit is 22.22 degrees Celsius.'],
    ['convert 5 miles to km', '5 miles is 8.05 kilometres.'],
    ['what is 100 km/h in mph?', '100 kilometres per hour is 62.14 miles per hour.'],
    ['how many megabytes in 2 gigabytes', '2 gigabytes is 2,000 megabytes.'],
    ['convert 3 acres to hectares', '3 acres is 1.21 hectares.'],
  ])('finds both parts in %j', (utterance, reply) => {
    expect(convert(utterance)).toMatchObject({ outcome: { reply, status: 'done' } });
  });

  it('asks for the unit slot again when the units are incompatible', () => {
    expect(convert('convert 5 kg to km')).toEqual({
      problem: {
        slot: 'unit',
        reason: "I can't convert kilograms (a weight) to kilometres (a length). Pick a unit of weight, like grams.",
        example: 'grams',
      },
    });
    expect(convert('', { quantity: '72 F', unit: 'litres' })).toMatchObject({ problem: { slot: 'unit', reason: expect.stringContaining('(a temperature)') } });
  });

  it('run also fails cleanly on incompatible arguments', () => {
    const args = unitsConvert.args.parse({ quantity: { value: 5, unit: 'kg' }, unit: 'km' });
    expect(unitsConvert.run(args, ctx)).toMatchObject({ status: 'failed', reply: expect.stringContaining("can't convert") });
  });

  it('asks for what is missing or unreadable', () => {
    expect(convert('convert to km', { unit: 'km' })).toEqual({ missing: 'What amount should I convert?' });
    expect(convert('', { quantity: '5 bananas' })).toEqual({ problem: { slot: 'quantity', reason: 'I don\'t know the unit "bananas".' } });
    expect(convert('', { quantity: '5 miles', unit: 'x'.repeat(10_000) })).toMatchObject({ problem: { slot: 'unit' } });
  });
});
