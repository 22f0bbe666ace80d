/**
 * Training of the chat ranker's towers (src/model/chat-ranker.ts) on frozen sentence vectors:
 * each batch of (context, reply) pairs is its own set of negatives (every other reply in the
 * batch), scored by cosine times a learned temperature, with a softmax cross-entropy read both
 * ways (context → replies and reply → contexts), as dual encoders for response selection are
 * trained (Henderson et al., ConveRT). After each epoch the towers pick the true reply among 100
 * on validation examples built exactly as `duet bench chat` builds its test examples, and the
 * epoch that does best is kept.
 */
import * as tf from '@tensorflow/tfjs';
import { hitAt1, type SelectionExample } from '../bench/chat-bench.js';
import {
  CHAT_RANKER_WEIGHT_NAMES,
  chatRankerShapes,
  contextRow,
  contextTower,
  responseTower,
  type ChatRankerTensors,
  type ChatRankerWeights,
} from '../model/chat-ranker.js';
import { SENTENCE_VECTOR_SIZE } from '../model/sentence-encoder.js';
import { createRng, fillNormal, shuffle } from '../util/random.js';

export interface ChatRankerTrainOptions {
  contextTurns: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  /** Starting temperature of the cosine (learned). */
  scale: number;
  seed: number;
}

/** Chosen on DailyDialog validation response selection (docs/pretraining.md). */
export const DEFAULT_CHAT_RANKER_OPTIONS: Readonly<ChatRankerTrainOptions> = Object.freeze({
  contextTurns: 3,
  hidden: 1024,
  // Validation R@1/100 peaked at epoch 4 of 8 with dropout 0.2 (51.3%; 50.1% at epoch 3 with 0.1).
  epochs: 6,
  batchSize: 256,
  learningRate: 1e-3,
  dropout: 0.2,
  scale: 20,
  seed: 1,
});

export interface RankerPair {
  context: string[];
  response: string;
}

export interface SelectionScore {
  r1_at_100: number;
  r1_at_10: number;
}

/** Least share of right picks among validation contexts scoring about the same, for a retrieved reply to be said. */
export const MIN_SCORE_PRECISION = 0.5;

/**
 * The score below which a retrieved reply is a guess more often than not: validation contexts are
 * sorted by the ranker's top score among their 100 candidates, and a window of a tenth of them
 * (10 at least) slides down from the highest; where the share of windows' picks that are the true
 * reply first falls below `precision`, the window's middle score is the threshold. The lowest top
 * score seen when no window falls that low.
 */
export function chooseMinScore(tops: readonly { score: number; hit: boolean }[], precision = MIN_SCORE_PRECISION): number {
  const sorted = [...tops].sort((a, b) => b.score - a.score);
  if (sorted.length === 0) return 0;
  const w = Math.min(sorted.length, Math.max(10, Math.round(sorted.length / 10)));
  let hits = sorted.slice(0, w).filter((t) => t.hit).length;
  for (let i = 0; i + w <= sorted.length; i++) {
    if (i > 0) hits += (sorted[i + w - 1].hit ? 1 : 0) - (sorted[i - 1].hit ? 1 : 0);
    if (hits / w < precision) return sorted[i + Math.floor(w / 2)].score;
  }
  return sorted[sorted.length - 1].score;
}

export interface ChatRankerEpoch {
  epoch: number;
  /** Mean training loss of the epoch (0 before the first). */
  loss: number;
  validation: SelectionScore;
}

/** Where training is, for a progress bar. */
export interface ChatRankerProgress {
  step: number;
  totalSteps: number;
  loss: number;
  epoch?: ChatRankerEpoch;
}

export interface ChatRankerTrainResult {
  weights: ChatRankerWeights;
  /** Epoch 0 is the untrained towers (the raw sentence-vector cosine). */
  history: ChatRankerEpoch[];
  best: ChatRankerEpoch;
  /** The kept epoch's top score and whether it was the true reply, per validation context. */
  validationTops: { score: number; hit: boolean }[];
  seconds: number;
}

/**
 * Train towers on `pairs`; `vectorOf` gives the frozen sentence vector of any text of the pairs
 * and of the validation examples.
 */
export async function trainChatRanker(
  pairs: readonly RankerPair[],
  vectorOf: (text: string) => Float32Array,
  validation: readonly SelectionExample[],
  options: ChatRankerTrainOptions = DEFAULT_CHAT_RANKER_OPTIONS,
  onProgress: (p: ChatRankerProgress) => void = () => {},
): Promise<ChatRankerTrainResult> {
  const t0 = performance.now();
  const D = SENTENCE_VECTOR_SIZE;
  const { contextTurns: T, batchSize: B } = options;
  if (pairs.length < B) throw new Error(`training a chat ranker needs at least one batch of ${B} pairs, got ${pairs.length}`);
  const rng = createRng(options.seed);
  const shapes = chatRankerShapes(T, options.hidden);
  // He-normal first layers; zero second layers, so training starts from the skip path: the raw cosine.
  const variables = Object.fromEntries(
    CHAT_RANKER_WEIGHT_NAMES.map((name) => {
      const shape = shapes[name];
      const size = shape.reduce((a, b) => a * b, 1);
      const values = name.endsWith('w1') ? fillNormal(new Float32Array(size), Math.sqrt(2 / shape[0]), rng) : new Float32Array(size);
      return [name, tf.variable(tf.tensor(values, shape), true, `chat_ranker/${name}`)];
    }),
  ) as Record<string, tf.Variable>;
  const logScale = tf.variable(tf.scalar(Math.log(options.scale)), true, 'chat_ranker/log_scale');
  const tensors = variables as unknown as ChatRankerTensors;
  const optimizer = tf.train.adam(options.learningRate);
  const snapshot = (): ChatRankerWeights =>
    Object.fromEntries(CHAT_RANKER_WEIGHT_NAMES.map((name) => [name, { shape: shapes[name], data: variables[name].dataSync() as Float32Array }])) as ChatRankerWeights;

  const stepsPerEpoch = Math.floor(pairs.length / B);
  const totalSteps = stepsPerEpoch * options.epochs;
  let tops: { score: number; hit: boolean }[] = [];
  const history: ChatRankerEpoch[] = [{ epoch: 0, loss: 0, validation: scoreSelection(tensors, validation, vectorOf, T, tops) }];
  let best = { epoch: history[0], weights: snapshot(), tops };
  onProgress({ step: 0, totalSteps, loss: 0, epoch: history[0] });
  const labels = tf.oneHot(tf.range(0, B, 1, 'int32'), B);
  let step = 0;
  let dropoutSeed = options.seed * 1_000_003;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const order = shuffle(
        pairs.map((_, i) => i),
        rng,
      );
      let lossSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const contexts = new Float32Array(B * T * D);
        const replies = new Float32Array(B * D);
        for (let i = 0; i < B; i++) {
          const pair = pairs[order[s * B + i]];
          contextRow(pair.context.slice(-T).map(vectorOf), T, contexts, i * T * D);
          replies.set(vectorOf(pair.response), i * D);
        }
        const seed = dropoutSeed++;
        const loss = optimizer.minimize(() => {
          const c = contextTower(tensors, tf.tensor2d(contexts, [B, T * D]), options.dropout, seed);
          const r = responseTower(tensors, tf.tensor2d(replies, [B, D]), options.dropout, seed + 7);
          const logits = c.matMul(r, false, true).mul(tf.exp(logScale));
          return tf.losses.softmaxCrossEntropy(labels, logits).add(tf.losses.softmaxCrossEntropy(labels, logits.transpose())).div(2) as tf.Scalar;
        }, true) as tf.Scalar;
        const value = (await loss.data())[0];
        loss.dispose();
        lossSum += value;
        step++;
        if (s % 10 === 0 || s === stepsPerEpoch - 1) onProgress({ step, totalSteps, loss: value });
      }
      tops = [];
      const done: ChatRankerEpoch = { epoch, loss: lossSum / stepsPerEpoch, validation: scoreSelection(tensors, validation, vectorOf, T, tops) };
      history.push(done);
      if (done.validation.r1_at_100 > best.epoch.validation.r1_at_100) best = { epoch: done, weights: snapshot(), tops };
      onProgress({ step, totalSteps, loss: done.loss, epoch: done });
    }
  } finally {
    tf.dispose([...Object.values(variables), logScale, labels]);
    optimizer.dispose();
  }
  return { weights: best.weights, history, best: best.epoch, validationTops: best.tops, seconds: (performance.now() - t0) / 1000 };
}

/** Recall@1 of 100 and of 10 of the towers on selection examples (as `duet bench chat` counts: ties miss). */
export function scoreSelection(
  tensors: ChatRankerTensors,
  examples: readonly SelectionExample[],
  vectorOf: (text: string) => Float32Array,
  contextTurns: number,
  tops: { score: number; hit: boolean }[] = [],
): SelectionScore {
  const D = SENTENCE_VECTOR_SIZE;
  if (examples.length === 0) return { r1_at_100: 0, r1_at_10: 0 };
  // Candidates recur across examples (negatives come from one pool): each text goes through the tower once.
  const texts = [...new Set(examples.flatMap((e) => e.candidates))];
  const row = new Map(texts.map((t, i) => [t, i]));
  const replies = towerRows(texts.length, D, (i, out, o) => out.set(vectorOf(texts[i]), o), (x) => responseTower(tensors, x));
  const contexts = towerRows(examples.length, contextTurns * D, (i, out, o) => contextRow(examples[i].context.slice(-contextTurns).map(vectorOf), contextTurns, out, o), (x) => contextTower(tensors, x));
  let hits100 = 0;
  let hits10 = 0;
  examples.forEach((example, e) => {
    const scores = example.candidates.map((text) => {
      const r = (row.get(text) as number) * D;
      let dot = 0;
      for (let j = 0; j < D; j++) dot += contexts[e * D + j] * replies[r + j];
      return dot;
    });
    const hit = hitAt1(scores);
    if (hit) hits100++;
    if (hitAt1(scores, 10)) hits10++;
    tops.push({ score: Math.max(...scores), hit });
  });
  return { r1_at_100: hits100 / examples.length, r1_at_10: hits10 / examples.length };
}

/** A tower's unit vectors of `n` input rows of `width`, 1,024 at a time, row-major [n × 512]. */
function towerRows(n: number, width: number, fill: (i: number, out: Float32Array, offset: number) => void, towerOf: (x: tf.Tensor2D) => tf.Tensor2D): Float32Array {
  const out = new Float32Array(n * SENTENCE_VECTOR_SIZE);
  for (let start = 0; start < n; start += 1024) {
    const m = Math.min(1024, n - start);
    const input = new Float32Array(m * width);
    for (let i = 0; i < m; i++) fill(start + i, input, i * width);
    const vectors = tf.tidy(() => towerOf(tf.tensor2d(input, [m, width])));
    out.set(vectors.dataSync() as Float32Array, start * SENTENCE_VECTOR_SIZE);
    vectors.dispose();
  }
  return out;
}
