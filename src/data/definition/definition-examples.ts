/** Flattening a definition into training examples. */
import type { AssistantDefinition, NluExample } from '../types.js';

/** All examples of all intents, each labelled with its intent (copies, safe to mutate). */
export function definitionToExamples(definition: AssistantDefinition): NluExample[] {
  return definition.intents.flatMap((intent) =>
    intent.examples.map((example) => ({
      text: example.text,
      intent: intent.name,
      slots: example.slots.map((span) => ({ ...span })),
    })),
  );
}
