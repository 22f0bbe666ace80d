/**
 * Entry point for reading assistant definitions: files, directories or in-memory text, in Duet's
 * own format or Rasa's, merged into one validated `AssistantDefinition`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { DuetError } from '../../errors.js';
import type { AssistantDefinition } from '../types.js';
import { assembleDefinition } from './assemble.js';
import type { DefinitionFragment } from './fragment.js';
import { isRasaDocument, readRasaFragment } from './rasa-import.js';
import { readDuetFragment } from './read-duet.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

/** The text of one definition file and the name to report it under. */
export interface DefinitionSource {
  file: string;
  text: string;
}

/** Options for `parseDefinition`. */
export interface ParseDefinitionOptions {
  /** Assistant name when no file sets `assistant:` (default: the first file's base name). */
  name?: string;
}

const YAML_FILE = /\.ya?ml$/i;

/** Parse, validate and merge definitions held in memory (Duet or Rasa YAML). */
export function parseDefinition(
  sources: DefinitionSource | readonly DefinitionSource[],
  options: ParseDefinitionOptions = {},
): AssistantDefinition {
  const list = Array.isArray(sources) ? (sources as readonly DefinitionSource[]) : [sources as DefinitionSource];
  if (list.length === 0) throw new DuetError('DEFINITION_NOT_FOUND', 'no definition files given');
  const fragments = list.map((source) => readFragment(parseYaml(source.text, source.file)));
  return assembleDefinition(fragments, options.name ?? basename(list[0].file, extname(list[0].file)));
}

/** Read, validate and merge definition files; a directory contributes every *.yml / *.yaml file in it. */
export async function loadDefinition(paths: string | readonly string[]): Promise<AssistantDefinition> {
  const roots = typeof paths === 'string' ? [paths] : [...paths];
  if (roots.length === 0) throw new DuetError('DEFINITION_NOT_FOUND', 'no definition files given');
  const files = (await Promise.all(roots.map(expandPath))).flat();
  const sources = await Promise.all(files.map(async (file) => ({ file, text: await readText(file) })));
  return parseDefinition(sources, { name: basename(roots[0], extname(roots[0])) });
}

/** A file as itself, a directory as its YAML files in name order (so merges are reproducible). */
async function expandPath(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new DuetError('DEFINITION_NOT_FOUND', `cannot read definition '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isDirectory) return [path];
  const names = (await readdir(path)).filter((name) => YAML_FILE.test(name)).sort();
  if (names.length === 0) throw new DuetError('DEFINITION_NOT_FOUND', `no .yml or .yaml files in '${path}'`);
  return names.map((name) => join(path, name));
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new DuetError('DEFINITION_NOT_FOUND', `cannot read definition '${file}': ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Route a file to the Rasa importer or Duet's reader by its top-level keys. */
function readFragment(source: YamlSource): DefinitionFragment {
  return isRasaDocument(source.doc.toJS()) ? readRasaFragment(source) : readDuetFragment(source);
}
