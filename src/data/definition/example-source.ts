/**
 * Examples as they are written in YAML, either one string per list item or a Rasa-style block
 * string of `- ` lines, turned into located, annotation-parsed examples. Positions inside `|`
 * blocks are exact, because each line of a literal block is a line of the file.
 */
import { isScalar, isSeq } from 'yaml';
import type { Scalar } from 'yaml';
import { DefinitionError, type SourceLocation } from '../../errors.js';
import { AnnotationError, parseAnnotatedExample } from './annotations.js';
import { shiftColumn, warningAt, type LocatedExample } from './fragment.js';
import { deref, locate, nodeLocation, type YamlSource } from './yaml-source.js';

/** Raw example text (annotations still inline) and the location of its first character. */
export interface ExampleSource {
  raw: string;
  loc: SourceLocation;
  /** False when the text was unescaped or folded by YAML, so columns inside it cannot be mapped. */
  exact: boolean;
}

/** Where column `column` (1-based) of something starting at `start` is, when it can be known. */
interface Anchor {
  loc: SourceLocation;
  exact: boolean;
}

function columnOf(anchor: Anchor, column: number): SourceLocation {
  return anchor.exact ? shiftColumn(anchor.loc, column) : anchor.loc;
}

/** What to do with a malformed example line: Duet throws, the Rasa importer warns and skips. */
export type ProblemHandler = (loc: SourceLocation, message: string) => void;

/** Throws the problem as a `DefinitionError`. */
export const throwProblem: ProblemHandler = (loc, message) => {
  throw new DefinitionError(loc, message);
};

/** Examples from an `examples:` value: a block string or a list of strings. */
export function examplesFrom(source: YamlSource, value: unknown, onProblem: ProblemHandler): ExampleSource[] {
  const node = deref(source, value);
  if (isScalar(node) && node.type === 'BLOCK_FOLDED') {
    onProblem(nodeLocation(source, node), "write examples as 'examples: |' ('>' folds the lines into one)");
    return [];
  }
  if (isScalar(node) && typeof node.value === 'string') return blockExamples(source, node, onProblem);
  if (!isSeq(node)) return [];
  const examples: ExampleSource[] = [];
  for (const item of node.items) {
    const scalar = deref(source, item);
    if (!isScalar(scalar) || typeof scalar.value !== 'string') {
      onProblem(nodeLocation(source, scalar), 'an example must be a string (quote it)');
      continue;
    }
    const example = scalarExample(source, scalar);
    if (example.raw === '') onProblem(example.loc, 'empty example');
    else examples.push(example);
  }
  return examples;
}

/** Split a block string into its `- ` lines. */
export function blockExamples(source: YamlSource, node: Scalar, onProblem: ProblemHandler): ExampleSource[] {
  const examples: ExampleSource[] = [];
  const lines = String(node.value).split('\n');
  lines.forEach((line, index) => {
    const body = line.trimStart();
    if (body.trim() === '') return;
    const anchor = lineStart(source, node, index, line);
    const start = columnOf(anchor, line.length - body.length + 1);
    if (!/^-(\s|$)/.test(body)) {
      onProblem(start, "each line of an examples block must start with '- '");
      return;
    }
    const rest = body.slice(1);
    const raw = rest.trim();
    if (raw === '') {
      onProblem(start, 'empty example');
      return;
    }
    const loc = columnOf({ loc: start, exact: anchor.exact }, 2 + rest.length - rest.trimStart().length);
    examples.push({ raw, loc, exact: anchor.exact });
  });
  return examples;
}

/** One example written as a YAML string. */
export function scalarExample(source: YamlSource, node: Scalar): ExampleSource {
  const value = String(node.value);
  const firstLine = value.split('\n')[0];
  const lead = value.length - value.trimStart().length;
  const anchor = lineStart(source, node, 0, firstLine);
  return { raw: value.trim(), loc: columnOf(anchor, lead + 1), exact: anchor.exact };
}

/**
 * Where character `offset` of a string scalar's value is in the file: exact where `lineStart` is,
 * else the scalar's own start.
 */
export function locateInScalar(source: YamlSource, node: Scalar, offset: number): SourceLocation {
  const value = String(node.value);
  const before = value.slice(0, offset).split('\n');
  const index = before.length - 1;
  const anchor = lineStart(source, node, index, value.split('\n')[index]);
  return columnOf(anchor, before[index].length + 1);
}

/**
 * Where line `index` of a scalar's value begins in the file. Exact for `|` blocks and single-line
 * plain or quoted strings; otherwise (folded or escaped text) the scalar's own start.
 */
function lineStart(source: YamlSource, node: Scalar, index: number, line: string): Anchor {
  const start = { loc: nodeLocation(source, node), exact: false };
  const offset = node.range?.[0];
  if (node.type === 'BLOCK_LITERAL') {
    const lineNumber = start.loc.line + 1 + index;
    const text = source.lines[lineNumber - 1];
    if (text === undefined || !text.endsWith(line)) return start;
    return { loc: { file: source.file, line: lineNumber, column: text.length - line.length + 1 }, exact: true };
  }
  if (offset === undefined || index > 0) return start;
  const textOffset = node.type === 'PLAIN' ? offset : offset + 1;
  return source.text.startsWith(line, textOffset) ? { loc: locate(source, textOffset), exact: true } : start;
}

/** Parse an example's annotations; errors and warnings are placed at their column in the file. */
export function parseLocatedExample(example: ExampleSource, warnings: string[]): LocatedExample {
  let parsed;
  try {
    parsed = parseAnnotatedExample(example.raw);
  } catch (error) {
    if (error instanceof AnnotationError) {
      throw new DefinitionError(columnOf(example, error.column), error.problem, { cause: error });
    }
    throw error;
  }
  for (const warning of parsed.warnings) {
    warnings.push(warningAt(columnOf(example, warning.column), warning.message));
  }
  return {
    text: parsed.text,
    slots: parsed.slots,
    loc: example.loc,
    slotLocs: parsed.sourceColumns.map((column) => columnOf(example, column)),
  };
}
