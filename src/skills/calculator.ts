/**
 * The calculator: "what is 15% of 80", "12 times 7 plus 3", "square root of 144". The
 * expression is read by `evaluateMath`, which only ever evaluates whitelisted arithmetic.
 */
import { z } from 'zod';
import type { Skill, SkillSlot } from './types.js';
import { evaluateMath, type MathValue } from './values/math.js';

const EXAMPLE = '15% of 80';

const expressionSlot: SkillSlot<MathValue> = {
  name: 'expression',
  required: true,
  prompt: 'What should I calculate?',
  example: EXAMPLE,
  parse: (text) => evaluateMath(text),
  // "what is 15% of 80" with no span marked: the whole utterance, less "what is", is the sum.
  find(utterance) {
    const parsed = evaluateMath(utterance);
    return parsed.ok ? { value: parsed.value, text: parsed.value.expression } : null;
  },
};

const evaluateArgs = z.object({
  expression: z.object({
    expression: z.string().max(200),
    value: z.number().finite(),
    display: z.string(),
  }),
});
type EvaluateArgs = z.infer<typeof evaluateArgs>;

/** `calculator.evaluate`: "15% of 80 is 12." */
export const calculatorEvaluate: Skill<EvaluateArgs> = {
  name: 'calculator.evaluate',
  description: 'do calculations',
  slots: [expressionSlot],
  args: evaluateArgs,
  run({ expression }) {
    return {
      reply: `${expression.expression} is ${expression.display}.`,
      status: 'done',
      result: { expression: expression.expression, value: expression.value },
    };
  },
};

export const calculatorSkills = [calculatorEvaluate] as const;
