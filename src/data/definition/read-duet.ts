/**
 * Reads one file in Duet's own format into a fragment: schema validation first (zod), then the
 * checks that need positions of individual values (slot names, enum values, empty intents).
 */
import { isMap, isScalar } from 'yaml';
import { DefinitionError, type SourceLocation } from '../../errors.js';
import type { EnumValue, PersonaStyle } from '../types.js';
import { SLOT_NAME_PATTERN } from './annotations.js';
import { examplesFrom, locateInScalar, parseLocatedExample, throwProblem } from './example-source.js';
import {
  emptyFragment,
  warningAt,
  type DefinitionFragment,
  type IntentFragment,
  type Located,
  type ResponseFragment,
  type SlotFragment,
} from './fragment.js';
import { DEFAULT_PERSONA_STYLE, PERSONA_PLACEHOLDER_KEYS, personaPlaceholders } from './persona.js';
import { validateDefinitionFile, type DefinitionFile } from './schema.js';
import { didYouMean } from './suggest.js';
import {
  checkDuplicateKeys,
  deref,
  nodeLocation,
  resolvePath,
  valueLocation,
  type YamlSource,
} from './yaml-source.js';

type SlotSpec = NonNullable<DefinitionFile['slots']>[string];
type IntentSpec = NonNullable<DefinitionFile['intents']>[string];
type ResponseSpec = NonNullable<DefinitionFile['responses']>[string];

const SECTION_NOUNS: Record<string, string> = { intents: 'intent', slots: 'slot', responses: 'response' };

/** Read and validate one Duet-format file. */
export function readDuetFragment(source: YamlSource): DefinitionFragment {
  const fragment = emptyFragment(source.file, 'duet');
  checkDuplicateKeys(source, (path) => (path.length === 1 ? (SECTION_NOUNS[path[0]] ?? 'key') : 'key'));
  const root = deref(source, source.doc.contents);
  const data: unknown = source.doc.toJS();
  if (data === null || data === undefined) {
    fragment.warnings.push(warningAt(nodeLocation(source, root), 'file is empty'));
    return fragment;
  }
  if (!isMap(root)) {
    throw new DefinitionError(
      nodeLocation(source, root),
      "a definition file must be a mapping with keys such as 'assistant', 'slots', 'intents' and 'responses'",
    );
  }
  const file = validateDefinitionFile(source, data);
  fragment.name = located(source, ['assistant'], file.assistant);
  fragment.language = located(source, ['language'], file.language);
  fragment.outOfScope = located(source, ['out_of_scope'], file.out_of_scope);
  for (const [name, spec] of Object.entries(file.slots ?? {})) fragment.slots.push(readSlot(source, name, spec));
  for (const [name, spec] of Object.entries(file.intents ?? {})) {
    fragment.intents.push(readIntent(source, name, spec, fragment.warnings));
  }
  for (const [name, spec] of Object.entries(file.responses ?? {})) {
    fragment.responses.push(readResponse(source, name, spec, fragment.personaUses));
  }
  if (file.persona) {
    const facts = file.persona.facts ?? [];
    facts.forEach((fact, i) => checkPersonaPlaceholders(source, ['persona', 'facts', i], fact, []));
    fragment.persona = {
      value: { name: file.persona.name, facts, style: file.persona.style ?? DEFAULT_PERSONA_STYLE },
      loc: keyLocation(source, ['persona']),
    };
  }
  return fragment;
}

/**
 * A response's texts, and their styles when any is tagged (a list parallel to the texts, `[]` for
 * an untagged one), so that untagged responses are read exactly as before.
 */
function readResponse(source: YamlSource, name: string, spec: ResponseSpec, personaUses: Located<string>[]): ResponseFragment {
  const single = resolvePath(source, ['responses', name]);
  const texts: string[] = [];
  const styles: PersonaStyle[][] = [];
  spec.forEach((variant, i) => {
    const text = typeof variant === 'string' ? variant : variant.text;
    // `utter_bye: Bye!` is one text with no list around it.
    const path = isScalar(single.node) ? ['responses', name] : typeof variant === 'string' ? ['responses', name, i] : ['responses', name, i, 'text'];
    checkPersonaPlaceholders(source, path, text, personaUses);
    texts.push(text);
    const style = typeof variant === 'string' ? undefined : variant.style;
    styles.push(style === undefined ? [] : typeof style === 'string' ? [style] : [...new Set(style)]);
  });
  const response: ResponseFragment = { name, loc: keyLocation(source, ['responses', name]), texts };
  if (styles.some((s) => s.length > 0)) response.styles = styles;
  return response;
}

/**
 * `{persona.<key>}` must name a key the runtime fills (a typo would otherwise reach users as
 * written); each use is recorded, since the persona it needs may be defined in another file.
 */
function checkPersonaPlaceholders(source: YamlSource, path: (string | number)[], text: string, uses: Located<string>[]): void {
  const keys: readonly string[] = PERSONA_PLACEHOLDER_KEYS;
  for (const { key, index, match } of personaPlaceholders(text)) {
    const loc = placeholderLocation(source, path, index);
    if (!keys.includes(key)) {
      const allowed = keys.map((k) => `{persona.${k}}`);
      const hint = didYouMean(key, keys).replace(/'([^']*)'/, "'{persona.$1}'");
      throw new DefinitionError(loc, `unknown placeholder '${match}'${hint} (allowed: ${allowed.join(', ')})`);
    }
    uses.push({ value: match, loc });
  }
}

/** The column of a placeholder inside the string at `path`. */
function placeholderLocation(source: YamlSource, path: (string | number)[], index: number): SourceLocation {
  const node = resolvePath(source, path).node;
  return isScalar(node) ? locateInScalar(source, node, index) : nodeLocation(source, node);
}

/** A top-level string with the location of its value. */
function located(source: YamlSource, path: string[], value: string | undefined): Located<string> | undefined {
  if (value === undefined) return undefined;
  return { value, loc: valueLocation(source, resolvePath(source, path)) };
}

/** Location of the key at the end of `path` (where a user looks for "intent 'greet'"). */
function keyLocation(source: YamlSource, path: string[]) {
  const resolved = resolvePath(source, path);
  return nodeLocation(source, resolved.key ?? resolved.node);
}

function readSlot(source: YamlSource, name: string, spec: SlotSpec): SlotFragment {
  const loc = keyLocation(source, ['slots', name]);
  if (!SLOT_NAME_PATTERN.test(name)) {
    throw new DefinitionError(loc, `invalid slot name '${name}' (use letters, digits, '_', '.', '-', '/')`);
  }
  if (spec.type !== 'enum') {
    if (spec.values !== undefined) {
      throw new DefinitionError(
        keyLocation(source, ['slots', name, 'values']),
        `'values' is only allowed for enum slots (slot '${name}' is ${spec.type})`,
      );
    }
    return { name, loc, type: spec.type };
  }
  if (!spec.values || spec.values.length === 0) {
    throw new DefinitionError(loc, `enum slot '${name}' needs a non-empty 'values' list`);
  }
  return { name, loc, type: 'enum', values: readEnumValues(source, name, spec.values) };
}

/** Normalise enum values; each value or synonym may mean only one thing (compared case-insensitively). */
function readEnumValues(
  source: YamlSource,
  slot: string,
  specs: NonNullable<SlotSpec['values']>,
): EnumValue[] {
  const seen = new Set<string>();
  const claim = (text: string, path: (string | number)[]) => {
    const folded = text.toLowerCase();
    if (seen.has(folded)) {
      throw new DefinitionError(
        valueLocation(source, resolvePath(source, path)),
        `'${text}' appears twice among the values and synonyms of slot '${slot}'`,
      );
    }
    seen.add(folded);
  };
  return specs.map((spec, i) => {
    const base = ['slots', slot, 'values', i];
    claim(spec.value, [...base, 'value']);
    const synonyms = spec.synonyms ?? [];
    synonyms.forEach((synonym, j) => claim(synonym, [...base, 'synonyms', j]));
    return { value: spec.value, synonyms };
  });
}

function readIntent(source: YamlSource, name: string, spec: IntentSpec, warnings: string[]): IntentFragment {
  const loc = keyLocation(source, ['intents', name]);
  const node = resolvePath(source, ['intents', name, 'examples']).node;
  const examples = examplesFrom(source, node, throwProblem).map((example) => parseLocatedExample(example, warnings));
  if (examples.length === 0) throw new DefinitionError(loc, `intent '${name}' has no examples`);
  const intent: IntentFragment = { name, loc, examples };
  if (spec.skill !== undefined) intent.skill = spec.skill;
  const response = located(source, ['intents', name, 'response'], spec.response);
  if (response) intent.response = response;
  return intent;
}
