/**
 * The persona at reply time (issue #4): which of a response's texts suit the persona's style, and
 * which of its facts a small-talk message is about. Matching is by shared content words, on
 * purpose: facts are a handful of sentences the author wrote, and a question about one of them
 * ("where do you live?" / "I live on your computer.") shares its key word with it. A learnt
 * matcher would need data the definition does not have.
 */
import { DEFAULT_PERSONA_STYLE } from '../data/definition/persona.js';
import type { Persona, PersonaStyle } from '../data/types.js';

/** What the chat policy reads of a persona. */
export type ChatPersona = Pick<Persona, 'name' | 'facts'>;

/**
 * The texts of a response that suit `style`: those tagged with it and the untagged ones. When none
 * does, all of them, so that a response written only for other styles still answers.
 */
export function textsForStyle(texts: readonly string[], styles: readonly (readonly PersonaStyle[])[] | undefined, style: PersonaStyle = DEFAULT_PERSONA_STYLE): readonly string[] {
  if (!styles) return texts;
  const suited = texts.filter((_, i) => (styles[i]?.length ?? 0) === 0 || styles[i].includes(style));
  return suited.length > 0 ? suited : texts;
}

/**
 * The persona's facts, led by "My name is X." when no fact says the name: the name is the
 * first thing a user asks, and it should be answerable and condition replies like any fact.
 */
export function personaFacts(persona: ChatPersona): string[] {
  const saysName = persona.facts.some((fact) => containsWords(fact, persona.name));
  return saysName ? [...persona.facts] : [`My name is ${persona.name}.`, ...persona.facts];
}

/** Question words, pronouns, auxiliaries and other words that say nothing about a topic. */
const FUNCTION_WORDS = new Set(
  (
    'a an the and or but if so of to in on at by for from with about as into than then there here this that these those it its ' +
    'what whats which who whom whose where when why how ' +
    'i me my mine myself you your yours yourself u ur we us our they them their he him his she her ' +
    'am is are was were be been being do does did done have has had having can could will would shall should may might must ' +
    'not no yes please tell say let know any some anything something really very just also too'
  ).split(' '),
);

/** Second-person words: a message with none is not about the assistant. */
const ADDRESSES_ASSISTANT = /\b(you|your|yours|yourself|u|ur|you're|youre|you've|you'll|you'd)\b/i;

/** Lower-cased words, contractions cut ("what's" → "what", "don't" → "do"), plurals singular ("lives" → "live"). */
function words(text: string): string[] {
  return (text.toLowerCase().replace(/[’‘]/g, "'").match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? []).map((word) => {
    const cut = word.replace(/n't$/, '').replace(/'[a-z]+$/, '');
    return FUNCTION_WORDS.has(cut) ? cut : cut.replace(/(?<=[a-z]{3})s$/, '');
  });
}

/** The words of `text` that carry its topic. */
export function contentWords(text: string): Set<string> {
  return new Set(words(text).filter((word) => word.length > 1 && !FUNCTION_WORDS.has(word)));
}

function containsWords(text: string, phrase: string): boolean {
  const haystack = ` ${words(text).join(' ')} `;
  return haystack.includes(` ${words(phrase).join(' ')} `);
}

/** A fact and how well it answers a message. */
export interface FactMatch {
  fact: string;
  /** Share of the message's content words that the fact contains (0–1). */
  score: number;
}

/**
 * The fact that answers a question about the assistant: the message must address it ("you",
 * "your") and at least `minScore` of the message's content words must be in the fact. Ties go to
 * the fact with fewer other words (the more focused one), then to the earlier one. Null if none.
 */
export function factAnswering(facts: readonly string[], text: string, minScore = 0.5): FactMatch | null {
  if (!ADDRESSES_ASSISTANT.test(text.replace(/[’‘]/g, "'"))) return null;
  const asked = contentWords(text);
  if (asked.size === 0) return null;
  let best: (FactMatch & { extra: number }) | null = null;
  for (const fact of facts) {
    const said = contentWords(fact);
    const shared = [...asked].filter((word) => said.has(word)).length;
    const score = shared / asked.size;
    const extra = said.size - shared;
    if (shared > 0 && score >= minScore && (!best || score > best.score || (score === best.score && extra < best.extra))) best = { fact, score, extra };
  }
  return best && { fact: best.fact, score: best.score };
}

/**
 * Up to `limit` facts to read before a conversation, in the persona's order: those sharing the
 * most content words with the message, and the first ones when none shares any (authors list
 * the most important facts first).
 */
export function factsFor(facts: readonly string[], text: string, limit: number): string[] {
  if (facts.length <= limit) return [...facts];
  const asked = contentWords(text);
  const overlap = facts.map((fact, i) => ({ i, shared: [...contentWords(fact)].filter((word) => asked.has(word)).length }));
  const chosen = overlap.sort((a, b) => b.shared - a.shared || a.i - b.i).slice(0, limit);
  return chosen.sort((a, b) => a.i - b.i).map(({ i }) => facts[i]);
}
