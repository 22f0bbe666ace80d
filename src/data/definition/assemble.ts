/**
 * Merges the fragments of all files into one `AssistantDefinition` and runs the checks that
 * need every file at once: undeclared slots, enum values, duplicate names, dangling references.
 */
import { DefinitionError, type SourceLocation } from '../../errors.js';
import type { AssistantDefinition, EnumValue, IntentDefinition, Persona, PersonaStyle, SlotDefinition, SlotSpan } from '../types.js';
import {
  formatLocation,
  warningAt,
  type DefinitionFragment,
  type IntentFragment,
  type Located,
  type LocatedExample,
} from './fragment.js';
import { fillPersona } from './persona.js';
import { inferRasaSlots } from './rasa-slots.js';
import { didYouMean } from './suggest.js';

/** A slot with where it was declared (inferred Rasa slots point at their first use). */
export interface LocatedSlot {
  definition: SlotDefinition;
  loc: SourceLocation;
}

interface MergedIntent {
  fragment: IntentFragment;
  format: DefinitionFragment['format'];
}

/**
 * The persona, defined in one file at most; facts get `{persona.name}` filled here, once. Texts
 * that use a persona placeholder need one to be defined somewhere.
 */
function mergePersona(fragments: DefinitionFragment[]): Persona | undefined {
  let first: Located<Persona> | undefined;
  for (const persona of fragments.flatMap((fragment) => (fragment.persona ? [fragment.persona] : []))) {
    if (first) throw new DefinitionError(persona.loc, `persona is already defined at ${formatLocation(first.loc)}`);
    first = persona;
  }
  const use = fragments.flatMap((fragment) => fragment.personaUses)[0];
  if (!first) {
    if (use) throw new DefinitionError(use.loc, `'${use.value}' needs a 'persona' with a name, and no file defines one`);
    return undefined;
  }
  const persona = first.value;
  return { name: persona.name, facts: persona.facts.map((fact) => fillPersona(fact, persona)), style: persona.style };
}

/** Merge fragments (in file order) into a validated definition. */
export function assembleDefinition(fragments: DefinitionFragment[], defaultName: string): AssistantDefinition {
  const warnings = fragments.flatMap((fragment) => fragment.warnings);
  const name = mergeSetting(fragments, (f) => f.name, 'assistant name');
  const language = mergeSetting(fragments, (f) => f.language, 'language');
  const slots = declaredSlots(fragments);
  for (const slot of inferRasaSlots(fragments, slots, warnings)) slots.set(slot.definition.name, slot);
  const merged = mergeIntents(fragments, warnings);
  const intents = [...merged.values()].map((intent) => resolveIntent(intent.fragment, slots));
  const responses = mergeResponses(fragments);
  applyRuleResponses(fragments, intents, responses, warnings);
  checkResponseReferences(merged, responses);
  warnUndeclaredDomainIntents(fragments, merged, warnings);
  warnDuplicateExamples(merged, warnings);
  const persona = mergePersona(fragments);
  const definition: AssistantDefinition = {
    name: name?.value ?? defaultName,
    language: language?.value ?? 'en',
    intents,
    slots: [...slots.values()].map((slot) => slot.definition),
    responses: Object.fromEntries([...responses].map(([key, value]) => [key, value.value])),
    warnings,
  };
  // Added only when used, so that a definition without styles or persona reads as it always did.
  const styles = Object.fromEntries(fragments.flatMap((f) => f.responses.flatMap((r) => (r.styles ? [[r.name, r.styles]] : []))));
  if (Object.keys(styles).length > 0) definition.responseStyles = styles as Record<string, PersonaStyle[][]>;
  if (persona) definition.persona = persona;
  const outOfScope = resolveOutOfScope(fragments, merged);
  if (outOfScope !== undefined) definition.outOfScopeIntent = outOfScope;
  return definition;
}

/** A setting that several files may repeat, but only with the same value. */
function mergeSetting(
  fragments: DefinitionFragment[],
  pick: (fragment: DefinitionFragment) => Located<string> | undefined,
  what: string,
): Located<string> | undefined {
  let first: Located<string> | undefined;
  for (const setting of fragments.map(pick)) {
    if (!setting) continue;
    if (first && first.value !== setting.value) {
      throw new DefinitionError(
        setting.loc,
        `${what} '${setting.value}' conflicts with '${first.value}' set at ${formatLocation(first.loc)}`,
      );
    }
    first ??= setting;
  }
  return first;
}

/** Slots declared in Duet files; a name may be declared once across all files. */
function declaredSlots(fragments: DefinitionFragment[]): Map<string, LocatedSlot> {
  const slots = new Map<string, LocatedSlot>();
  for (const slot of fragments.flatMap((fragment) => fragment.slots)) {
    const existing = slots.get(slot.name);
    if (existing) {
      throw new DefinitionError(slot.loc, `slot '${slot.name}' is already declared at ${formatLocation(existing.loc)}`);
    }
    const definition: SlotDefinition = { name: slot.name, type: slot.type };
    if (slot.values) definition.values = slot.values;
    slots.set(slot.name, { definition, loc: slot.loc });
  }
  return slots;
}

/** Intents of all files; Rasa spreads one intent over several files, Duet defines each once. */
function mergeIntents(fragments: DefinitionFragment[], warnings: string[]): Map<string, MergedIntent> {
  const merged = new Map<string, MergedIntent>();
  for (const fragment of fragments) {
    for (const intent of fragment.intents) {
      const existing = merged.get(intent.name);
      if (!existing) {
        merged.set(intent.name, { fragment: { ...intent, examples: [...intent.examples] }, format: fragment.format });
      } else if (existing.format === 'rasa' && fragment.format === 'rasa') {
        existing.fragment.examples.push(...intent.examples);
      } else {
        throw new DefinitionError(
          intent.loc,
          `intent '${intent.name}' is already defined at ${formatLocation(existing.fragment.loc)}`,
        );
      }
    }
  }
  for (const [name, intent] of merged) {
    // Duet files reject empty intents while reading; Rasa ones are skipped like Rasa would.
    if (intent.fragment.examples.length === 0) {
      warnings.push(warningAt(intent.fragment.loc, `intent '${name}' has no usable examples; skipped`));
      merged.delete(name);
    }
  }
  return merged;
}

/** An intent with every span checked against its slot and enum values normalised. */
function resolveIntent(intent: IntentFragment, slots: Map<string, LocatedSlot>): IntentDefinition {
  const examples = intent.examples.map((example) => ({
    text: example.text,
    intent: intent.name,
    slots: example.slots.map((span, i) => resolveSpan(example, span, example.slotLocs[i], slots)),
  }));
  const definition: IntentDefinition = { name: intent.name, examples };
  if (intent.skill !== undefined) definition.skill = intent.skill;
  if (intent.response) definition.response = intent.response.value;
  return definition;
}

function resolveSpan(
  example: LocatedExample,
  span: SlotSpan,
  loc: SourceLocation,
  slots: Map<string, LocatedSlot>,
): SlotSpan {
  const slot = slots.get(span.slot)?.definition;
  if (!slot) {
    const declared = [...slots.keys()];
    const list = declared.length > 0 ? `declared slots: ${declared.join(', ')}` : 'no slots are declared';
    throw new DefinitionError(
      loc,
      `slot '${span.slot}' is not declared${didYouMean(span.slot, declared)} (${list})`,
    );
  }
  if (slot.type !== 'enum') return { ...span };
  const surface = example.text.slice(span.start, span.end);
  const canonical = enumValueOf(slot.values ?? [], span.value ?? surface);
  if (canonical === undefined) {
    const values = (slot.values ?? []).map((v) => v.value).join(', ');
    throw new DefinitionError(
      loc,
      `'${span.value ?? surface}' is not a value or synonym of enum slot '${slot.name}' (values: ${values})`,
    );
  }
  const resolved: SlotSpan = { slot: span.slot, start: span.start, end: span.end };
  if (canonical !== surface) resolved.value = canonical;
  return resolved;
}

/** The canonical value that `text` names, compared case-insensitively like Rasa's synonym mapper. */
export function enumValueOf(values: readonly EnumValue[], text: string): string | undefined {
  const folded = text.toLowerCase();
  const match = values.find(
    (value) => value.value.toLowerCase() === folded || value.synonyms.some((s) => s.toLowerCase() === folded),
  );
  return match?.value;
}

function mergeResponses(fragments: DefinitionFragment[]): Map<string, Located<string[]>> {
  const responses = new Map<string, Located<string[]>>();
  for (const response of fragments.flatMap((fragment) => fragment.responses)) {
    const existing = responses.get(response.name);
    if (existing) {
      throw new DefinitionError(
        response.loc,
        `response '${response.name}' is already defined at ${formatLocation(existing.loc)}`,
      );
    }
    responses.set(response.name, { value: response.texts, loc: response.loc });
  }
  return responses;
}

/** Rasa rules `intent → utter_x` become the intent's response, when nothing contradicts them. */
function applyRuleResponses(
  fragments: DefinitionFragment[],
  intents: IntentDefinition[],
  responses: Map<string, Located<string[]>>,
  warnings: string[],
): void {
  for (const rule of fragments.flatMap((fragment) => fragment.ruleResponses)) {
    const intent = intents.find((candidate) => candidate.name === rule.intent);
    const problem = !intent
      ? `intent '${rule.intent}' has no examples`
      : !responses.has(rule.response)
        ? `response '${rule.response}' is not defined`
        : intent.response !== undefined && intent.response !== rule.response
          ? `intent '${rule.intent}' already answers with '${intent.response}'`
          : undefined;
    if (problem) warnings.push(warningAt(rule.loc, `rule ignored: ${problem}`));
    else if (intent) intent.response = rule.response;
  }
}

function checkResponseReferences(intents: Map<string, MergedIntent>, responses: Map<string, Located<string[]>>): void {
  for (const { fragment } of intents.values()) {
    const ref = fragment.response;
    if (ref && !responses.has(ref.value)) {
      throw new DefinitionError(
        ref.loc,
        `response '${ref.value}' of intent '${fragment.name}' is not defined${didYouMean(ref.value, [...responses.keys()])}`,
      );
    }
  }
}

/** The out-of-scope intent: declared with `out_of_scope:`, or an intent named `out_of_scope`. */
function resolveOutOfScope(fragments: DefinitionFragment[], intents: Map<string, MergedIntent>): string | undefined {
  const declared = mergeSetting(fragments, (f) => f.outOfScope, 'out_of_scope intent');
  if (!declared) return intents.has('out_of_scope') ? 'out_of_scope' : undefined;
  if (!intents.has(declared.value)) {
    throw new DefinitionError(
      declared.loc,
      `out_of_scope names intent '${declared.value}', which is not defined${didYouMean(declared.value, [...intents.keys()])}`,
    );
  }
  return declared.value;
}

function warnUndeclaredDomainIntents(
  fragments: DefinitionFragment[],
  intents: Map<string, MergedIntent>,
  warnings: string[],
): void {
  for (const declared of fragments.flatMap((fragment) => fragment.declaredIntents)) {
    if (!intents.has(declared.value)) {
      warnings.push(warningAt(declared.loc, `intent '${declared.value}' is listed in the domain but has no examples; ignored`));
    }
  }
}

/** The same sentence under two intents teaches the model contradictory labels. */
function warnDuplicateExamples(intents: Map<string, MergedIntent>, warnings: string[]): void {
  const seen = new Map<string, { intent: string; loc: SourceLocation }>();
  for (const { fragment } of intents.values()) {
    for (const example of fragment.examples) {
      const key = example.text.toLowerCase().replace(/\s+/g, ' ').trim();
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { intent: fragment.name, loc: example.loc });
      } else if (first.intent === fragment.name) {
        warnings.push(warningAt(example.loc, `example '${example.text}' appears twice in intent '${fragment.name}'`));
      } else {
        warnings.push(
          warningAt(
            example.loc,
            `example '${example.text}' is also an example of intent '${first.intent}' (${formatLocation(first.loc)})`,
          ),
        );
      }
    }
  }
}
