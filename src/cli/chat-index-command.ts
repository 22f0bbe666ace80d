/**
 * `duet index-responses <pretrain-dir>`: the candidate replies small talk retrieves from, encoded
 * once by the folder's ranker and saved beside it (src/dialogue/chatter.ts). Candidates are the
 * replies of the training-split dialogue corpora; SGD's are left out, since they are a booking
 * system's questions and confirmations, which small talk must not promise.
 */
import { loadPretrainingCorpus } from '../data/corpora/pretraining.js';
import { buildResponseIndex, saveResponseIndex } from '../dialogue/chatter.js';
import { ResponseEncoder } from '../model/response-encoder.js';
import { createRng, shuffle } from '../util/random.js';

/** Sources whose replies may be said in small talk. */
export const SMALL_TALK_SOURCES = ['dailydialog', 'topical-chat', 'microsoft-chitchat', 'chatterbot-corpus'];

export async function runIndexResponsesCommand(dir: string, opts: { max: number; seed: number; dataDir?: string }, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const encoder = await ResponseEncoder.load(dir);
  try {
    const corpus = loadPretrainingCorpus({ dataDir: opts.dataDir });
    const replies = [...new Set(corpus.pairs.filter((p) => SMALL_TALK_SOURCES.includes(p.source)).map((p) => p.response.trim()))].filter((r) => r.length >= 2 && r.length <= 200);
    const chosen = shuffle(replies, createRng(opts.seed)).slice(0, opts.max);
    log(`index-responses: encoding ${chosen.length.toLocaleString('en')} of ${replies.length.toLocaleString('en')} distinct replies from ${SMALL_TALK_SOURCES.join(', ')}`);
    const t0 = performance.now();
    const index = await buildResponseIndex(encoder, chosen);
    saveResponseIndex(dir, index, SMALL_TALK_SOURCES);
    log(`index-responses: wrote ${index.texts.length.toLocaleString('en')} replies (${index.dim} dimensions, half precision) to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    encoder.dispose();
  }
}
