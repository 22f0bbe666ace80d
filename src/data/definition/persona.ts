/**
 * The persona of an assistant (`persona:` in a definition): the styles it may speak in, the
 * `{persona.<key>}` placeholders responses may use, and how they are filled.
 */
import type { Persona, PersonaStyle } from '../types.js';

/** Styles a persona and a tagged response text may name (see `PersonaStyle`). */
export const PERSONA_STYLES = ['friendly', 'caring', 'enthusiastic', 'professional', 'witty'] as const satisfies readonly PersonaStyle[];

/** The style of a persona that names none, and of a definition without a persona. */
export const DEFAULT_PERSONA_STYLE: PersonaStyle = 'friendly';

/** Facts are context for the chat policy: a few short sentences, not a biography. */
export const MAX_PERSONA_FACTS = 20;
export const MAX_FACT_CHARS = 200;

/** What `{persona.<key>}` may name. */
export const PERSONA_PLACEHOLDER_KEYS = ['name'] as const;

/** `{persona.<key>}`; the key is anything up to `}`, so that a typo is caught rather than left in a reply. */
const PERSONA_PLACEHOLDER = /\{persona\.([^{}\s]*)\}/g;

/** Every `{persona.<key>}` in `text`, with its offset. */
export function personaPlaceholders(text: string): { key: string; index: number; match: string }[] {
  return [...text.matchAll(PERSONA_PLACEHOLDER)].map((m) => ({ key: m[1], index: m.index, match: m[0] }));
}

/** `text` with its persona placeholders filled; without a persona it is returned as written. */
export function fillPersona(text: string, persona: Pick<Persona, 'name'> | undefined): string {
  if (!persona) return text;
  return text.replace(PERSONA_PLACEHOLDER, (match, key: string) => (key === 'name' ? persona.name : match));
}
