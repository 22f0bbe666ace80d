/**
 * SGD turns prepared for the schema-guided network: each user turn tokenized in a context mode,
 * with its labels expressed against the schema of the turn's services. The schema's intents,
 * slots and categorical values are "elements", embedded from their names and descriptions, so a
 * service never seen in training (74% of the partial test split's frames) is read from its schema
 * as the SGD paper intends, instead of needing its own output rows.
 */
import { stemmer } from 'stemmer';
import type { SgdTurnExample } from '../data/sgd/examples.js';
import { DONTCARE, NO_INTENT, type SgdSchemaIntent, type SgdService } from '../data/sgd/load-sgd.js';
import { pieceWordFeatures, type SparseVector } from '../model/sparse-features.js';
import type { WordPieceTokenizer, TokenizedText } from '../tokenizer/wordpiece.js';
import { buildContextTokens, type ContextInputSettings, type ContextTokens, type TokenizedTurn } from './context-input.js';

/** Longest element description in tokens. */
export const MAX_ELEMENT_TOKENS = 24;

/** One service's elements. */
export interface ServiceElements {
  intents: {
    name: string;
    element: number;
    /** Whether the intent changes the world (reserve, buy, transfer) rather than looks something up. */
    transactional: boolean;
    /** Word stems of the intent's name and description that none of the service's other intents has. */
    ownWords: string[];
    /** Slots the intent uses (required, optional or result) that none of the service's other intents uses. */
    ownSlots: string[];
    /** Slots the intent cannot run without: the only ones a system asks the user for while serving it. */
    requiredSlots: string[];
  }[];
  slots: { name: string; element: number; categorical: boolean; values: { value: string; element: number }[] }[];
}

/** Every schema element of the services the network may see, with their token ids. */
export interface SchemaCatalog {
  texts: string[];
  ids: Int32Array[];
  services: Map<string, ServiceElements>;
}

/** "FindRestaurants" → "find restaurants", "number_of_seats" → "number of seats". */
export function splitName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .trim();
}

/** Build the catalog of the given schemas (a service listed twice keeps its first definition). */
export async function buildSchemaCatalog(schemas: readonly (readonly SgdService[])[], tokenizer: WordPieceTokenizer): Promise<SchemaCatalog> {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const element = (text: string): number => {
    const existing = index.get(text);
    if (existing !== undefined) return existing;
    index.set(text, texts.length);
    texts.push(text);
    return texts.length - 1;
  };
  const services = new Map<string, ServiceElements>();
  for (const schema of schemas) {
    for (const service of schema) {
      if (services.has(service.name)) continue;
      services.set(service.name, {
        intents: service.intents.map((i, at) => ({
          name: i.name,
          element: element(`${splitName(i.name)} : ${i.description}`),
          transactional: i.isTransactional,
          ownWords: distinctiveWords(service.intents, at),
          ownSlots: distinctiveSlots(service.intents, at),
          requiredSlots: [...i.requiredSlots],
        })),
        slots: service.slots.map((s) => ({
          name: s.name,
          element: element(`${splitName(s.name)} : ${s.description}`),
          categorical: s.isCategorical,
          values: s.isCategorical ? s.possibleValues.map((v) => ({ value: v, element: element(`${splitName(s.name)} = ${splitName(v)}`) })) : [],
        })),
      });
    }
  }
  const ids: Int32Array[] = [];
  for (const text of texts) ids.push(Int32Array.from((await tokenizer.encode(text)).ids.slice(0, MAX_ELEMENT_TOKENS)));
  return { texts, ids, services };
}

/** Words that say nothing about which of a service's intents is meant. */
const INTENT_STOP_WORDS = new Set(
  'a an the for of to at in on and or with by from your you my me i it its is are be this that which given choice some any'.split(' '),
);

/** Stems of a text's words, a hyphenated compound joined ("one-way" → "oneway"); short stems left out. */
function intentStems(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of splitName(text).split(/[^\p{L}\p{N}-]+/u)) {
    if (!word) continue;
    // A compound counts only whole: "one" and "way" alone are in most messages.
    const stem = stemmer(word.replace(/-/g, ''));
    if (!INTENT_STOP_WORDS.has(word) && stem.length > 2) out.add(stem);
  }
  return out;
}

/**
 * The stems of intent `at`'s name and description that no sibling intent of the service has: what
 * tells SearchRoundtripFlights ("round-trip") from SearchOnewayFlight ("one-way"), or BuyBusTicket
 * ("buy", "tickets") from FindBus. On dev, sibling intents of one service made over 80% of the
 * active-intent errors, and an unseen service's sibling is told apart only by such words.
 */
export function distinctiveWords(intents: readonly { name: string; description: string }[], at: number): string[] {
  const own = intentStems(`${intents[at].name} ${intents[at].description}`);
  for (const [j, other] of intents.entries()) {
    if (j === at) continue;
    for (const stem of intentStems(`${other.name} ${other.description}`)) own.delete(stem);
  }
  return [...own];
}

/** An intent's slots: required, optional and result. */
function intentSlots(intent: SgdSchemaIntent): string[] {
  return [...intent.requiredSlots, ...Object.keys(intent.optionalSlots), ...intent.resultSlots];
}

/**
 * The slots intent `at` uses and no sibling intent does (a flight search's `return_date` is the
 * round trip's). A system that asks for, confirms or offers such a slot is serving that intent: on
 * dev, 98% of the frames after a system turn naming one intent's own slots have that intent.
 */
export function distinctiveSlots(intents: readonly SgdSchemaIntent[], at: number): string[] {
  const others = new Set(intents.flatMap((intent, j) => (j === at ? [] : intentSlots(intent))));
  return [...new Set(intentSlots(intents[at]))].filter((slot) => !others.has(slot));
}

/** Acts after which the system has been serving a transactional intent: it confirms before it acts and reports the outcome. */
const TRANSACTION_ACTS = new Set(['CONFIRM', 'NOTIFY_SUCCESS', 'NOTIFY_FAILURE']);

/**
 * Indexes (into `elements.intents`) of the intents the system's previous turn may have been
 * serving, by its acts: it asks only for slots the served intent requires, and it confirms or
 * reports an outcome only for a transactional one. On train both hold for every system turn (a
 * REQUEST's slot was required by the user's next active intent 18,188 times of 18,188; a CONFIRM
 * came before a transactional intent 8,695 of 8,695 times). Every intent when the acts say nothing,
 * or when they fit none (a schema the acts were not written for).
 */
export function servedIntents(elements: ServiceElements, asked: SgdTurnExample['asked'][string] | undefined): number[] {
  const all = elements.intents.map((_, j) => j);
  if (!asked) return all;
  const fits = all.filter((j) => {
    const intent = elements.intents[j];
    if (!asked.slots.every((slot) => intent.requiredSlots.includes(slot))) return false;
    return intent.transactional || !asked.acts.some((act) => TRANSACTION_ACTS.has(act));
  });
  return fits.length > 0 ? fits : all;
}

/** Stems of a user message's words and of each adjacent pair joined ("round trip" → "roundtrip"). */
export function messageStems(text: string): Set<string> {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const out = new Set<string>();
  words.forEach((word, i) => {
    out.add(stemmer(word));
    if (i > 0) out.add(stemmer(words[i - 1] + word));
  });
  return out;
}

/** How many of an intent's distinctive words a message uses, capped at 2 (0, 0.5 or 1). */
export function intentWordMatch(message: ReadonlySet<string>, ownWords: readonly string[]): number {
  let hits = 0;
  for (const stem of ownWords) if (message.has(stem)) hits++;
  return Math.min(hits, 2) / 2;
}

/** Value classes of a slot: 0 = not stated this turn, 1 = dontcare, 2 + i = the i-th categorical value. */
export const VALUE_NONE = 0;
export const VALUE_DONTCARE = 1;

/** One frame (service) of a prepared turn. */
export interface PreparedFrame {
  service: string;
  /** Candidate elements for the active intent: index 0 is NONE (-1), then the service's intents. */
  intentCandidates: number[];
  /**
   * The service's active intent after its previous frame in this conversation, as a candidate
   * index (0 = NONE); undefined on the service's first frame. Part of the dialogue state the
   * runtime keeps: the gold one when prepared for training (the trainer swaps in the model's own
   * answers, `OwnAnswers`), the model's own previous answer when predicting.
   */
  previousIntent?: number;
  /** Whether `previousIntent` is the intent the system's last turn served (read from its acts, not a tracked answer). */
  previousServed?: boolean;
  /** Gold candidate index (undefined at prediction time or for an intent not in the schema). */
  goldIntent?: number;
  /** Per slot of the service: whether the user requests it. */
  goldRequested?: boolean[];
  /** Per slot: the gold value class (VALUE_NONE, VALUE_DONTCARE, 2 + i). */
  goldValues?: number[];
  /** Whether the user takes the service's pending offer in this turn (SGD's SELECT). */
  goldSelected?: boolean;
  /** Per slot, per categorical value: 1 when the user's message names the value (`mentionsValue`). */
  valueMentions: number[][];
  /** Per intent candidate (index 0 = NONE): 1 when the system's previous turn offered it. */
  offeredIntents: number[];
  /** Per slot of the service: 1 when the system's previous turn asked for it. */
  askedSlots: number[];
  /** Per intent candidate (index 0 = NONE): `intentWordMatch` of the user's message. */
  intentWords: number[];
  /** Per intent candidate (index 0 = NONE): 1 for a transactional intent. */
  transactional: number[];
  /** Per intent candidate (index 0 = NONE): 1 when the system's previous turn named one of its own slots (`distinctiveSlots`). */
  systemNamed: number[];
  /** Per intent candidate (index 0 = NONE): `servedIntents` as +1 (could be served) / -1 (ruled out), all 0 when the acts rule nothing out. */
  systemServes: number[];
}

/** One user turn, tokenized for a mode, with labels when they are known. */
export interface PreparedTurn {
  key: string;
  text: string;
  tokens: ContextTokens;
  frames: PreparedFrame[];
  /** Slots that can have a span in this turn (non-categorical slots of its services); `asked` as in `PreparedFrame.askedSlots`. */
  spanSlots: { service: string; slot: string; element: number; asked: boolean }[];
  /** Gold tag per current-turn token: 0 = O, 1 + s = B of spanSlots[s], 1 + S + s = I. */
  goldTags?: Int32Array;
  /**
   * Sparse features of the word each current-turn token belongs to, aligned with `tokens.ids`
   * (undefined elsewhere); absent when the model has no feature table.
   */
  tokenFeatures?: (SparseVector | undefined)[];
}

/**
 * DIET-style features of the current turn's tokens (`pieceWordFeatures`, with neighbours, as the
 * NLU model's), aligned with `tokens.ids`: nothing for [CLS] and the earlier turns.
 */
export function utteranceTokenFeatures(text: string, tokenized: TokenizedText, tokens: ContextTokens, buckets: number): (SparseVector | undefined)[] {
  const out: (SparseVector | undefined)[] = new Array(tokens.ids.length).fill(undefined);
  pieceWordFeatures(text, tokenized, tokens.utteranceTokens, buckets, true).forEach((features, t) => (out[t + 1] = features));
  return out;
}

/** Tokenize each distinct text once (history turns repeat across a dialogue's examples). */
export class TokenCache {
  private readonly cache = new Map<string, Promise<TokenizedText>>();
  constructor(private readonly tokenizer: WordPieceTokenizer) {}
  get(text: string): Promise<TokenizedText> {
    let hit = this.cache.get(text);
    if (!hit) {
      hit = this.tokenizer.encode(text);
      this.cache.set(text, hit);
    }
    return hit;
  }
  clear(): void {
    this.cache.clear();
  }
}

/** Tokenize a turn in a mode and attach its labels. Frames of services missing from the catalog are skipped. */
export async function prepareTurn(
  example: SgdTurnExample,
  catalog: SchemaCatalog,
  tokens: TokenCache,
  settings: ContextInputSettings,
  withLabels = true,
  previousIntents: Readonly<Record<string, string>> = {},
  featureBuckets = 0,
): Promise<PreparedTurn> {
  const current = await tokens.get(example.utterance);
  const history: TokenizedTurn[] =
    settings.mode === 'none'
      ? []
      : await Promise.all(
          (settings.mode === 'memory' ? example.history.slice(-1) : example.history).map(async (h) => ({
            speaker: h.speaker === 'USER' ? ('user' as const) : ('assistant' as const),
            tokens: await tokens.get(h.text),
          })),
        );
  const contextTokens = buildContextTokens(current, history, settings);
  const frames: PreparedFrame[] = [];
  const spanSlots: PreparedTurn['spanSlots'] = [];
  const mentions = valueMentionFinder(example.utterance);
  const stems = messageStems(example.utterance);
  for (const service of example.services) {
    const elements = catalog.services.get(service);
    if (!elements) continue;
    const asked = example.asked[service];
    const serves = servedIntents(elements, asked);
    const rulesOut = serves.length < elements.intents.length;
    const frame: PreparedFrame = {
      service,
      intentCandidates: [-1, ...elements.intents.map((i) => i.element)],
      valueMentions: elements.slots.map((slot) => slot.values.map((v) => (mentions(v.value) ? 1 : 0))),
      offeredIntents: [0, ...elements.intents.map((i) => (asked?.intents.includes(i.name) ? 1 : 0))],
      askedSlots: elements.slots.map((slot) => (asked?.slots.includes(slot.name) ? 1 : 0)),
      intentWords: [0, ...elements.intents.map((i) => intentWordMatch(stems, i.ownWords))],
      transactional: [0, ...elements.intents.map((i) => (i.transactional ? 1 : 0))],
      systemNamed: [0, ...elements.intents.map((i) => (i.ownSlots.some((slot) => asked?.named.includes(slot)) ? 1 : 0))],
      systemServes: [0, ...elements.intents.map((_, j) => (!rulesOut ? 0 : serves.includes(j) ? 1 : -1))],
    };
    const previous = previousIntents[service];
    if (previous !== undefined) {
      const at = previous === NO_INTENT ? 0 : elements.intents.findIndex((i) => i.name === previous) + 1;
      if (at > 0 || previous === NO_INTENT) frame.previousIntent = at;
    }
    // The intent the system served in its last turn is the state this turn starts from: when its
    // acts name the own slots of exactly one intent, or fit exactly one intent (`servedIntents`),
    // that intent replaces the tracked one. The tracked one is the model's own earlier answer at
    // run time, and a wrong pick was otherwise carried through the rest of the dialogue (on dev,
    // 60% of active-intent errors).
    const named = frame.systemNamed.flatMap((n, j) => (n === 1 ? [j] : []));
    const served = named.length === 1 ? named : serves.length === 1 ? [serves[0] + 1] : [];
    if (served.length === 1 && elements.intents.length > 1) {
      frame.previousIntent = served[0];
      frame.previousServed = true;
    }
    if (withLabels) {
      const intent = example.activeIntents[service];
      const at = intent === NO_INTENT ? 0 : elements.intents.findIndex((i) => i.name === intent) + 1;
      frame.goldIntent = at > 0 || intent === NO_INTENT ? at : undefined;
      frame.goldSelected = example.selected.includes(service);
      const requested = new Set(example.requestedSlots[service] ?? []);
      frame.goldRequested = elements.slots.map((s) => requested.has(s.name));
      frame.goldValues = elements.slots.map((s) => {
        const stated = example.values.find((v) => v.service === service && v.slot === s.name);
        if (!stated) return VALUE_NONE;
        if (stated.value === DONTCARE) return VALUE_DONTCARE;
        const i = s.values.findIndex((v) => v.value.toLowerCase() === stated.value.toLowerCase());
        return i >= 0 ? 2 + i : VALUE_NONE;
      });
    }
    frames.push(frame);
    elements.slots.forEach((slot, s) => {
      if (!slot.categorical) spanSlots.push({ service, slot: slot.name, element: slot.element, asked: frame.askedSlots[s] === 1 });
    });
  }
  const turn: PreparedTurn = { key: `${example.dialogueId}/${example.turnIndex}`, text: example.utterance, tokens: contextTokens, frames, spanSlots };
  if (featureBuckets > 0) turn.tokenFeatures = utteranceTokenFeatures(example.utterance, current, contextTokens, featureBuckets);
  if (withLabels) turn.goldTags = spanTags(contextTokens, example, spanSlots);
  return turn;
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** Lower-case words of a text, space-separated and space-padded, for whole-word containment. */
function wordString(text: string): string {
  return ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
}

/**
 * Whether a message names a categorical value as whole words ("my savings account" names
 * `savings`; "for three people" names `3`). The dev split showed the value head, reading only
 * [CLS], missing 96% of the values users state, most of them written out in the message; this
 * tells the head directly. True/False never match: a yes/no value is read from the message.
 */
export function mentionsValue(text: string, value: string): boolean {
  return valueMentionFinder(text)(value);
}

/** `mentionsValue` for one message and many values: the message is normalised once. */
export function valueMentionFinder(text: string): (value: string) => boolean {
  const lower = text.toLowerCase();
  const words = wordString(text);
  return (value) => {
    const name = value.toLowerCase().trim();
    if (name === 'true' || name === 'false' || name === '') return false;
    if (/^\d+$/.test(name)) return countPattern(Number(name)).test(lower);
    return words.includes(wordString(value));
  };
}

const countPatterns = new Map<number, RegExp>();

/**
 * The pattern of the count `n` (digits, or a word up to ten) other than as part of a time, date,
 * price or ordinal: "at 2 pm", "march 2", "$2" and "2nd" are not two of something. On dev, times
 * alone made `number_of_seats = 2` the value head's most frequent false answer. Built once per n.
 */
function countPattern(n: number): RegExp {
  let pattern = countPatterns.get(n);
  if (!pattern) {
    const forms = [String(n), ...(n < NUMBER_WORDS.length ? [NUMBER_WORDS[n]] : [])].join('|');
    const months = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec';
    pattern = new RegExp(
      `(?<![\\p{L}\\p{N}$]|\\p{N}[:./,-])(?<!(?:${months})[a-z]*\\s)(?:${forms})(?![\\p{L}\\p{N}%]|[:./,-]\\p{N})(?!\\s*(?:am|pm|a\\.m|p\\.m|o'?clock|in the (?:morning|evening|afternoon)|dollars|bucks|percent)\\b)`,
      'u',
    );
    countPatterns.set(n, pattern);
  }
  return pattern;
}

/** BIO tags over the current turn's tokens from the gold character spans. */
function spanTags(tokens: ContextTokens, example: SgdTurnExample, spanSlots: PreparedTurn['spanSlots']): Int32Array {
  const S = spanSlots.length;
  const tags = new Int32Array(tokens.utteranceTokens);
  for (const span of example.spans) {
    const s = spanSlots.findIndex((x) => x.service === span.service && x.slot === span.slot);
    if (s < 0) continue;
    let first = true;
    tokens.utteranceOffsets.forEach(([start, end], t) => {
      if (end <= span.start || start >= span.end) return;
      tags[t] = first ? 1 + s : 1 + S + s;
      first = false;
    });
  }
  return tags;
}
