/**
 * The skills API: a skill is a typed task handler bound to an intent. It declares its slots
 * (how to read each from text, whether it is required, what to ask when it is missing), a zod
 * schema its arguments must satisfy before it runs, an optional confirmation question, and a
 * `run` that sees only the current user's store. The dialogue manager (src/dialogue) fills the
 * slots over as many turns as needed; nothing a user types is ever evaluated as code.
 */
import type { z } from 'zod';
import type { UserStore } from '../store/types.js';

/** The outcome of reading a value from text: the value, or why not and an example that works. */
export type Parsed<V> = { ok: true; value: V } | { ok: false; reason: string; example?: string };

/** What a skill may use while it runs. */
export interface SkillContext {
  user: string;
  /** The clock: fixed by `--now` in scripted runs. */
  now: Date;
  /** IANA time zone of the user ("Europe/Paris"): dates are read and written in it. */
  timeZone: string;
  /** The current user's data and nothing else. */
  store: UserStore;
}

/** One argument of a skill. Its value must be JSON-serialisable (datetimes as ISO-8601 with offset). */
export interface SkillSlot<V = unknown> {
  name: string;
  required: boolean;
  /** The question asked when a required slot is missing or invalid. */
  prompt: string;
  /** An example answer, shown after an invalid value ("for example: tomorrow at 5pm"). */
  example: string;
  /** Reads the value from the slot's text (a model span, or a whole fragment answer). */
  parse(text: string, ctx: SkillContext): Parsed<V>;
  /**
   * Finds the value anywhere in an utterance when the model marked no span for it (a fragment
   * answer like "tomorrow at 5", or a request the model tagged only partly).
   */
  find?(utterance: string, ctx: SkillContext): { value: V; text: string } | null;
  /**
   * When `find` reads the utterance, trust it over the model's span: for values with a reliable
   * surface pattern ("5 kg to pounds") that a tagger easily splits the wrong way.
   */
  preferFind?: boolean;
  /**
   * Whether a wider reading `find` made of the utterance only adds to the span's own reading (a
   * time to the span's day) rather than reading something else ("the evening next thursday at
   * 5pm" read as this evening). Without it, any wider reading that contains the span is taken.
   */
  widens?(narrowText: string, narrow: V, wide: V): boolean;
  /**
   * A free text that runs on to the next value or the end of the sentence ("remind me to [check]
   * on the laundry"): untagged words after the span belong to it, except the words that lead into
   * the next value ("at", "on my") and closing politeness ("please", "thanks").
   */
  runsOn?: boolean;
  /**
   * A name that goes on over untagged words up to this word ("the [christmas] presents list" is
   * the christmas presents list), at most three words on.
   */
  endsBefore?: RegExp;
  /**
   * Words inside a span after which the value starts ("vet to my todo" tagged as a list name is
   * the todo list): what comes before them belongs to the free text just before the span.
   */
  startsAfter?: RegExp;
  /**
   * A safety net for the commonest phrasing of a request: a pattern whose first group is this
   * free text, used when the model tagged none ("add (beer) to my shopping list").
   */
  frame?: RegExp;
  /**
   * Whether a text that does not read as this value still looks like an attempt at one ("the
   * thirty-fifth of smarch" for a date): such a piece is reported as invalid, while a piece that
   * does not ("the laundry" tagged as a time) is taken back into the free text beside it.
   */
  looksLike?(text: string): boolean;
  /**
   * Reads a correction of this slot given its previous value ("thursday" after "friday at 10am"
   * keeps 10:00; "6pm" after "tomorrow at 5pm" keeps tomorrow). Without it, `parse` is used.
   */
  reread?(text: string, previous: V, ctx: SkillContext): Parsed<V>;
}

/** What `run` returns: the reply to show, and a structured result for APIs and tests. */
export interface SkillOutcome {
  reply: string;
  status?: 'done' | 'failed';
  result?: unknown;
}

/** A problem with one argument found after all slots were read (e.g. a reminder in the past). */
export interface ArgumentProblem {
  slot: string;
  reason: string;
  example?: string;
}

export interface Skill<A extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable name referenced by `skill:` in an assistant definition (e.g. `reminders.create`). */
  name: string;
  /** One line for "what can you do?" (e.g. "set reminders"). */
  description: string;
  slots: SkillSlot[];
  /** The arguments' schema: checked before `run`, whatever proposed them. */
  args: z.ZodType<A>;
  /** Checks that need the context (time, the store); returns the first problem or null. */
  validate?(args: A, ctx: SkillContext): ArgumentProblem | null;
  /** A question when the action needs a yes/no first (destructive or bulk), else null. */
  confirm?(args: A, ctx: SkillContext): string | null;
  run(args: A, ctx: SkillContext): SkillOutcome;
  /**
   * Reverts what `run` did, given its result: lets "no, make it 6pm" after a reminder was set
   * replace that reminder, and "cancel that" right after an action take it back. Skills without
   * side effects leave it out.
   */
  undo?(result: unknown, ctx: SkillContext): boolean;
}
