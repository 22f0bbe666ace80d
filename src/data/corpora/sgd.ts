/**
 * Schema-Guided Dialogue (Rastogi et al. 2020), read as plain conversations: the user and system
 * utterances of each dialogue in order. Only part of SGD is in the data folder (see its
 * SOURCE.md), so nothing computed on it is comparable with published SGD figures. Licence CC BY-SA 4.0.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import { isDirectory, readText, resolveDataDir, DATA_DIR_ENV, type LoadOptions } from '../datasets/files.js';

const NAME = 'sgd';

/** SGD's licence; it travels with any model trained on the corpus. */
export const SGD_LICENCE = 'CC BY-SA 4.0';

/** The folder names of SGD's splits. */
export type SgdSplit = 'train' | 'dev' | 'test';

/** One utterance of an SGD dialogue. */
export interface SgdTurn {
  speaker: 'USER' | 'SYSTEM';
  text: string;
}

/** One SGD dialogue as a conversation. */
export interface SgdDialogue {
  id: string;
  turns: SgdTurn[];
}

/** Parse one `dialogues_NNN.json` file (a list of dialogues); `where` names it in errors. */
export function parseSgdDialogues(json: string, where = 'sgd json'): SgdDialogue[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (cause) {
    throw new DatasetError(`Dataset '${NAME}': ${where} is not valid JSON.`, { cause });
  }
  if (!Array.isArray(data)) throw new DatasetError(`Dataset '${NAME}': ${where} should be a list of dialogues.`);
  return data.map((dialogue: unknown, i) => {
    const { dialogue_id: id, turns } = (dialogue ?? {}) as { dialogue_id?: unknown; turns?: unknown };
    if (typeof id !== 'string' || !Array.isArray(turns)) throw new DatasetError(`Dataset '${NAME}': ${where} dialogue ${i} needs a 'dialogue_id' and a 'turns' list.`);
    return {
      id,
      turns: turns.flatMap((turn: unknown, t) => {
        const { speaker, utterance } = (turn ?? {}) as { speaker?: unknown; utterance?: unknown };
        if ((speaker !== 'USER' && speaker !== 'SYSTEM') || typeof utterance !== 'string') {
          throw new DatasetError(`Dataset '${NAME}': ${where} dialogue ${id} turn ${t} needs a speaker (USER or SYSTEM) and an utterance.`);
        }
        const text = utterance.replace(/\s+/g, ' ').trim();
        return text ? [{ speaker, text }] : [];
      }),
    };
  });
}

/** Load every `dialogues_*.json` of one split from `<data dir>/sgd/<split>/`, in file order. */
export function loadSgdDialogues(split: SgdSplit, options: LoadOptions = {}): SgdDialogue[] {
  const folder = join(resolveDataDir(options), NAME, split);
  if (!isDirectory(folder)) {
    throw new DatasetError(`Dataset '${NAME}' split '${split}' not found at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders.`);
  }
  const files = readdirSync(folder).filter((f) => /^dialogues_\d+\.json$/.test(f)).sort();
  if (files.length === 0) throw new DatasetError(`Dataset '${NAME}': ${folder} has no dialogues_NNN.json files.`);
  return files.flatMap((file) => parseSgdDialogues(readText(NAME, join(folder, file)), join(folder, file)));
}
