/** The English ChatterBot corpus (BSD-3-Clause): small hand-written conversations in YAML files. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DatasetError } from '../../errors.js';
import { isDirectory, readText, resolveDataDir, DATA_DIR_ENV, type LoadOptions } from '../datasets/files.js';

const NAME = 'chatterbot-corpus';

/** The corpus licence; it travels with any model trained on it. */
export const CHATTERBOT_LICENCE = 'BSD-3-Clause';

/** Parse one yml file: `conversations` is a list of conversations, each a list of statements. */
export function parseChatterbotYaml(text: string, where = 'chatterbot yml'): string[][] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (cause) {
    throw new DatasetError(`Dataset '${NAME}': ${where} is not valid YAML.`, { cause });
  }
  const conversations = (data as { conversations?: unknown } | null)?.conversations;
  if (!Array.isArray(conversations)) throw new DatasetError(`Dataset '${NAME}': ${where} has no 'conversations' list.`);
  // A conversation that is not a list (trivia.yml has one string with its answer run into it)
  // has no exchange to learn from, and is skipped.
  return conversations.filter((conversation: unknown) => Array.isArray(conversation)).map((conversation: unknown[]) =>
    conversation
      .filter((s) => s !== null && s !== undefined)
      // YAML reads bare numbers as numbers; the corpus means them as text.
      .map((s) => String(s).replace(/\s+/g, ' ').trim())
      .filter(Boolean),
  );
}

/** Load every conversation of `<data dir>/chatterbot-corpus/english/*.yml`, files in name order. */
export function loadChatterbot(options: LoadOptions = {}): string[][] {
  const folder = join(resolveDataDir(options), NAME, 'english');
  if (!isDirectory(folder)) {
    throw new DatasetError(`Dataset '${NAME}' not found at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders.`);
  }
  return readdirSync(folder)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .flatMap((file) => parseChatterbotYaml(readText(NAME, join(folder, file)), join(folder, file)));
}
