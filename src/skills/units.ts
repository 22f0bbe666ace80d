/**
 * Unit conversion: "convert 5 miles to km", "how many ounces in a pound", "72 F in celsius".
 * The amount and the target unit are two slots; a pair that cannot convert (a weight to a
 * length) is reported on the unit slot, so the user is asked for another unit.
 */
import { z } from 'zod';
import type { Skill, SkillSlot } from './types.js';
import { convertQuantity, findConversion, parseQuantity, parseUnit, type Quantity } from './values/units.js';

const quantitySlot: SkillSlot<Quantity> = {
  name: 'quantity',
  required: true,
  prompt: 'What amount should I convert?',
  example: '5 miles',
  parse: (text) => parseQuantity(text),
  preferFind: true,
  find(utterance) {
    const found = findConversion(utterance);
    return found ? found.quantity : findQuantity(utterance);
  },
};

/** An amount alone anywhere in an utterance ("convert 10 kilograms"): the longest that reads. */
export function findQuantity(utterance: string): { value: Quantity; text: string } | null {
  const words = utterance.split(/\s+/).filter(Boolean).slice(0, 40);
  for (let length = Math.min(4, words.length); length >= 1; length--) {
    for (let i = 0; i + length <= words.length; i++) {
      const text = words.slice(i, i + length).join(' ').replace(/[?.!,]+$/, '');
      const parsed = parseQuantity(text);
      if (parsed.ok) return { value: parsed.value, text };
    }
  }
  return null;
}

const unitSlot: SkillSlot<string> = {
  name: 'unit',
  required: true,
  prompt: 'Convert to which unit?',
  example: 'kilometres',
  parse: (text) => parseUnit(text),
  preferFind: true,
  find(utterance) {
    const found = findConversion(utterance);
    return found ? found.unit : null;
  },
};

const convertArgs = z.object({
  quantity: z.object({ value: z.number().finite(), unit: z.string().min(1) }),
  unit: z.string().min(1),
});
type ConvertArgs = z.infer<typeof convertArgs>;

/** `units.convert`: "5 miles is 8.05 kilometres." */
export const unitsConvert: Skill<ConvertArgs> = {
  name: 'units.convert',
  description: 'make unit conversions',
  slots: [quantitySlot, unitSlot],
  args: convertArgs,
  validate(args) {
    if (parseUnit(args.unit).ok && args.unit === args.quantity.unit) {
      // The amount's own unit heard as the target ("convert 10 kilograms"): the target is still to ask.
      return { slot: 'unit', reason: '', example: 'kilometres' };
    }
    const converted = convertQuantity(args.quantity, args.unit);
    return converted.ok ? null : { slot: 'unit', reason: converted.reason, example: converted.example };
  },
  run(args) {
    const converted = convertQuantity(args.quantity, args.unit);
    if (!converted.ok) return { reply: converted.reason, status: 'failed' };
    return { reply: `${converted.value.display}.`, status: 'done', result: { from: converted.value.from, to: converted.value.to } };
  },
};

export const unitSkills = [unitsConvert] as const;
