/**
 * Imports Rasa YAML training data (`version: "3.1"`: nlu, responses, domain, rules) into a
 * definition fragment. What Duet cannot use is reported as a warning with its location, never
 * dropped silently, so a user can see exactly what an import left behind.
 */
import { basename, extname } from 'node:path';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node, Pair, YAMLMap } from 'yaml';
import { DefinitionError, type SourceLocation } from '../../errors.js';
import type { AssistantDefinition } from '../types.js';
import { assembleDefinition } from './assemble.js';
import {
  examplesFrom,
  parseLocatedExample,
  scalarExample,
  type ExampleSource,
  type ProblemHandler,
} from './example-source.js';
import { emptyFragment, warningAt, type DefinitionFragment } from './fragment.js';
import {
  checkDuplicateKeys,
  deref,
  findPair,
  keyText,
  nodeLocation,
  parseYaml,
  stringAt,
  type YamlSource,
} from './yaml-source.js';

/** Top-level keys that mark a YAML document as Rasa's rather than Duet's. */
const RASA_MARKERS = ['version', 'nlu', 'stories', 'rules', 'pipeline', 'policies', 'session_config', 'forms'];

/** Rasa parts Duet does not import, and why (shown in the warning). */
const UNSUPPORTED: Record<string, string> = {
  stories: 'Duet has no story-based policy; bind a response or skill to each intent instead',
  slots: 'Duet fills slots from entities of the same name; Rasa slot mappings are not imported',
  forms: 'Duet skills declare their required slots in TypeScript',
  actions: 'custom actions become Duet skills written in TypeScript',
  session_config: 'Duet does not use session settings',
  e2e_actions: 'end-to-end actions are not supported',
  config: 'domain config is not used by Duet',
  pipeline: 'Duet trains its own NLU model',
  policies: 'Duet has its own dialogue policies',
  recipe: 'Duet trains its own NLU model',
  assistant_id: 'not used by Duet',
};

/** Response variation keys that Duet cannot show, beyond `text`. */
const NON_TEXT_PARTS = new Set(['buttons', 'image', 'custom', 'attachment', 'quick_replies', 'elements', 'button_type']);

type Section = (source: YamlSource, fragment: DefinitionFragment, node: Node | null, keyLoc: SourceLocation) => void;

const SECTIONS: Record<string, Section> = {
  version: readVersion,
  language: readLanguage,
  nlu: readNlu,
  responses: readResponses,
  intents: readDomainIntents,
  entities: readDomainEntities,
  rules: readRules,
};

/** Whether parsed YAML looks like a Rasa file (training data, domain, rules or config). */
export function isRasaDocument(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const record = data as Record<string, unknown>;
  if ('assistant' in record) return false;
  return RASA_MARKERS.some((key) => key in record) || Array.isArray(record.intents);
}

/** Import a single Rasa YAML file as a complete definition. */
export function importRasa(text: string, file: string): AssistantDefinition {
  const fragment = readRasaFragment(parseYaml(text, file));
  return assembleDefinition([fragment], basename(file, extname(file)));
}

/** Read one Rasa file into a fragment; unsupported parts become warnings. */
export function readRasaFragment(source: YamlSource): DefinitionFragment {
  const fragment = emptyFragment(source.file, 'rasa');
  checkDuplicateKeys(source, (path) => (path.length === 1 && path[0] === 'responses' ? 'response' : 'key'));
  const root = deref(source, source.doc.contents);
  if (!isMap(root)) throw new DefinitionError(nodeLocation(source, root), 'a Rasa file must be a mapping');
  for (const pair of pairs(root)) {
    const key = keyText(pair.key);
    const keyLoc = nodeLocation(source, pair.key);
    const section = SECTIONS[key];
    if (section) section(source, fragment, deref(source, pair.value), keyLoc);
    else fragment.warnings.push(warningAt(keyLoc, `'${key}' ignored: ${UNSUPPORTED[key] ?? 'unknown Rasa key'}`));
  }
  return fragment;
}

function pairs(map: YAMLMap): Pair<Node, Node | null>[] {
  return map.items as Pair<Node, Node | null>[];
}

function readVersion(source: YamlSource, fragment: DefinitionFragment, node: Node | null): void {
  const version = isScalar(node) ? String(node.value) : '';
  if (!/^[23]\.\d+$/.test(version)) {
    fragment.warnings.push(
      warningAt(nodeLocation(source, node), `Rasa format version '${version}' is untested; read as 3.1`),
    );
  }
}

/** `language:` of a Rasa config.yml. */
function readLanguage(source: YamlSource, fragment: DefinitionFragment, node: Node | null): void {
  const language = stringAt(source, node);
  if (language) fragment.language = language;
}

/** A list section; anything else is an error because nothing in it could be read. */
function listItems(source: YamlSource, node: Node | null, keyLoc: SourceLocation, key: string): unknown[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) throw new DefinitionError(keyLoc, `'${key}' must be a list`);
  return node.items.map((item) => deref(source, item));
}

function readNlu(source: YamlSource, fragment: DefinitionFragment, node: Node | null, keyLoc: SourceLocation): void {
  for (const item of listItems(source, node, keyLoc, 'nlu')) {
    const loc = nodeLocation(source, item as Node);
    if (!isMap(item)) {
      fragment.warnings.push(warningAt(loc, 'nlu item ignored: expected a mapping such as "intent: ..."'));
    } else if (findPair(item, 'intent')) {
      readNluIntent(source, fragment, item);
    } else if (findPair(item, 'synonym')) {
      readSynonym(source, fragment, item);
    } else if (findPair(item, 'lookup')) {
      readLookup(source, fragment, item);
    } else if (findPair(item, 'regex')) {
      const name = stringAt(source, findPair(item, 'regex')?.value)?.value ?? '?';
      fragment.warnings.push(warningAt(loc, `regex '${name}' ignored: Duet does not use regular expression features`));
    } else {
      const keys = pairs(item).map((pair) => keyText(pair.key)).join(', ');
      fragment.warnings.push(warningAt(loc, `nlu item with keys ${keys} ignored`));
    }
  }
}

/** Problems inside Rasa examples skip the example, as Rasa itself does. */
function skipProblem(fragment: DefinitionFragment): ProblemHandler {
  return (loc, message) => fragment.warnings.push(warningAt(loc, `${message}; example skipped`));
}

/** Warn about every key of an item that is not in `known`. */
function warnExtraKeys(
  source: YamlSource,
  fragment: DefinitionFragment,
  item: YAMLMap,
  known: readonly string[],
  what: string,
): void {
  for (const pair of pairs(item)) {
    const key = keyText(pair.key);
    if (!known.includes(key)) fragment.warnings.push(warningAt(nodeLocation(source, pair.key), `'${key}' of ${what} ignored`));
  }
}

/** The name an item gives itself (`intent: greet`), as text even when YAML read a number. */
function itemName(source: YamlSource, item: YAMLMap, key: string): { value: string; loc: SourceLocation } | undefined {
  const node = deref(source, findPair(item, key)?.value);
  if (!isScalar(node) || node.value === null || typeof node.value === 'object') return undefined;
  return { value: String(node.value), loc: nodeLocation(source, node) };
}

function readNluIntent(source: YamlSource, fragment: DefinitionFragment, item: YAMLMap): void {
  const name = itemName(source, item, 'intent');
  if (!name) {
    fragment.warnings.push(warningAt(nodeLocation(source, item), 'nlu intent without a name ignored'));
    return;
  }
  warnExtraKeys(source, fragment, item, ['intent', 'examples'], `intent '${name.value}'`);
  const examples = rasaExamples(source, fragment, findPair(item, 'examples')?.value).map((example) =>
    parseLocatedExample(example, fragment.warnings),
  );
  fragment.intents.push({ name: name.value, loc: name.loc, examples });
}

/** Examples as a `- ` block, a list of strings, or a list of `{ text, metadata }` items. */
function rasaExamples(source: YamlSource, fragment: DefinitionFragment, value: unknown): ExampleSource[] {
  const node = deref(source, value);
  if (!isSeq(node) || !node.items.some((item) => isMap(deref(source, item)))) {
    return examplesFrom(source, node, skipProblem(fragment));
  }
  const examples: ExampleSource[] = [];
  for (const entry of node.items.map((item) => deref(source, item))) {
    const text = isMap(entry) ? deref(source, findPair(entry, 'text')?.value) : entry;
    if (isMap(entry)) warnExtraKeys(source, fragment, entry, ['text'], 'example');
    if (isScalar(text) && typeof text.value === 'string' && text.value.trim() !== '') {
      examples.push(scalarExample(source, text));
    } else {
      skipProblem(fragment)(nodeLocation(source, entry as Node), 'an example must have a text');
    }
  }
  return examples;
}

/** Plain example texts (synonyms, lookup entries): annotations are not expected there. */
function plainTexts(source: YamlSource, fragment: DefinitionFragment, item: YAMLMap): string[] {
  return examplesFrom(source, findPair(item, 'examples')?.value, skipProblem(fragment)).map((example) => example.raw);
}

function readSynonym(source: YamlSource, fragment: DefinitionFragment, item: YAMLMap): void {
  const name = itemName(source, item, 'synonym');
  if (!name) {
    fragment.warnings.push(warningAt(nodeLocation(source, item), 'synonym without a value ignored'));
    return;
  }
  warnExtraKeys(source, fragment, item, ['synonym', 'examples'], `synonym '${name.value}'`);
  fragment.synonyms.push({ value: name.value, synonyms: plainTexts(source, fragment, item), loc: name.loc });
}

function readLookup(source: YamlSource, fragment: DefinitionFragment, item: YAMLMap): void {
  const name = itemName(source, item, 'lookup');
  if (!name) {
    fragment.warnings.push(warningAt(nodeLocation(source, item), 'lookup table without an entity name ignored'));
    return;
  }
  warnExtraKeys(source, fragment, item, ['lookup', 'examples'], `lookup '${name.value}'`);
  fragment.lookups.push({ entity: name.value, values: plainTexts(source, fragment, item), loc: name.loc });
}

function readResponses(source: YamlSource, fragment: DefinitionFragment, node: Node | null, keyLoc: SourceLocation): void {
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) throw new DefinitionError(keyLoc, "'responses' must be a mapping of response names");
  for (const pair of pairs(node)) {
    const name = keyText(pair.key);
    const loc = nodeLocation(source, pair.key);
    const texts = responseTexts(source, fragment, name, deref(source, pair.value));
    if (texts.length > 0) fragment.responses.push({ name, loc, texts });
    else fragment.warnings.push(warningAt(loc, `response '${name}' has no text variation; skipped`));
  }
}

/** The text of each variation; other parts (buttons, images, conditions...) are warned about. */
function responseTexts(source: YamlSource, fragment: DefinitionFragment, name: string, node: Node | null): string[] {
  if (!isSeq(node)) return [];
  const texts: string[] = [];
  node.items.forEach((raw, i) => {
    const variation = deref(source, raw);
    const what = `variation ${i + 1} of response '${name}'`;
    const plain = stringAt(source, variation);
    if (plain) {
      texts.push(plain.value);
      return;
    }
    if (!isMap(variation)) return;
    for (const pair of pairs(variation)) {
      const key = keyText(pair.key);
      if (key === 'text') continue;
      const why = NON_TEXT_PARTS.has(key) ? 'Duet responses are text only' : 'not supported';
      fragment.warnings.push(warningAt(nodeLocation(source, pair.key), `'${key}' of ${what} ignored (${why})`));
    }
    const text = stringAt(source, findPair(variation, 'text')?.value);
    if (text) texts.push(text.value);
    else fragment.warnings.push(warningAt(nodeLocation(source, variation), `${what} has no text; skipped`));
  });
  return texts;
}

/** Domain `intents:` entries: names, or `name: { use_entities: ... }` whose options are ignored. */
function readDomainIntents(source: YamlSource, fragment: DefinitionFragment, node: Node | null, keyLoc: SourceLocation): void {
  if (isMap(node)) {
    // A Duet-style `intents:` mapping inside a Rasa file is a mix-up worth a clear error.
    throw new DefinitionError(keyLoc, "'intents' in a Rasa file must be a list of intent names (domain format)");
  }
  for (const item of listItems(source, node, keyLoc, 'intents')) {
    const entry = namedEntry(source, item);
    if (!entry) continue;
    fragment.declaredIntents.push(entry);
    if (entry.options) fragment.warnings.push(warningAt(entry.loc, `options of intent '${entry.value}' ignored`));
  }
}

/** Domain `entities:` entries; roles and groups have no Duet equivalent. */
function readDomainEntities(source: YamlSource, fragment: DefinitionFragment, node: Node | null, keyLoc: SourceLocation): void {
  for (const item of listItems(source, node, keyLoc, 'entities')) {
    const entry = namedEntry(source, item);
    if (!entry) continue;
    fragment.entities.push(entry);
    if (entry.options) {
      fragment.warnings.push(
        warningAt(entry.loc, `roles, groups and other options of entity '${entry.value}' ignored`),
      );
    }
  }
}

/** `name` or `name: {...}` list entries of a domain. */
function namedEntry(
  source: YamlSource,
  item: unknown,
): { value: string; loc: SourceLocation; options: boolean } | undefined {
  if (isScalar(item) && item.value !== null) {
    return { value: String(item.value), loc: nodeLocation(source, item), options: false };
  }
  if (isMap(item) && item.items.length === 1) {
    const pair = pairs(item)[0];
    const options = deref(source, pair.value);
    const empty = options === null || (isScalar(options) && options.value === null);
    return { value: keyText(pair.key), loc: nodeLocation(source, pair.key), options: !empty };
  }
  return undefined;
}

/** Rules of the form `intent → utter_x` become responses; any other rule is reported. */
function readRules(source: YamlSource, fragment: DefinitionFragment, node: Node | null, keyLoc: SourceLocation): void {
  for (const item of listItems(source, node, keyLoc, 'rules')) {
    const loc = nodeLocation(source, item as Node);
    const mapping = isMap(item) ? simpleRule(source, item) : undefined;
    if (mapping) {
      fragment.ruleResponses.push({ ...mapping, loc });
      continue;
    }
    const name = isMap(item) ? (itemName(source, item, 'rule')?.value ?? '?') : '?';
    fragment.warnings.push(
      warningAt(loc, `rule '${name}' ignored: only rules of the form 'intent → utter_ response' are imported`),
    );
  }
}

/** `{ rule, steps: [{ intent: x }, { action: utter_y }] }` and nothing else, or undefined. */
function simpleRule(source: YamlSource, item: YAMLMap): { intent: string; response: string } | undefined {
  if (pairs(item).some((pair) => !['rule', 'steps'].includes(keyText(pair.key)))) return undefined;
  const steps = deref(source, findPair(item, 'steps')?.value);
  if (!isSeq(steps) || steps.items.length !== 2) return undefined;
  const [first, second] = steps.items.map((step) => deref(source, step));
  const intent = isMap(first) && first.items.length === 1 ? stringAt(source, findPair(first, 'intent')?.value) : undefined;
  const action = isMap(second) && second.items.length === 1 ? stringAt(source, findPair(second, 'action')?.value) : undefined;
  if (!intent || !action?.value.startsWith('utter_')) return undefined;
  return { intent: intent.value, response: action.value };
}
