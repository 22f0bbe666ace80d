/**
 * The shapes every data source is turned into: an assistant definition (YAML) and the
 * benchmark datasets both become lists of `NluExample` for training and evaluation.
 */

/** A slot value inside an example: character offsets into `text` (end exclusive). */
export interface SlotSpan {
  slot: string;
  start: number;
  end: number;
  /** Normalised value when it differs from the surface text (e.g. a synonym's canonical value). */
  value?: string;
}

/** One utterance with its intent and slot spans. */
export interface NluExample {
  text: string;
  intent: string;
  slots: SlotSpan[];
}

/** Train / validation / test examples of one dataset. `validation` may be carved out of train. */
export interface NluSplits {
  train: NluExample[];
  validation: NluExample[];
  test: NluExample[];
}

/** A dataset ready for training: its examples and what a model must know about its labels. */
export interface NluDataset {
  name: string;
  splits: NluSplits;
  /** Intent label used for out-of-scope examples, when the dataset has them (e.g. `oos`). */
  outOfScopeIntent?: string;
  /** Whether the dataset carries slot annotations (otherwise slot metrics are not reported). */
  hasSlots: boolean;
}

/** Built-in slot types; custom enumerations are declared in the definition. */
export type BuiltinSlotType = 'datetime' | 'duration' | 'number' | 'quantity' | 'text';

/** A custom enumeration value with its synonyms. */
export interface EnumValue {
  value: string;
  synonyms: string[];
}

/** A slot declared in an assistant definition. */
export interface SlotDefinition {
  name: string;
  type: BuiltinSlotType | 'enum';
  /** For `enum` slots: the allowed values and their synonyms. */
  values?: EnumValue[];
}

/** An intent of an assistant: its examples, and the skill or response it triggers. */
export interface IntentDefinition {
  name: string;
  examples: NluExample[];
  /** Skill name bound to this intent (carried out by the runtime, later issues). */
  skill?: string;
  /** Response key answered when the intent is recognised and no skill is bound. */
  response?: string;
}

/**
 * The voices a persona may speak in: the five personalities of Microsoft's QnA Maker chit-chat
 * data, which the demo's small talk comes from (tools/build-chitchat.mts), so that its answers
 * can be tagged with the voice they were written in.
 */
export type PersonaStyle = 'friendly' | 'caring' | 'enthusiastic' | 'professional' | 'witty';

/** Who the assistant is: its name, a few first-person facts, and the style of its replies. */
export interface Persona {
  name: string;
  /** Short first-person sentences ("I live on your computer."), `{persona.name}` already filled. */
  facts: string[];
  style: PersonaStyle;
}

/** A parsed, validated assistant definition. */
export interface AssistantDefinition {
  name: string;
  language: string;
  intents: IntentDefinition[];
  slots: SlotDefinition[];
  /** Response key → alternative texts (may contain `{slot}` placeholders). */
  responses: Record<string, string[]>;
  /**
   * Response key → the styles of each text in `responses[key]` (parallel; `[]`: every style).
   * Present only for responses with at least one tagged text, so untagged definitions read as before.
   */
  responseStyles?: Record<string, PersonaStyle[][]>;
  /** Who the assistant is (optional `persona:` block). */
  persona?: Persona;
  /** Intent used for out-of-scope examples, when the definition declares one. */
  outOfScopeIntent?: string;
  /** Non-fatal problems found while reading (e.g. unsupported Rasa parts). */
  warnings: string[];
}
