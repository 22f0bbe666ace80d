/** The built-in skills, by name. An assistant definition binds intents to them with `skill:`. */
import { calculatorSkills } from './calculator.js';
import { clockSkills } from './clock.js';
import { reminderSkills } from './reminders.js';
import { timerSkills } from './timers.js';
import { todoSkills } from './todos.js';
import type { Skill } from './types.js';
import { unitSkills } from './units.js';

export type { Skill, SkillContext, SkillSlot, SkillOutcome, Parsed, ArgumentProblem } from './types.js';

/** Every built-in skill. */
export const builtinSkills: readonly Skill[] = [
  ...reminderSkills,
  ...todoSkills,
  ...timerSkills,
  ...calculatorSkills,
  ...unitSkills,
  ...clockSkills,
] as Skill[];
