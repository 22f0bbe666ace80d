/**
 * The reply for one understood turn, from the assistant definition's responses. This is the
 * single-turn responder the terminal chat uses until the dialogue manager (skills, slot filling,
 * multi-turn state) arrives; it never runs anything the user typed.
 */
import type { AssistantDefinition } from '../data/types.js';

/** The parts of a model's understanding the responder reads (kept free of the model layer). */
export interface UnderstoodTurn {
  intent: string;
  confidence: number;
  slots: { slot: string; value: string }[];
}

/** Pick the reply text; `turn` rotates between a response's alternatives. */
export function respond(definition: AssistantDefinition, understood: UnderstoodTurn, turn: number): string {
  const intent = definition.intents.find((i) => i.name === understood.intent);
  if (!intent || understood.intent === definition.outOfScopeIntent) return outOfScopeReply(definition);
  if (intent.response) {
    const alternatives = definition.responses[intent.response] ?? [];
    if (alternatives.length > 0) return fillSlots(alternatives[turn % alternatives.length], understood.slots);
  }
  const slots = understood.slots.map((s) => `${s.slot}: ${s.value}`).join(', ');
  const what = intent.skill ?? intent.name;
  return `I understood "${what}"${slots ? ` (${slots})` : ''}, but carrying out tasks is not built into this version yet.`;
}

function fillSlots(template: string, slots: UnderstoodTurn['slots']): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => slots.find((s) => s.slot === name)?.value ?? match);
}

function outOfScopeReply(definition: AssistantDefinition): string {
  const can = definition.intents
    .filter((i) => i.name !== definition.outOfScopeIntent && i.skill)
    .map((i) => i.name.replace(/_/g, ' '))
    .slice(0, 8);
  return `Sorry, I can't help with that. I can help with: ${can.join(', ')}.`;
}
