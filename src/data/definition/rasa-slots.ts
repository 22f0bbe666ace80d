/**
 * Rasa has no slot declarations for NLU: entities appear in examples, synonyms map texts to
 * canonical values (for any entity), and lookup tables list known values. Duet needs typed
 * slots, so an entity becomes an `enum` slot when a synonym set or lookup table is about it,
 * and a `text` slot otherwise.
 */
import type { SourceLocation } from '../../errors.js';
import type { EnumValue } from '../types.js';
import type { LocatedSlot } from './assemble.js';
import { warningAt, type DefinitionFragment, type SynonymFragment } from './fragment.js';

/** One annotated occurrence of an entity: its surface text and explicit value, if any. */
interface EntityUse {
  surface: string;
  value?: string;
}

interface EntityFacts {
  loc: SourceLocation;
  uses: EntityUse[];
  lookups: string[];
}

/** Slots for the Rasa entities that no Duet file declares, in order of first appearance. */
export function inferRasaSlots(
  fragments: DefinitionFragment[],
  declared: ReadonlyMap<string, LocatedSlot>,
  warnings: string[],
): LocatedSlot[] {
  const rasa = fragments.filter((fragment) => fragment.format === 'rasa');
  const entities = gatherEntities(rasa, declared);
  const index = synonymIndex(rasa.flatMap((fragment) => fragment.synonyms), warnings);
  return [...entities].map(([name, facts]) => {
    const sets = new Set<SynonymFragment>();
    for (const use of facts.uses) {
      for (const text of [use.value, use.surface]) {
        const set = text === undefined ? undefined : index.get(text.toLowerCase());
        if (set) sets.add(set);
      }
    }
    if (sets.size === 0 && facts.lookups.length === 0) return { definition: { name, type: 'text' }, loc: facts.loc };
    return { definition: { name, type: 'enum', values: enumValues([...sets], facts) }, loc: facts.loc };
  });
}

/** Entity uses, lookup tables and domain entities, keyed by entity name. */
function gatherEntities(
  rasa: DefinitionFragment[],
  declared: ReadonlyMap<string, LocatedSlot>,
): Map<string, EntityFacts> {
  const entities = new Map<string, EntityFacts>();
  const facts = (name: string, loc: SourceLocation): EntityFacts | undefined => {
    if (declared.has(name)) return undefined;
    let entry = entities.get(name);
    if (!entry) {
      entry = { loc, uses: [], lookups: [] };
      entities.set(name, entry);
    }
    return entry;
  };
  for (const fragment of rasa) {
    for (const example of fragment.intents.flatMap((intent) => intent.examples)) {
      example.slots.forEach((span, i) => {
        const use: EntityUse = { surface: example.text.slice(span.start, span.end) };
        if (span.value !== undefined) use.value = span.value;
        facts(span.slot, example.slotLocs[i])?.uses.push(use);
      });
    }
    for (const lookup of fragment.lookups) facts(lookup.entity, lookup.loc)?.lookups.push(...lookup.values);
    for (const entity of fragment.entities) facts(entity.value, entity.loc);
  }
  return entities;
}

/** Lower-cased text → the synonym set it belongs to; a text claimed twice keeps its first set. */
function synonymIndex(sets: SynonymFragment[], warnings: string[]): Map<string, SynonymFragment> {
  const index = new Map<string, SynonymFragment>();
  for (const set of sets) {
    for (const text of [set.value, ...set.synonyms]) {
      const key = text.toLowerCase();
      const owner = index.get(key);
      if (owner && owner !== set) {
        warnings.push(warningAt(set.loc, `'${text}' is already a synonym of '${owner.value}'; kept there`));
      } else {
        index.set(key, set);
      }
    }
  }
  return index;
}

/** Enum values: synonym sets first, then lookup entries, then any other annotated value. */
function enumValues(sets: SynonymFragment[], facts: EntityFacts): EnumValue[] {
  const values: EnumValue[] = [];
  const claimed = new Set<string>();
  const add = (value: string, synonyms: string[]) => {
    if (claimed.has(value.toLowerCase())) return;
    claimed.add(value.toLowerCase());
    const fresh = synonyms.filter((s) => !claimed.has(s.toLowerCase()));
    fresh.forEach((s) => claimed.add(s.toLowerCase()));
    values.push({ value, synonyms: fresh });
  };
  for (const set of sets) add(set.value, set.synonyms);
  for (const entry of facts.lookups) add(entry, []);
  for (const use of facts.uses) {
    const value = use.value ?? use.surface;
    if (claimed.has(value.toLowerCase())) continue;
    // An annotated value is Rasa's implicit synonym: the surface text means `value`.
    add(value, use.value !== undefined && !claimed.has(use.surface.toLowerCase()) ? [use.surface] : []);
  }
  return values;
}
