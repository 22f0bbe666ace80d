/**
 * What a model learns from a definition (intents with their examples, slots, the out-of-scope
 * intent), told apart from what only the runtime reads (responses, styles, persona, skills): a
 * model folder's assistant.json may be refreshed without retraining while the first part is equal.
 */
import type { AssistantDefinition } from '../types.js';

/** The first trained part that differs between two definitions, named for a message; undefined when none does. */
export function trainedPartsDiffer(a: AssistantDefinition, b: AssistantDefinition): string | undefined {
  const examples = (d: AssistantDefinition) => JSON.stringify(d.intents.map((i) => [i.name, i.examples]));
  if (examples(a) !== examples(b)) return 'intents or examples';
  if (JSON.stringify(a.slots) !== JSON.stringify(b.slots)) return 'slots';
  if (a.outOfScopeIntent !== b.outOfScopeIntent) return 'out-of-scope intent';
  return undefined;
}
