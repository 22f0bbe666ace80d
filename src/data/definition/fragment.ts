/**
 * What each file contributes before files are merged: the definition's parts with the source
 * location of each, so that cross-file checks (undeclared slots, missing responses, duplicates)
 * can still point at the right line.
 */
import type { SourceLocation } from '../../errors.js';
import type { EnumValue, Persona, PersonaStyle, SlotDefinition, SlotSpan } from '../types.js';

/** A value and where it was written. */
export interface Located<T> {
  value: T;
  loc: SourceLocation;
}

/** One example with its spans, and where the example and each span's annotation start. */
export interface LocatedExample {
  text: string;
  slots: SlotSpan[];
  loc: SourceLocation;
  /** Parallel to `slots`: where each annotation's `[` is. */
  slotLocs: SourceLocation[];
}

export interface IntentFragment {
  name: string;
  loc: SourceLocation;
  examples: LocatedExample[];
  skill?: string;
  response?: Located<string>;
}

export interface SlotFragment {
  name: string;
  loc: SourceLocation;
  type: SlotDefinition['type'];
  values?: EnumValue[];
}

export interface ResponseFragment {
  name: string;
  loc: SourceLocation;
  texts: string[];
  /** Parallel to `texts` when any text is tagged: its styles (`[]`: every style). */
  styles?: PersonaStyle[][];
}

/** Rasa `synonym:` item: a canonical value and the texts that mean it. */
export interface SynonymFragment {
  value: string;
  synonyms: string[];
  loc: SourceLocation;
}

/** Rasa `lookup:` item: known values of an entity. */
export interface LookupFragment {
  entity: string;
  values: string[];
  loc: SourceLocation;
}

/** Rasa rule `intent → utter_x`, which Duet expresses as the intent's `response`. */
export interface RuleResponseFragment {
  intent: string;
  response: string;
  loc: SourceLocation;
}

/** Everything one file says; empty lists where the file says nothing. */
export interface DefinitionFragment {
  file: string;
  format: 'duet' | 'rasa';
  name?: Located<string>;
  language?: Located<string>;
  outOfScope?: Located<string>;
  intents: IntentFragment[];
  slots: SlotFragment[];
  responses: ResponseFragment[];
  synonyms: SynonymFragment[];
  lookups: LookupFragment[];
  /** Rasa domain `entities:` (become text slots even when no example uses them). */
  entities: Located<string>[];
  /** Rasa domain `intents:` (checked against the intents that have examples). */
  declaredIntents: Located<string>[];
  ruleResponses: RuleResponseFragment[];
  /** `persona:` (Duet files only); facts as written, placeholders not yet filled. */
  persona?: Located<Persona>;
  /** Where response texts use `{persona.<key>}`: they need a persona in some file. */
  personaUses: Located<string>[];
  warnings: string[];
}

/** An empty fragment for `file`. */
export function emptyFragment(file: string, format: DefinitionFragment['format']): DefinitionFragment {
  return {
    file,
    format,
    intents: [],
    slots: [],
    responses: [],
    synonyms: [],
    lookups: [],
    entities: [],
    declaredIntents: [],
    ruleResponses: [],
    personaUses: [],
    warnings: [],
  };
}

/** `file:line:col` as editors and terminals understand it. */
export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** A warning string that starts with its location, like error messages do. */
export function warningAt(loc: SourceLocation, message: string): string {
  return `${formatLocation(loc)}: ${message}`;
}

/** `loc` moved right to the 1-based `column` of something that starts at `loc`. */
export function shiftColumn(loc: SourceLocation, column: number): SourceLocation {
  return { ...loc, column: loc.column + column - 1 };
}
