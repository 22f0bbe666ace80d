/** A one-slot skill for dialogue tests: `notes.add` takes a note's text and echoes it. */
import { z } from 'zod';
import type { Skill } from '../../skills/types.js';

export const noteSkill: Skill<{ text: string }> = {
  name: 'notes.add',
  description: 'take notes',
  slots: [{ name: 'text', required: true, prompt: 'What should the note say?', example: 'buy milk', parse: (t) => ({ ok: true, value: t }) }],
  args: z.object({ text: z.string().min(1) }),
  run: (args) => ({ reply: `Noted: ${args.text}.` }),
};
