/**
 * The shape of Duet's own definition YAML, as a zod schema, and the translation of zod issues
 * into `DefinitionError`s that point at the offending YAML node with a message a user can act on.
 */
import { z } from 'zod';
import { DefinitionError } from '../../errors.js';
import { MAX_FACT_CHARS, MAX_PERSONA_FACTS, PERSONA_STYLES } from './persona.js';
import { didYouMean } from './suggest.js';
import { resolvePath, nodeLocation, valueLocation, type YamlSource } from './yaml-source.js';

/** Slot types a definition may declare. */
export const SLOT_TYPES = ['datetime', 'duration', 'number', 'quantity', 'text', 'enum'] as const;

const nonEmpty = z.string().min(1);

/** `shopping` or `{ value: shopping, synonyms: [groceries] }`. */
export const enumValueObject = z.strictObject({
  value: nonEmpty,
  synonyms: z.array(nonEmpty).optional(),
});
const enumValue = z.preprocess((v) => (typeof v === 'string' ? { value: v } : v), enumValueObject);

/** `{ type: enum, values: [...] }`, or just the type name. */
export const slotObject = z.strictObject({
  type: z.enum(SLOT_TYPES),
  values: z.array(enumValue).optional(),
});
const slot = z.preprocess((v) => (typeof v === 'string' ? { type: v } : v), slotObject);

/** An intent: examples (list or `- ` block string), and optionally a skill and a response. */
export const intentObject = z.strictObject({
  examples: z.union([z.string(), z.array(z.string())]),
  skill: nonEmpty.optional(),
  response: nonEmpty.optional(),
});

const styleName = z.enum(PERSONA_STYLES);

/** A response text written as a mapping, to tag it with the style(s) it suits. */
export const responseVariantObject = z.strictObject({
  text: nonEmpty,
  // The list first: a string then fails it by type, and the error reported is the style name's.
  style: z.union([z.array(styleName).min(1), styleName]).optional(),
});

/** One response: a text or a list of alternative texts, each a string or `{ text, style }`. */
const response = z.preprocess(
  (v) => (typeof v === 'string' ? [v] : v),
  z.array(z.union([nonEmpty, responseVariantObject])).min(1),
);

/** `persona:`: who the assistant is. */
export const personaObject = z.strictObject({
  name: nonEmpty,
  facts: z.array(nonEmpty.max(MAX_FACT_CHARS)).max(MAX_PERSONA_FACTS).optional(),
  style: styleName.optional(),
});

/** A whole Duet definition file; every section is optional so that files can be split and merged. */
export const definitionFileSchema = z.strictObject({
  assistant: nonEmpty.optional(),
  language: nonEmpty.optional(),
  out_of_scope: nonEmpty.optional(),
  slots: z.record(z.string(), slot).nullish(),
  intents: z.record(z.string(), intentObject).nullish(),
  responses: z.record(z.string(), response).nullish(),
  persona: personaObject.optional(),
});

/** A Duet definition file after validation. */
export type DefinitionFile = z.infer<typeof definitionFileSchema>;

type Path = readonly PropertyKey[];

/** Validate a parsed file; the first problem in document order is thrown as a `DefinitionError`. */
export function validateDefinitionFile(source: YamlSource, data: unknown): DefinitionFile {
  const result = definitionFileSchema.safeParse(data);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => issueToError(source, data, issue));
  errors.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
  throw errors[0];
}

/** Turn one zod issue into an error at the YAML node it is about. */
export function issueToError(source: YamlSource, data: unknown, issue: z.core.$ZodIssue): DefinitionError {
  const concrete = unwrapUnion(issue);
  const path = concrete.path;
  if (concrete.code === 'unrecognized_keys') {
    const key = concrete.keys[0];
    const keyNode = resolvePath(source, [...path, key]).key;
    const allowed = allowedKeys(path);
    const hint = didYouMean(key, allowed);
    return new DefinitionError(
      nodeLocation(source, keyNode),
      `unknown key '${key}' ${path.length === 0 ? 'at' : 'in'} ${describePath(path)}${hint} (allowed: ${allowed.join(', ')})`,
    );
  }
  const resolved = resolvePath(source, path);
  if (isMissingKey(data, path)) {
    // The key is absent: point at the map that lacks it, by its own key when it has one.
    const parent = resolvePath(source, path.slice(0, -1));
    return new DefinitionError(
      nodeLocation(source, parent.key ?? parent.node),
      `${describePath(path.slice(0, -1))} is missing '${String(path[path.length - 1])}'`,
    );
  }
  return new DefinitionError(valueLocation(source, resolved), describeIssue(concrete, data));
}

/**
 * zod reports a union failure with one issue list per branch. The branch whose value had the
 * right type is the one the user meant; report its own issue instead of "Invalid input".
 */
function unwrapUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const meant = issue.errors.find(
    (branch) => branch.length > 0 && !(branch[0].code === 'invalid_type' && branch[0].path.length === 0),
  );
  if (!meant) return issue;
  // An unknown key explains a missing one ("did you mean 'text'?"): report it first.
  const inner = meant.find((branchIssue) => branchIssue.code === 'unrecognized_keys') ?? meant[0];
  return unwrapUnion({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
}

/** A message for issues about a present value. */
function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const path = issue.path;
  const field = describeField(path);
  const got = typeName(valueAt(data, path));
  switch (issue.code) {
    case 'invalid_type':
      return `${field} must be ${expectedName(issue.expected)}, not ${got}${quoteHint(issue.expected)}`;
    case 'invalid_value':
      if (path[path.length - 1] === 'type') {
        // A slot may be written as just its type name, which zod saw wrapped as `{ type }`.
        const value = String(valueAt(data, path) ?? valueAt(data, path.slice(0, -1)));
        return `unknown slot type '${value}'${didYouMean(value, SLOT_TYPES)} (allowed: ${SLOT_TYPES.join(', ')})`;
      }
      if (path.includes('style')) {
        const value = String(valueAt(data, path));
        return `unknown style '${value}'${didYouMean(value, PERSONA_STYLES)} (allowed: ${PERSONA_STYLES.join(', ')})`;
      }
      return `${field} must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `${field} must not be empty`;
    case 'too_big':
      return issue.origin === 'array'
        ? `${field} has ${listLength(valueAt(data, path))} items, at most ${String(issue.maximum)} are allowed`
        : `${field} is longer than ${String(issue.maximum)} characters`;
    case 'invalid_union':
      if (path[path.length - 1] === 'examples') return `${field} must be a list of strings or a block string of '- ' lines, not ${got}`;
      if (path[0] === 'responses' && typeof path[path.length - 1] === 'number') {
        // Before texts could be mappings this was a plain string check: keep its message for scalars.
        const value = valueAt(data, path);
        return typeof value === 'object' && value !== null
          ? `${field} must be a string or a mapping with 'text' and 'style', not ${got}`
          : `${field} must be a string, not ${got} (quote it)`;
      }
      return `${field} has the wrong shape`;
    default:
      return `${field}: ${issue.message}`;
  }
}

/** YAML reads `yes`, `12` or `[a](b)` as non-strings; quoting is the fix. */
function quoteHint(expected: string): string {
  return expected === 'string' ? ' (quote it)' : '';
}

function expectedName(expected: string): string {
  if (expected === 'object' || expected === 'record') return 'a mapping';
  if (expected === 'array') return 'a list';
  return `a ${expected}`;
}

function listLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** Keys allowed in the object at `path`, for the "unknown key" message. */
function allowedKeys(path: Path): string[] {
  if (path.length === 0) return Object.keys(definitionFileSchema.shape);
  if (path[0] === 'intents') return Object.keys(intentObject.shape);
  if (path[0] === 'slots' && path.length === 2) return Object.keys(slotObject.shape);
  if (path[0] === 'slots') return Object.keys(enumValueObject.shape);
  if (path[0] === 'responses') return Object.keys(responseVariantObject.shape);
  if (path[0] === 'persona') return Object.keys(personaObject.shape);
  return [];
}

/** A human name for the thing at `path`: "intent 'greet'", "value 2 of slot 'list'". */
export function describePath(path: Path): string {
  const [section, name, sub, index] = path;
  if (path.length === 0) return 'the top level';
  if (path.length === 1) return `'${String(section)}'`;
  if (section === 'persona') {
    if (name === 'facts' && typeof sub === 'number') return `fact ${sub + 1} of the persona`;
    if (path.length === 2) return `'${String(name)}' of the persona`;
  }
  const noun = section === 'intents' ? 'intent' : section === 'slots' ? 'slot' : section === 'responses' ? 'response' : '';
  if (!noun) return `'${path.map(String).join('.')}'`;
  const owner = `${noun} '${String(name)}'`;
  if (path.length === 2) return owner;
  if (section === 'responses' && typeof sub === 'number') {
    return path.length === 3 ? `text ${sub + 1} of ${owner}` : `'${String(path[3])}' of text ${sub + 1} of ${owner}`;
  }
  if (sub === 'examples' && typeof index === 'number') return `example ${index + 1} of ${owner}`;
  if (sub === 'values' && typeof index === 'number') {
    return path.length === 4 ? `value ${index + 1} of ${owner}` : `'${String(path[4])}' of value ${index + 1} of ${owner}`;
  }
  return `'${String(path[path.length - 1])}' of ${describePath(path.slice(0, -1))}`;
}

/** Like `describePath`, but reads as the subject of "must be ...". */
function describeField(path: Path): string {
  return path.length === 0 ? 'the file' : describePath(path);
}

/** Whether `path` names a key that is absent from a mapping that exists. */
function isMissingKey(data: unknown, path: Path): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(data, path.slice(0, -1));
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return false;
  return (parent as Record<PropertyKey, unknown>)[path[path.length - 1]] === undefined;
}

/** The plain value at `path` inside `data`. */
function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}
