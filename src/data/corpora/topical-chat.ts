/**
 * Topical-Chat (Gopalakrishnan et al. 2019): knowledge-grounded chats between two crowd
 * workers. Only the valid and test splits are available here (train was too large to fetch);
 * `valid_*` may be used for training, `test_*` only for reporting. Licence CDLA-Sharing-1.0.
 */
import { join } from 'node:path';
import { DatasetError } from '../../errors.js';
import { isDirectory, readText, resolveDataDir, DATA_DIR_ENV, type LoadOptions } from '../datasets/files.js';

const NAME = 'topical-chat';

/** Topical-Chat's licence; it travels with any model trained on the corpus. */
export const TOPICAL_CHAT_LICENCE = 'CDLA-Sharing-1.0';

/** Splits present in the data folder ("freq"/"rare": topics seen often or rarely in upstream train). */
export const TOPICAL_CHAT_SPLITS = Object.freeze(['valid_freq', 'valid_rare', 'test_freq', 'test_rare'] as const);

/** One of `TOPICAL_CHAT_SPLITS`. */
export type TopicalChatSplit = (typeof TOPICAL_CHAT_SPLITS)[number];

/** One message of a conversation. */
export interface TopicalChatTurn {
  speaker: 'agent_1' | 'agent_2';
  text: string;
}

/** One conversation: its upstream id and its messages in order. */
export interface TopicalChatConversation {
  id: string;
  turns: TopicalChatTurn[];
}

/**
 * Parse a `conversations/<split>.json` document (an object keyed by conversation id). Messages
 * have their whitespace collapsed; empty messages are dropped. `where` names the file in errors.
 */
export function parseTopicalChat(json: string, where = 'topical-chat json'): TopicalChatConversation[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (cause) {
    throw new DatasetError(`Dataset '${NAME}': ${where} is not valid JSON.`, { cause });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DatasetError(`Dataset '${NAME}': ${where} should be an object keyed by conversation id.`);
  }
  return Object.entries(data as Record<string, unknown>).map(([id, conversation]) => {
    const content = (conversation as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) throw new DatasetError(`Dataset '${NAME}': ${where} conversation ${id} has no 'content' list.`);
    const turns: TopicalChatTurn[] = [];
    content.forEach((turn: unknown, i) => {
      const { message, agent } = (turn ?? {}) as { message?: unknown; agent?: unknown };
      if (typeof message !== 'string' || (agent !== 'agent_1' && agent !== 'agent_2')) {
        throw new DatasetError(`Dataset '${NAME}': ${where} conversation ${id} turn ${i} needs a string 'message' and an 'agent' of agent_1 or agent_2.`);
      }
      const text = message.replace(/\s+/g, ' ').trim();
      if (text) turns.push({ speaker: agent, text });
    });
    return { id, turns };
  });
}

/** Load one split's conversations from `<data dir>/topical-chat/conversations/<split>.json`. */
export function loadTopicalChat(split: TopicalChatSplit, options: LoadOptions = {}): TopicalChatConversation[] {
  if (!TOPICAL_CHAT_SPLITS.includes(split)) {
    throw new DatasetError(`Dataset '${NAME}': unknown split '${String(split)}'; valid splits: ${TOPICAL_CHAT_SPLITS.join(', ')} (there is no train split here).`);
  }
  const folder = join(resolveDataDir(options), NAME);
  if (!isDirectory(folder)) {
    throw new DatasetError(`Dataset '${NAME}' not found at ${folder}; set ${DATA_DIR_ENV} (or dataDir) to the folder holding the dataset folders.`);
  }
  const path = join(folder, 'conversations', `${split}.json`);
  return parseTopicalChat(readText(NAME, path), path);
}
