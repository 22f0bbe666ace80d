/**
 * Microsoft's personality chit-chat sets (MIT): QnA Maker's five-personality `.qna` files, where
 * many phrasings of a question share one answer, and the 2018 Personality Chat TSVs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import { isDirectory, readLines, readText, resolveDataDir, DATA_DIR_ENV, type LoadOptions } from '../datasets/files.js';

const NAME = 'microsoft-chitchat';

/** The licence of both sets; it travels with any model trained on them. */
export const MICROSOFT_CHITCHAT_LICENCE = 'MIT';

/** A question phrasing and its answer. */
export interface QaPair {
  question: string;
  answer: string;
}

/** Everything the folder holds: question/answer pairs and responses that have no question (scenario replies). */
export interface MicrosoftChitchat {
  pairs: QaPair[];
  responses: string[];
}

/**
 * Parse a Bot Framework `.qna` file: each `# ? question` with its `- alternative` lines (up to a
 * `**Filters:**` block, whose `- key = value` lines are metadata) and the answer in the fenced
 * block that follows. One pair per phrasing.
 */
export function parseQna(text: string): QaPair[] {
  const pairs: QaPair[] = [];
  let questions: string[] = [];
  let collecting = false;
  let answer: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (answer !== null) {
      if (line.trim().startsWith('```')) {
        const text = answer.join('\n').trim();
        if (text) for (const question of questions) pairs.push({ question, answer: text });
        answer = null;
        questions = [];
      } else answer.push(line);
      continue;
    }
    if (line.startsWith('# ?')) {
      questions = [line.slice(3).trim()].filter(Boolean);
      collecting = true;
    } else if (collecting && line.startsWith('- ')) {
      const question = line.slice(2).trim();
      if (question) questions.push(question);
    } else if (line.startsWith('**Filters:**')) {
      collecting = false;
    } else if (line.trim().startsWith('```')) {
      collecting = false;
      answer = [];
    }
  }
  return pairs;
}

/** Parse a `Queries_Responses_*.tsv` file (`Question<TAB>Answer<TAB>Metadata`, header first). */
export function parseQueriesTsv(lines: string[]): QaPair[] {
  return lines.slice(1).flatMap((line) => {
    const [question = '', answer = ''] = line.split('\t').map((field) => field.trim());
    return question && answer ? [{ question, answer }] : [];
  });
}

/** Load `<data dir>/microsoft-chitchat`: all `.qna` pairs, the 2018 query pairs, and the 2018 scenario responses. */
export function loadMicrosoftChitchat(options: LoadOptions = {}): MicrosoftChitchat {
  const folder = join(resolveDataDir(options), NAME);
  const qnaFolder = join(folder, 'qnamaker-english');
  const tsvFolder = join(folder, 'personalitychat-2018');
  if (!isDirectory(qnaFolder) || !isDirectory(tsvFolder)) {
    throw new DatasetError(`Dataset '${NAME}' not found (or incomplete) at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders.`);
  }
  const pairs: QaPair[] = [];
  const responses: string[] = [];
  for (const file of readdirSync(qnaFolder).filter((f) => f.endsWith('.qna')).sort()) pairs.push(...parseQna(readText(NAME, join(qnaFolder, file))));
  for (const file of readdirSync(tsvFolder).sort()) {
    const lines = readLines(NAME, join(tsvFolder, file));
    if (file.startsWith('Queries_Responses_')) pairs.push(...parseQueriesTsv(lines));
    else if (file.startsWith('Scenario_Responses_')) {
      for (const line of lines.slice(1)) {
        const response = line.split('\t')[1]?.trim();
        if (response) responses.push(response);
      }
    }
  }
  return { pairs, responses };
}
