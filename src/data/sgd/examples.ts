/**
 * SGD flattened to one example per user turn, for a turn-level model (intent, requested slots,
 * slot spans) whose outputs the rule-based tracker in `dst.ts` turns into a dialogue state.
 *
 * Label scheme (the same strings the metrics compare):
 * - intents: `service:intent`, with `service:NONE` for a frame whose user has not stated one;
 * - requested slots: `service:slot`;
 * - span slots: `service:slot`, for non-categorical slots only (categorical ones have no span).
 * Service-qualified labels keep a turn with two frames (say Restaurants_2 and RideSharing_1)
 * unambiguous: the same slot name means different things in different services, and the metrics
 * score a span as right only with its service. Services in dev/test that are missing from train's
 * schema (8 of dev's 17) have labels a closed-vocabulary model never saw; report them apart.
 */
import type { SgdAnnotatedDialogue, SgdService, SgdSplitData, SgdSystemFrame } from './load-sgd.js';
import { DONTCARE, NO_INTENT } from './load-sgd.js';

/** An earlier turn of the conversation, as plain text. */
export interface SgdHistoryTurn {
  speaker: 'USER' | 'SYSTEM';
  text: string;
}

/** A slot value in the current user utterance, with its service (offsets end-exclusive). */
export interface SgdServiceSpan {
  service: string;
  slot: string;
  start: number;
  end: number;
  value: string;
}

/** A value the user gives without a span: a categorical slot's value, or `dontcare`. */
export interface SgdSlotValue {
  service: string;
  slot: string;
  value: string;
}

/** Per-service dialogue state: slot → the values SGD accepts (any one of them is right). */
export type SgdGoldState = Record<string, Record<string, string[]>>;

/** One user turn, ready for a turn-level model. */
export interface SgdTurnExample {
  dialogueId: string;
  /** SGD's turn index within the dialogue (system turns count too, so user turns are 0, 2, 4...). */
  turnIndex: number;
  utterance: string;
  /** Every earlier turn, oldest first. */
  history: SgdHistoryTurn[];
  /** The services of this turn's frames, in SGD's order. */
  services: string[];
  /** service → active intent (`NONE` when the user has not stated one). */
  activeIntents: Record<string, string>;
  /** service → slots the user asks the system for in this turn. */
  requestedSlots: Record<string, string[]>;
  /** Non-categorical slot values in this utterance, in SGD's order. */
  spans: SgdServiceSpan[];
  /**
   * Values the user states in this turn that have no span: categorical slots (`number_of_seats`
   * "2" for "for two people") and `dontcare`. Not part of the span task, but without them no
   * tracker can reach the state, so a model needs a classifier for them (see `categoricalValues`).
   */
  values: SgdSlotValue[];
  /** The gold state of this turn's services after the turn (SGD gives it for the turn's frames only). */
  state: SgdGoldState;
  /** Services whose offer the user takes in this turn ("that works for me": SGD's SELECT act). */
  selected: string[];
  /**
   * What the system's previous turn asked of the user, per service: the slots it REQUESTs ("how
   * many people?") and the intents it offers (OFFER_INTENT, "shall I book a table?"). A deployed
   * assistant knows its own acts; without them a bare "4" or "yes" cannot be read. `named`: every
   * slot its REQUEST, CONFIRM, OFFER or INFORM acts name ("when do you return?", "a round trip
   * returning on the 9th?"), which tells which of a service's intents the system is serving.
   * `acts`: the kinds of act it made for the service (CONFIRM, NOTIFY_SUCCESS, OFFER...): a system
   * confirms and reports the outcome of transactional intents only.
   */
  asked: Record<string, { slots: string[]; intents: string[]; named: string[]; acts: string[] }>;
}

/** The key of a user turn in prediction maps: `dialogueId/turnIndex`. */
export function turnKey(dialogueId: string, turnIndex: number): string {
  return `${dialogueId}/${turnIndex}`;
}

/** The label of a service's intent, requested slot or span slot: `service:name`. */
export function labelOf(service: string, name: string): string {
  return `${service}:${name}`;
}

/** One example per user turn of each dialogue, in dialogue and turn order. */
export function sgdTurnExamples(dialogues: readonly SgdAnnotatedDialogue[]): SgdTurnExample[] {
  const examples: SgdTurnExample[] = [];
  for (const dialogue of dialogues) {
    // One history object per turn, shared by all later examples' history arrays.
    const seen: SgdHistoryTurn[] = [];
    let asked: SgdTurnExample['asked'] = {};
    dialogue.turns.forEach((turn, turnIndex) => {
      if (turn.speaker === 'SYSTEM') asked = askedBy(turn.frames);
      else {
        examples.push({
          dialogueId: dialogue.id,
          turnIndex,
          utterance: turn.utterance,
          history: seen.slice(),
          services: turn.frames.map((f) => f.service),
          activeIntents: Object.fromEntries(turn.frames.map((f) => [f.service, f.activeIntent])),
          requestedSlots: Object.fromEntries(turn.frames.map((f) => [f.service, [...f.requestedSlots]])),
          spans: turn.frames.flatMap((f) => f.spans.map((s) => ({ service: f.service, slot: s.slot, start: s.start, end: s.end, value: s.value }))),
          values: turn.frames.flatMap((f) =>
            f.actions
              .filter((a) => a.act === 'INFORM' && a.values.length > 0 && !f.spans.some((s) => s.slot === a.slot && s.value === a.values[0]))
              .map((a) => ({ service: f.service, slot: a.slot, value: a.values[0] })),
          ),
          state: Object.fromEntries(turn.frames.map((f) => [f.service, Object.fromEntries(Object.entries(f.slotValues).map(([k, v]) => [k, [...v]]))])),
          selected: turn.frames.filter((f) => f.actions.some((a) => a.act === 'SELECT')).map((f) => f.service),
          asked,
        });
      }
      seen.push({ speaker: turn.speaker, text: turn.utterance });
    });
  }
  return examples;
}

const NAMING_ACTS = new Set(['REQUEST', 'CONFIRM', 'OFFER', 'INFORM']);

/** The slots a system turn requests, the intents it offers, the slots it names and its kinds of act, per service. */
export function askedBy(frames: readonly SgdSystemFrame[]): SgdTurnExample['asked'] {
  const asked: SgdTurnExample['asked'] = {};
  for (const frame of frames) {
    const slots = frame.actions.filter((a) => a.act === 'REQUEST').map((a) => a.slot);
    const intents = frame.actions.filter((a) => a.act === 'OFFER_INTENT').flatMap((a) => a.values);
    const named = [...new Set(frame.actions.filter((a) => NAMING_ACTS.has(a.act) && a.slot !== '').map((a) => a.slot))];
    const acts = [...new Set(frame.actions.map((a) => a.act))];
    if (acts.length > 0) asked[frame.service] = { slots, intents, named, acts };
  }
  return asked;
}

/** The label sets of a schema (see the module comment for the scheme). */
export interface SgdLabels {
  /** `service:intent`, with `service:NONE` first for each service. */
  intents: string[];
  /** `service:slot` for every slot (the user may ask for any of them). */
  requestedSlots: string[];
  /** `service:slot` for non-categorical slots: the span tagger's classes. */
  spanSlots: string[];
  /** `service:slot` of each categorical slot → its possible values, then `dontcare`. */
  categoricalValues: Record<string, string[]>;
}

/** Label sets from a schema (use train's for a model; services sorted by name, names in schema order). */
export function sgdLabels(schema: readonly SgdService[]): SgdLabels {
  const services = [...schema].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    intents: services.flatMap((s) => [labelOf(s.name, NO_INTENT), ...s.intents.map((i) => labelOf(s.name, i.name))]),
    requestedSlots: services.flatMap((s) => s.slots.map((x) => labelOf(s.name, x.name))),
    spanSlots: services.flatMap((s) => s.slots.filter((x) => !x.isCategorical).map((x) => labelOf(s.name, x.name))),
    categoricalValues: Object.fromEntries(
      services.flatMap((s) => s.slots.filter((x) => x.isCategorical).map((x) => [labelOf(s.name, x.name), [...x.possibleValues, DONTCARE]])),
    ),
  };
}

/** Counts that describe a split (what the final reports quote, always as "partial"). */
export interface SgdStats {
  dialogues: number;
  turns: number;
  userTurns: number;
  /** User-turn frames: the unit of the per-frame metrics. */
  frames: number;
  /** Distinct services, `service:intent` and `service:slot` seen in user frames (intents exclude NONE; slots are those in the state). */
  services: number;
  intents: number;
  slots: number;
  spans: number;
  /** Multi-service dialogues. */
  multiDomainDialogues: number;
}

/** Count a split's dialogues, turns, frames and the services, intents and slots its user frames use. */
export function sgdStats(data: Pick<SgdSplitData, 'dialogues'>): SgdStats {
  const services = new Set<string>();
  const intents = new Set<string>();
  const slots = new Set<string>();
  let turns = 0;
  let userTurns = 0;
  let frames = 0;
  let spans = 0;
  for (const d of data.dialogues) {
    turns += d.turns.length;
    for (const turn of d.turns) {
      if (turn.speaker !== 'USER') continue;
      userTurns += 1;
      for (const f of turn.frames) {
        frames += 1;
        spans += f.spans.length;
        services.add(f.service);
        if (f.activeIntent !== NO_INTENT) intents.add(labelOf(f.service, f.activeIntent));
        for (const slot of Object.keys(f.slotValues)) slots.add(labelOf(f.service, slot));
      }
    }
  }
  return {
    dialogues: data.dialogues.length,
    turns,
    userTurns,
    frames,
    services: services.size,
    intents: intents.size,
    slots: slots.size,
    spans,
    multiDomainDialogues: data.dialogues.filter((d) => d.services.length > 1).length,
  };
}
