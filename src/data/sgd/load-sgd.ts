/**
 * Schema-Guided Dialogue (Rastogi et al. 2020) with its annotations: per dialogue the turns in
 * order, and for user turns the gold frames (active intent, requested slots, slot spans in the
 * utterance, dialogue state). The data folder holds only part of SGD (see sgd/SOURCE.md: dev has
 * 2,098 of 2,482 dialogues, test 2,921 of 4,201), so figures computed on it are "partial" and not
 * comparable with published SGD results. Licence CC BY-SA 4.0 (share-alike travels with models).
 *
 * Names (services, intents, slots) are kept exactly as SGD spells them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import { SGD_LICENCE, type SgdSplit } from '../corpora/sgd.js';
import { DATA_DIR_ENV, isDirectory, readText, resolveDataDir, type LoadOptions } from '../datasets/files.js';

export { SGD_LICENCE, type SgdSplit };

const NAME = 'sgd';

/** The splits of SGD, in the order they are usually reported. */
export const SGD_SPLITS: readonly SgdSplit[] = Object.freeze(['train', 'dev', 'test']);

/** The intent SGD gives a frame before the user has expressed one. */
export const NO_INTENT = 'NONE';

/** The value SGD uses when the user says any value of a slot is fine. */
export const DONTCARE = 'dontcare';

/** A slot of a service's schema. */
export interface SgdSchemaSlot {
  name: string;
  description: string;
  /** Categorical slots take one of `possibleValues` and never have a span in the text. */
  isCategorical: boolean;
  possibleValues: string[];
}

/** An intent of a service's schema. */
export interface SgdSchemaIntent {
  name: string;
  description: string;
  isTransactional: boolean;
  requiredSlots: string[];
  /** Optional slots with their default values. */
  optionalSlots: Record<string, string>;
  resultSlots: string[];
}

/** One service of `schema.json`. */
export interface SgdService {
  name: string;
  description: string;
  slots: SgdSchemaSlot[];
  intents: SgdSchemaIntent[];
}

/** A slot value inside an utterance: character offsets (end exclusive), checked against the text. */
export interface SgdSpan {
  slot: string;
  start: number;
  end: number;
  /** `utterance.slice(start, end)`. */
  value: string;
}

/** A dialogue act of a frame (`INFORM`, `REQUEST`, `OFFER`, `CONFIRM`, `SELECT`...). */
export interface SgdAction {
  act: string;
  /** Empty for acts without a slot (`AFFIRM`, `THANK_YOU`...); `intent` for intent acts. */
  slot: string;
  values: string[];
  canonicalValues: string[];
}

/** A user frame: what the user's turn says about one service, with the gold state after it. */
export interface SgdUserFrame {
  service: string;
  /** The intent the user is pursuing in this service, or `NONE` before they state one. */
  activeIntent: string;
  requestedSlots: string[];
  /** Values of non-categorical slots that appear in this utterance. */
  spans: SgdSpan[];
  actions: SgdAction[];
  /** The dialogue state of the service after this turn: every value SGD accepts for each slot. */
  slotValues: Record<string, string[]>;
}

/** A system frame: the system's acts for one service, the spans of values it mentions, its API call. */
export interface SgdSystemFrame {
  service: string;
  spans: SgdSpan[];
  actions: SgdAction[];
  serviceCall?: { method: string; parameters: Record<string, string> };
}

/** A user turn and its gold frames. */
export interface SgdUserTurn {
  speaker: 'USER';
  utterance: string;
  frames: SgdUserFrame[];
}

/** A system turn and its frames. */
export interface SgdSystemTurn {
  speaker: 'SYSTEM';
  utterance: string;
  frames: SgdSystemFrame[];
}

/** One turn of an annotated SGD dialogue. */
export type SgdAnnotatedTurn = SgdUserTurn | SgdSystemTurn;

/** One SGD dialogue with its annotations; `turns[i]` is SGD's turn i (user turns are the even ones). */
export interface SgdAnnotatedDialogue {
  id: string;
  services: string[];
  turns: SgdAnnotatedTurn[];
  /** The file it came from (for error messages). */
  file: string;
}

/** One split: its dialogues in file order and the services of its `schema.json`. */
export interface SgdSplitData {
  split: SgdSplit;
  dialogues: SgdAnnotatedDialogue[];
  schema: SgdService[];
}

/** Thrown while checking a JSON value; the caller adds the file and position. */
class ShapeError extends Error {}

function fail(message: string): never {
  throw new ShapeError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Record<string, unknown> {
  return isRecord(value) ? value : fail(`${what} should be an object`);
}

function str(value: unknown, what: string): string {
  return typeof value === 'string' ? value : fail(`${what} should be a string`);
}

function bool(value: unknown, what: string): boolean {
  return typeof value === 'boolean' ? value : fail(`${what} should be true or false`);
}

function int(value: unknown, what: string): number {
  return Number.isInteger(value) ? (value as number) : fail(`${what} should be an integer`);
}

function list(value: unknown, what: string): unknown[] {
  return Array.isArray(value) ? value : fail(`${what} should be a list`);
}

function strings(value: unknown, what: string): string[] {
  return list(value, what).map((v, i) => str(v, `${what}[${i}]`));
}

function stringRecord<T>(value: unknown, what: string, item: (v: unknown, what: string) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(record(value, what)).map(([k, v]) => [k, item(v, `${what}.${k}`)]));
}

function parseJson(json: string, where: string): unknown {
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new DatasetError(`Dataset '${NAME}': ${where} is not valid JSON (${(cause as Error).message}).`, { cause });
  }
}

/** Run `body`, turning a shape problem into a `DatasetError` that says where it is. */
function at<T>(where: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof ShapeError) throw new DatasetError(`Dataset '${NAME}': ${where}: ${error.message}.`);
    throw error;
  }
}

/** Parse a `schema.json` (a list of services); `where` names the file in errors. */
export function parseSgdSchema(json: string, where = 'schema.json'): SgdService[] {
  const data = parseJson(json, where);
  return at(where, () =>
    list(data, 'the schema').map((raw, i) => {
      const s = record(raw, `service ${i}`);
      const name = str(s.service_name, `service ${i} service_name`);
      return {
        name,
        description: typeof s.description === 'string' ? s.description : '',
        slots: list(s.slots, `${name} slots`).map((rawSlot, j) => {
          const slot = record(rawSlot, `${name} slot ${j}`);
          const slotName = str(slot.name, `${name} slot ${j} name`);
          return {
            name: slotName,
            description: typeof slot.description === 'string' ? slot.description : '',
            isCategorical: bool(slot.is_categorical, `${name}.${slotName} is_categorical`),
            possibleValues: strings(slot.possible_values ?? [], `${name}.${slotName} possible_values`),
          };
        }),
        intents: list(s.intents, `${name} intents`).map((rawIntent, j) => {
          const intent = record(rawIntent, `${name} intent ${j}`);
          const intentName = str(intent.name, `${name} intent ${j} name`);
          const what = `${name}.${intentName}`;
          return {
            name: intentName,
            description: typeof intent.description === 'string' ? intent.description : '',
            isTransactional: bool(intent.is_transactional, `${what} is_transactional`),
            requiredSlots: strings(intent.required_slots ?? [], `${what} required_slots`),
            optionalSlots: stringRecord(intent.optional_slots ?? {}, `${what} optional_slots`, str),
            resultSlots: strings(intent.result_slots ?? [], `${what} result_slots`),
          };
        }),
      };
    }),
  );
}

function parseActions(value: unknown, what: string): SgdAction[] {
  return list(value, `${what} actions`).map((raw, i) => {
    const a = record(raw, `${what} action ${i}`);
    return {
      act: str(a.act, `${what} action ${i} act`),
      slot: str(a.slot ?? '', `${what} action ${i} slot`),
      values: strings(a.values ?? [], `${what} action ${i} values`),
      canonicalValues: strings(a.canonical_values ?? [], `${what} action ${i} canonical_values`),
    };
  });
}

/**
 * The spans of a frame, checked against the utterance: in bounds, non-empty, and the text they
 * cover is one of the values the frame's acts give for that slot (SGD's invariant; a span that
 * breaks it means the offsets do not index this text, e.g. counted in another encoding).
 */
function parseSpans(value: unknown, utterance: string, actions: SgdAction[], what: string): SgdSpan[] {
  return list(value, `${what} slots`).map((raw, i) => {
    const s = record(raw, `${what} slot ${i}`);
    const slot = str(s.slot, `${what} slot ${i} name`);
    const start = int(s.start, `${what} span of '${slot}' start`);
    const end = int(s.exclusive_end, `${what} span of '${slot}' exclusive_end`);
    if (start < 0 || end > utterance.length || start >= end) {
      fail(`${what} span of '${slot}' [${start}, ${end}) is outside the utterance (${utterance.length} characters)`);
    }
    const text = utterance.slice(start, end);
    if (!actions.some((a) => a.slot === slot && a.values.includes(text))) {
      fail(`${what} span of '${slot}' [${start}, ${end}) covers ${JSON.stringify(text)}, which no act of the frame gives as its value`);
    }
    return { slot, start, end, value: text };
  });
}

function parseFrame(raw: unknown, speaker: 'USER' | 'SYSTEM', utterance: string, what: string): SgdUserFrame | SgdSystemFrame {
  const f = record(raw, what);
  const service = str(f.service, `${what} service`);
  const where = `${what} (${service})`;
  const actions = parseActions(f.actions ?? [], where);
  const spans = parseSpans(f.slots ?? [], utterance, actions, where);
  if (speaker === 'SYSTEM') {
    const frame: SgdSystemFrame = { service, spans, actions };
    if (f.service_call !== undefined) {
      const call = record(f.service_call, `${where} service_call`);
      frame.serviceCall = { method: str(call.method, `${where} service_call method`), parameters: stringRecord(call.parameters ?? {}, `${where} service_call parameters`, str) };
    }
    return frame;
  }
  const state = record(f.state, `${where} state`);
  return {
    service,
    activeIntent: str(state.active_intent, `${where} active_intent`),
    requestedSlots: strings(state.requested_slots ?? [], `${where} requested_slots`),
    spans,
    actions,
    slotValues: stringRecord(state.slot_values ?? {}, `${where} slot_values`, strings),
  };
}

/** Parse one `dialogues_NNN.json` file (a list of dialogues); `where` names it in errors. */
export function parseSgdDialogueFile(json: string, where = 'dialogues.json'): SgdAnnotatedDialogue[] {
  const data = parseJson(json, where);
  return at(where, () =>
    list(data, 'the file').map((raw, i) => {
      const d = record(raw, `dialogue ${i}`);
      const id = str(d.dialogue_id, `dialogue ${i} dialogue_id`);
      const turns = list(d.turns, `dialogue ${id} turns`).map((rawTurn, t): SgdAnnotatedTurn => {
        const what = `dialogue ${id} turn ${t}`;
        const turn = record(rawTurn, what);
        const speaker = turn.speaker;
        if (speaker !== 'USER' && speaker !== 'SYSTEM') fail(`${what} speaker should be USER or SYSTEM`);
        const utterance = str(turn.utterance, `${what} utterance`);
        const frames = list(turn.frames, `${what} frames`).map((frame, k) => parseFrame(frame, speaker, utterance, `${what} frame ${k}`));
        if (speaker === 'USER') {
          const services = frames.map((f) => f.service);
          if (new Set(services).size !== services.length) fail(`${what} has two frames for one service`);
          return { speaker, utterance, frames: frames as SgdUserFrame[] };
        }
        return { speaker, utterance, frames: frames as SgdSystemFrame[] };
      });
      return { id, services: strings(d.services ?? [], `dialogue ${id} services`), turns, file: where };
    }),
  );
}

/** The folder of one split: `<data dir>/sgd/<split>`, or a `DatasetError` naming the folder tried. */
export function sgdSplitFolder(split: SgdSplit, options: LoadOptions = {}): string {
  const folder = join(resolveDataDir(options), NAME, split);
  if (!isDirectory(folder)) {
    throw new DatasetError(
      `Dataset '${NAME}' split '${split}' not found at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders (sgd/train, sgd/dev, sgd/test).`,
    );
  }
  return folder;
}

/** Load the dialogues (`dialogues_NNN.json`, in file order) and the schema of one split. */
export function loadSgd(split: SgdSplit, options: LoadOptions = {}): SgdSplitData {
  const folder = sgdSplitFolder(split, options);
  const files = readdirSync(folder)
    .filter((f) => /^dialogues_\d+\.json$/.test(f))
    .sort();
  if (files.length === 0) throw new DatasetError(`Dataset '${NAME}': ${folder} has no dialogues_NNN.json files.`);
  const schemaPath = join(folder, 'schema.json');
  const schema = parseSgdSchema(readText(NAME, schemaPath), schemaPath);
  const dialogues = files.flatMap((file) => parseSgdDialogueFile(readText(NAME, join(folder, file)), join(folder, file)));
  checkAgainstSchema(dialogues, schema, schemaPath);
  return { split, dialogues, schema };
}

/** Every service, intent and slot a user frame names must be in the split's schema. */
function checkAgainstSchema(dialogues: SgdAnnotatedDialogue[], schema: SgdService[], schemaPath: string): void {
  const services = new Map(schema.map((s) => [s.name, { intents: new Set(s.intents.map((i) => i.name)), slots: new Set(s.slots.map((x) => x.name)) }]));
  for (const d of dialogues) {
    d.turns.forEach((turn, t) => {
      if (turn.speaker !== 'USER') return;
      for (const f of turn.frames) {
        const known = services.get(f.service);
        const where = `Dataset '${NAME}': ${d.file}: dialogue ${d.id} turn ${t}`;
        if (!known) throw new DatasetError(`${where}: service '${f.service}' is not in ${schemaPath}.`);
        if (f.activeIntent !== NO_INTENT && !known.intents.has(f.activeIntent)) throw new DatasetError(`${where}: intent '${f.activeIntent}' is not an intent of ${f.service} in ${schemaPath}.`);
        const slots = [...f.requestedSlots, ...f.spans.map((s) => s.slot), ...Object.keys(f.slotValues)];
        const unknown = slots.find((s) => !known.slots.has(s));
        if (unknown) throw new DatasetError(`${where}: slot '${unknown}' is not a slot of ${f.service} in ${schemaPath}.`);
      }
    });
  }
}

/** Lookup tables over a schema: a service by name, and whether a slot is categorical. */
export interface SchemaIndex {
  service(name: string): SgdService | undefined;
  isCategorical(service: string, slot: string): boolean;
  /** Slots some intent of the service takes as an argument (required or optional): the ones the state can hold. */
  informableSlots(service: string): ReadonlySet<string>;
}

/** Index a schema for the lookups the examples, the tracker and the metrics need. */
export function indexSchema(schema: readonly SgdService[]): SchemaIndex {
  const byName = new Map(schema.map((s) => [s.name, s]));
  const categorical = new Set(schema.flatMap((s) => s.slots.filter((x) => x.isCategorical).map((x) => `${s.name}:${x.name}`)));
  const informable = new Map(
    schema.map((s) => [s.name, new Set(s.intents.flatMap((i) => [...i.requiredSlots, ...Object.keys(i.optionalSlots)])) as ReadonlySet<string>]),
  );
  const none: ReadonlySet<string> = new Set();
  return {
    service: (name) => byName.get(name),
    isCategorical: (service, slot) => categorical.has(`${service}:${slot}`),
    informableSlots: (service) => informable.get(service) ?? none,
  };
}
