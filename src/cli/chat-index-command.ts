/**
 * `duet index-responses <dir>`: the candidate replies small talk retrieves from, encoded once by
 * the folder's ranker (a `duet pretrain` folder's, or a `duet train-ranker` folder's) and saved
 * beside it (src/dialogue/chatter.ts). Candidates are the replies of the training-split dialogue
 * corpora; SGD's are left out, since they are a booking system's questions and confirmations,
 * which small talk must not promise.
 */
import { loadPretrainingCorpus } from '../data/corpora/pretraining.js';
import { buildResponseIndex, saveResponseIndex, type RequestGate, type TextEncoder } from '../dialogue/chatter.js';
import { createRng, shuffle } from '../util/random.js';

/** Sources whose replies may be said in small talk. */
export const SMALL_TALK_SOURCES = ['dailydialog', 'topical-chat', 'microsoft-chitchat', 'chatterbot-corpus'];

/**
 * A seeded sample of `max` distinct replies small talk may say (training splits only). Replies
 * holding code (ChatterBot's coding answers, in ``` blocks) are left out: said to a message the
 * encoder cannot read, such as a row of emoji, they were the nearest match and made no sense.
 */
export function smallTalkReplies(dataDir: string | undefined, max: number, seed: number): { chosen: string[]; available: number } {
  const corpus = loadPretrainingCorpus({ dataDir });
  const replies = [...new Set(corpus.pairs.filter((p) => SMALL_TALK_SOURCES.includes(p.source)).map((p) => p.response.trim()))].filter(
    (r) => r.length >= 2 && r.length <= 200 && !r.includes('```'),
  );
  return { chosen: shuffle(replies, createRng(seed)).slice(0, max), available: replies.length };
}

/** The ranker of a chat folder: a `duet train-ranker` folder's towers, else a `duet pretrain` folder's backbone. */
export async function openChatEncoder(dir: string): Promise<TextEncoder & { name: string; minScore?: number; requestGate?: RequestGate; dispose(): void }> {
  const { isChatRankerFolder, ChatRanker } = await import('../model/chat-ranker.js');
  if (isChatRankerFolder(dir)) {
    const { initTensorBackend } = await import('../model/backend.js');
    await initTensorBackend();
    const ranker = ChatRanker.load(dir);
    return Object.assign(ranker, { name: 'chat ranker', minScore: ranker.config.minScore, ...(ranker.hasRequestGate && { requestGate: ranker }) });
  }
  const { ResponseEncoder } = await import('../model/response-encoder.js');
  return Object.assign(await ResponseEncoder.load(dir), { name: 'pretrained backbone' });
}

export async function runIndexResponsesCommand(dir: string, opts: { max: number; seed: number; dataDir?: string }, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const encoder = await openChatEncoder(dir);
  try {
    const { chosen, available } = smallTalkReplies(opts.dataDir, opts.max, opts.seed);
    log(`index-responses: encoding ${chosen.length.toLocaleString('en')} of ${available.toLocaleString('en')} distinct replies from ${SMALL_TALK_SOURCES.join(', ')} with the ${encoder.name}`);
    const t0 = performance.now();
    const index = await buildResponseIndex(encoder, chosen);
    saveResponseIndex(dir, index, SMALL_TALK_SOURCES);
    log(`index-responses: wrote ${index.texts.length.toLocaleString('en')} replies (${index.dim} dimensions, half precision) to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    encoder.dispose();
  }
}
