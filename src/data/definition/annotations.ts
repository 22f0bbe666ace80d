/**
 * Inline slot annotations inside one example string:
 *   `[call mom](task)`, `[groceries](list:shopping)`, `[NYC]{"entity": "city", "value": "New York"}`.
 * Parsing returns the clean text with character offsets, so the loader never has to re-derive them.
 */
import { DuetError } from '../../errors.js';
import type { SlotSpan } from '../types.js';

/** A malformed annotation; `column` is 1-based inside the example string. */
export class AnnotationError extends DuetError {
  readonly column: number;
  readonly problem: string;

  constructor(column: number, problem: string) {
    super('ANNOTATION_INVALID', `column ${column}: ${problem}`);
    this.column = column;
    this.problem = problem;
  }
}

/** Something in an annotation that was accepted but ignored (e.g. a Rasa entity role). */
export interface AnnotationWarning {
  /** 1-based column inside the example string. */
  column: number;
  message: string;
}

/** The clean text of an example and the slot spans found in it. */
export interface AnnotatedExample {
  text: string;
  slots: SlotSpan[];
  /** 1-based column of the `[` that opened each span, parallel to `slots` (for error positions). */
  sourceColumns: number[];
  warnings: AnnotationWarning[];
}

/** Characters that a backslash escapes; any other backslash is kept literally. */
const ESCAPABLE = new Set(['[', ']', '\\']);

/** Slot names usable in the `(slot)` shorthand: letters, digits and `_ . - /`. */
export const SLOT_NAME_PATTERN = /^[\p{L}\p{N}_.\-/]+$/u;

/** Keys of a Rasa entity dictionary that Duet reads. */
const ENTITY_KEYS = new Set(['entity', 'value']);

interface SpanLabel {
  slot: string;
  value?: string;
  /** Index just after the label (`)`, `}` or `]`). */
  end: number;
}

/** Parse `[text](slot)`, `[text](slot:value)` and Rasa `[text]{"entity": ...}` annotations out of an example. */
export function parseAnnotatedExample(source: string): AnnotatedExample {
  const result: AnnotatedExample = { text: '', slots: [], sourceColumns: [], warnings: [] };
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\' && ESCAPABLE.has(source[i + 1] ?? '')) {
      result.text += source[i + 1];
      i += 2;
    } else if (c === ']') {
      throw new AnnotationError(i + 1, "unexpected ']' without a matching '['; write '\\]' for a literal bracket");
    } else if (c === '[') {
      i = parseSpan(source, i, result);
    } else {
      result.text += c;
      i += 1;
    }
  }
  return result;
}

/** Parse one `[text](label)` starting at `open`; appends to `result` and returns the index after it. */
function parseSpan(source: string, open: number, result: AnnotatedExample): number {
  const { surface, close } = readSpanText(source, open);
  const label = readLabel(source, open, close, result.warnings);
  // Spaces inside the brackets stay in the text but not in the span: BIO tags must start on a word.
  const lead = surface.length - surface.trimStart().length;
  const trimmed = surface.trim();
  if (trimmed === '') throw new AnnotationError(open + 1, `annotation '[${surface}]' has no text`);
  const start = result.text.length + lead;
  result.text += surface;
  const span: SlotSpan = { slot: label.slot, start, end: start + trimmed.length };
  if (label.value !== undefined && label.value !== trimmed) span.value = label.value;
  result.slots.push(span);
  result.sourceColumns.push(open + 1);
  return label.end;
}

/** Read the annotated text between `[` and `]`, resolving escapes. */
function readSpanText(source: string, open: number): { surface: string; close: number } {
  let surface = '';
  let j = open + 1;
  while (j < source.length && source[j] !== ']') {
    if (source[j] === '\\' && ESCAPABLE.has(source[j + 1] ?? '')) {
      surface += source[j + 1];
      j += 2;
      continue;
    }
    if (source[j] === '[') {
      throw new AnnotationError(j + 1, "annotations cannot be nested; write '\\[' for a literal bracket");
    }
    surface += source[j];
    j += 1;
  }
  if (j >= source.length) {
    throw new AnnotationError(open + 1, "'[' is never closed; write '\\[' for a literal bracket");
  }
  return { surface, close: j };
}

/** Read the label that must follow `]`: `(slot)`, `(slot:value)`, `{...}` or `[{...}, ...]`. */
function readLabel(source: string, open: number, close: number, warnings: AnnotationWarning[]): SpanLabel {
  const at = close + 1;
  switch (source[at]) {
    case '(':
      return readShorthand(source, at);
    case '{':
    case '[':
      return readEntityJson(source, at, warnings);
    default:
      throw new AnnotationError(
        open + 1,
        `'${source.slice(open, close + 1)}' must be followed by '(slot)' or '{"entity": "slot"}'; write '\\[' for a literal bracket`,
      );
  }
}

/** `(slot)` or `(slot:value)`. */
function readShorthand(source: string, at: number): SpanLabel {
  const close = source.indexOf(')', at);
  if (close < 0) throw new AnnotationError(at + 1, "'(' is never closed");
  const inner = source.slice(at + 1, close);
  const colon = inner.indexOf(':');
  const slot = (colon < 0 ? inner : inner.slice(0, colon)).trim();
  if (slot === '') throw new AnnotationError(at + 1, 'missing slot name in \'(...)\'');
  if (!SLOT_NAME_PATTERN.test(slot)) {
    throw new AnnotationError(at + 2, `invalid slot name '${slot}' (use letters, digits, '_', '.', '-', '/')`);
  }
  if (colon < 0) return { slot, end: close + 1 };
  const value = inner.slice(colon + 1).trim();
  if (value === '') throw new AnnotationError(at + 2 + colon, `empty value after '${slot}:'`);
  return { slot, value, end: close + 1 };
}

/** Rasa's `{"entity": ..., "value": ...}` or the list form `[{...}, {...}]` (first entity used). */
function readEntityJson(source: string, at: number, warnings: AnnotationWarning[]): SpanLabel {
  const end = matchingBracket(source, at);
  let parsed: unknown;
  try {
    parsed = JSON.parse(source.slice(at, end));
  } catch (error) {
    throw new AnnotationError(at + 1, `invalid JSON in entity annotation: ${(error as Error).message}`);
  }
  let entity = parsed;
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) throw new AnnotationError(at + 1, 'empty entity list');
    if (parsed.length > 1) {
      warnings.push({ column: at + 1, message: 'only the first entity of an entity list is used' });
    }
    entity = parsed[0];
  }
  return { ...readEntityObject(entity, at, warnings), end };
}

/** Validate one Rasa entity dictionary. */
function readEntityObject(
  entity: unknown,
  at: number,
  warnings: AnnotationWarning[],
): { slot: string; value?: string } {
  if (typeof entity !== 'object' || entity === null || Array.isArray(entity)) {
    throw new AnnotationError(at + 1, 'entity annotation must be a JSON object like {"entity": "slot"}');
  }
  const record = entity as Record<string, unknown>;
  if (typeof record.entity !== 'string' || record.entity.trim() === '') {
    throw new AnnotationError(at + 1, 'entity annotation needs a non-empty "entity" string');
  }
  for (const key of Object.keys(record).filter((k) => !ENTITY_KEYS.has(k))) {
    const why = key === 'role' || key === 'group' ? 'Duet has no entity roles or groups' : 'unknown key';
    warnings.push({ column: at + 1, message: `"${key}" in entity annotation ignored (${why})` });
  }
  const value = record.value;
  if (value === undefined || value === null) return { slot: record.entity.trim() };
  if (typeof value === 'object') {
    throw new AnnotationError(at + 1, 'entity "value" must be a string, number or boolean');
  }
  return { slot: record.entity.trim(), value: String(value) };
}

/** Index just after the bracket matching `source[at]`, skipping JSON strings. */
function matchingBracket(source: string, at: number): number {
  let depth = 0;
  let inString = false;
  for (let j = at; j < source.length; j += 1) {
    const c = source[j];
    if (inString) {
      if (c === '\\') j += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      depth += 1;
    } else if (c === '}' || c === ']') {
      depth -= 1;
      if (depth === 0) return j + 1;
    }
  }
  throw new AnnotationError(at + 1, `'${source[at]}' is never closed`);
}

/** Escape the characters the parser treats specially in plain text. */
function escapeText(text: string): string {
  return text.replace(/[[\]\\]/g, (c) => `\\${c}`);
}

/** Write the annotation label for a span, choosing the shorthand when it round-trips. */
function formatLabel(span: SlotSpan): string {
  const shorthandSafe =
    SLOT_NAME_PATTERN.test(span.slot) &&
    (span.value === undefined || (span.value !== '' && span.value === span.value.trim() && !span.value.includes(')')));
  if (shorthandSafe) return span.value === undefined ? `(${span.slot})` : `(${span.slot}:${span.value})`;
  return JSON.stringify(span.value === undefined ? { entity: span.slot } : { entity: span.slot, value: span.value });
}

/** Inverse of `parseAnnotatedExample`: write `text` with its spans as inline annotations. */
export function formatAnnotatedExample(text: string, slots: readonly SlotSpan[]): string {
  const sorted = [...slots].sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (const span of sorted) {
    if (span.start < cursor || span.end <= span.start || span.end > text.length) {
      throw new DuetError('ANNOTATION_INVALID', `span ${span.slot} [${span.start}, ${span.end}) overlaps or is out of range`);
    }
    out += escapeText(text.slice(cursor, span.start));
    out += `[${escapeText(text.slice(span.start, span.end))}]${formatLabel(span)}`;
    cursor = span.end;
  }
  return out + escapeText(text.slice(cursor));
}
