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

/**
 * Slot → lower-cased spelling → canonical value, for every enumeration slot: the lookup a model
 * folder carries so it can map a synonym it extracted to its value without the definition.
 * Case-insensitive like `enumValueOf`.
 */
export function enumValueIndex(definition: AssistantDefinition): Record<string, Record<string, string>> {
  const index: Record<string, Record<string, string>> = {};
  for (const slot of definition.slots) {
    if (slot.type !== 'enum' || !slot.values) continue;
    const entries: Record<string, string> = {};
    for (const { value, synonyms } of slot.values) {
      for (const spelling of [value, ...synonyms]) entries[spelling.toLowerCase()] = value;
    }
    index[slot.name] = entries;
  }
  return index;
}
