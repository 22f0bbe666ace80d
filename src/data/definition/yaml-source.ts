/**
 * A parsed YAML file that remembers where every node came from, so that every problem found
 * later (by zod, by cross-checks, by the Rasa importer) can be reported at file:line:column.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { DefinitionError, type SourceLocation } from '../../errors.js';

/** One YAML file: its text, document tree and line index. */
export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The file's lines without line terminators (for mapping block strings back to lines). */
  lines: string[];
}

/** A node found by path, with the key that introduced it (when it is a map value). */
export interface ResolvedPath {
  node: Node | null;
  key: Node | null;
  /** How many path segments were found; less than the path length when it stops early. */
  depth: number;
}

/** Parse YAML text; syntax errors become `DefinitionError`s at their position. */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // Duplicate keys are checked by the readers, which can name what is duplicated.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const source: YamlSource = { file, text, doc, lineCounter, lines: text.split(/\r?\n/) };
  const error = doc.errors[0];
  if (error) {
    const loc = locate(source, error.pos[0]);
    const message =
      error.code === 'MULTIPLE_DOCS'
        ? "a definition file holds one YAML document; put each '---' document in its own file"
        : `YAML syntax error: ${yamlMessage(error.message)}${syntaxHint(source, loc)}`;
    throw new DefinitionError(loc, message, { cause: error });
  }
  return source;
}

/** The yaml library's message without its trailing position and excerpt. */
function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
}

/** A hint for the most common mistake: an unquoted example starting with `[` is a YAML list. */
function syntaxHint(source: YamlSource, loc: SourceLocation): string {
  const line = source.lines[loc.line - 1] ?? '';
  if (/^\s*-\s*[[{]/.test(line)) {
    return " (an example that starts with '[' or '{' must be quoted, or written in an 'examples: |' block)";
  }
  return '';
}

/** 1-based location of a character offset. */
export function locate(source: YamlSource, offset: number): SourceLocation {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

/** Location of a node's first character (line 1, column 1 when it has none). */
export function nodeLocation(source: YamlSource, node: Node | null | undefined): SourceLocation {
  const offset = node?.range?.[0];
  return offset === undefined ? { file: source.file, line: 1, column: 1 } : locate(source, offset);
}

/** Follow aliases so that `*anchor` values are read like the node they point to. */
export function deref(source: YamlSource, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(source.doc) as Node | undefined) ?? null;
  return (node as Node | null | undefined) ?? null;
}

/** The pair whose key reads `key` in a map node, if any. */
export function findPair(node: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(node)) return undefined;
  return (node.items as Pair<Node, Node | null>[]).find((pair) => keyText(pair.key) === key);
}

/** The text of a map key (YAML keys may be numbers or booleans; we compare them as text). */
export function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Walk `path` from the document root as far as it goes. */
export function resolvePath(source: YamlSource, path: readonly PropertyKey[]): ResolvedPath {
  let node = deref(source, source.doc.contents);
  let key: Node | null = null;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = findPair(node, String(segment));
      if (!pair) break;
      key = pair.key;
      node = deref(source, pair.value);
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      key = null;
      node = deref(source, node.items[segment]);
    } else {
      break;
    }
    depth += 1;
  }
  return { node, key, depth };
}

/** Where to report a problem with a value: the value itself, or its key when the value is empty. */
export function valueLocation(source: YamlSource, resolved: ResolvedPath): SourceLocation {
  const empty = resolved.node === null || (isScalar(resolved.node) && resolved.node.value === null);
  return nodeLocation(source, empty && resolved.key ? resolved.key : resolved.node);
}

/** Report the first duplicate key of any map in the document; `noun` names what a key is at a path. */
export function checkDuplicateKeys(source: YamlSource, noun: (path: readonly string[]) => string): void {
  visitMaps(source, deref(source, source.doc.contents), [], (pairs, path) => {
    const seen = new Map<string, Node>();
    for (const pair of pairs) {
      const name = keyText(pair.key);
      const first = seen.get(name);
      if (first) {
        const firstLine = nodeLocation(source, first).line;
        throw new DefinitionError(
          nodeLocation(source, pair.key),
          `${noun(path)} '${name}' is defined twice (first at line ${firstLine})`,
        );
      }
      seen.set(name, pair.key);
    }
  });
}

/** Depth-first walk over every map, with the key path leading to it. */
function visitMaps(
  source: YamlSource,
  node: Node | null,
  path: string[],
  visit: (pairs: Pair<Node, Node | null>[], path: string[]) => void,
): void {
  if (isMap(node)) {
    const pairs = node.items as Pair<Node, Node | null>[];
    visit(pairs, path);
    for (const pair of pairs) visitMaps(source, deref(source, pair.value), [...path, keyText(pair.key)], visit);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => visitMaps(source, deref(source, item), [...path, String(i)], visit));
  }
}

/** A string scalar's value and location, or undefined when the node is not a string. */
export function stringAt(source: YamlSource, node: unknown): { value: string; loc: SourceLocation } | undefined {
  const resolved = deref(source, node);
  if (!isScalar(resolved) || typeof resolved.value !== 'string') return undefined;
  return { value: resolved.value, loc: nodeLocation(source, resolved) };
}
