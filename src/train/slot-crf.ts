import * as tf from '@tensorflow/tfjs';
import { isAllowedTransition } from '../model/bio.js';

/**
 * Transition scores of a linear-chain CRF over the slot tagger's word scores, learnt with the
 * network. The per-word softmax scores each word on its own; the counted tag-bigram prior
 * (bio.ts) then corrects the path after the fact, but the tagger never learns that its scores
 * are read as a path. Trained through the path likelihood, the word scores and the transitions
 * are fitted together (Lample et al. 2016's BiLSTM-CRF, Chen et al. 2019's JointBERT+CRF).
 *
 * Layout as the decoder reads it (`TagTransitionPrior.scores`): [(previous + 1) * K + next],
 * row 0 the sentence start. Transitions the BIO decoder forbids are forbidden here too, so the
 * likelihood is spread over exactly the paths the decoder can emit.
 */
export class SlotTransitionCrf {
  /** [K + 1, K]; starts at zero (no preference), so the first steps train the tagger as before. */
  readonly variable: tf.Variable<tf.Rank.R2>;
  private readonly k: number;
  /** 1 where the transition is allowed, rows as in `variable`. */
  private readonly allowed: tf.Tensor2D;

  constructor(tags: readonly string[]) {
    this.k = tags.length;
    const allowed = new Float32Array((this.k + 1) * this.k);
    for (let prev = -1; prev < this.k; prev++) {
      for (let next = 0; next < this.k; next++) {
        allowed[(prev + 1) * this.k + next] = isAllowedTransition(prev < 0 ? undefined : tags[prev], tags[next]) ? 1 : 0;
      }
    }
    this.allowed = tf.tensor2d(allowed, [this.k + 1, this.k]);
    this.variable = tf.variable(tf.zeros([this.k + 1, this.k]), true);
  }

  /**
   * Sum over the batch of −log P(gold tag path | word scores), for use inside a gradient tape.
   * `slotLogits` [B, T, K] are the tagger's raw scores per token; a word is scored at its first
   * token (`firstTokens[b][w]`), and `gold[b][w]` is its tag.
   */
  negativeLogLikelihood(slotLogits: tf.Tensor3D, firstTokens: readonly (readonly number[])[], gold: readonly (readonly number[])[]): tf.Scalar {
    const [B, T, K] = slotLogits.shape;
    if (K !== this.k) throw new Error(`slot CRF has ${this.k} tags, the tagger ${K}`);
    const lengths = firstTokens.map((f, b) => Math.min(f.length, gold[b].length));
    const W = Math.max(1, ...lengths);
    // Word scores [B, W, K] gathered from each word's first token; padding words read row 0 and are masked.
    const rows = new Int32Array(B * W);
    const mask = new Float32Array(B * W);
    const goldEmission: number[] = [];
    const goldTransition: number[] = [];
    for (let b = 0; b < B; b++) {
      let prev = -1;
      for (let w = 0; w < lengths[b]; w++) {
        rows[b * W + w] = b * T + firstTokens[b][w];
        mask[b * W + w] = 1;
        const tag = gold[b][w];
        goldEmission.push((b * W + w) * K + tag);
        goldTransition.push((prev + 1) * K + tag);
        prev = tag;
      }
    }
    const emissions = tf.gather(tf.reshape(slotLogits, [B * T, K]), tf.tensor1d(rows, 'int32')).reshape([B, W, K]) as tf.Tensor3D;
    const maskT = tf.tensor2d(mask, [B, W]);
    // Forbidden transitions: a score far below any path's, and a weight of exactly 0 in the sums.
    const scores = tf.clipByValue(this.variable, -MAX_SCORE, MAX_SCORE);
    const start = scores.slice([0, 0], [1, K]).add(this.allowed.slice([0, 0], [1, K]).sub(1).mul(-FORBIDDEN_SCORE)); // [1, K]
    const stepFactors = tf.exp(scores.slice([1, 0], [K, K])).mul(this.allowed.slice([1, 0], [K, K])); // [K, K]
    // Forward algorithm in the probability domain, rescaled by each row's maximum: a matrix
    // product per word instead of a log-sum-exp over [B, K, K].
    let alpha = start.add(emissions.slice([0, 0, 0], [B, 1, K]).reshape([B, K])) as tf.Tensor2D;
    for (let w = 1; w < W; w++) {
      const top = alpha.max(1, true);
      const summed = tf.matMul(tf.exp(alpha.sub(top)), stepFactors);
      const next = tf.log(tf.maximum(summed, TINY)).add(top).add(emissions.slice([0, w, 0], [B, 1, K]).reshape([B, K]));
      const keep = maskT.slice([0, w], [B, 1]); // words past a sentence's end leave its alpha as it is
      alpha = alpha.add(next.sub(alpha).mul(keep));
    }
    const logPartition = tf.logSumExp(alpha, 1).mul(maskT.slice([0, 0], [B, 1]).reshape([B]));
    const goldScore = tf
      .gather(tf.reshape(emissions, [-1]), tf.tensor1d(goldEmission, 'int32'))
      .sum()
      .add(tf.gather(tf.reshape(scores, [-1]), tf.tensor1d(goldTransition, 'int32')).sum());
    return logPartition.sum().sub(goldScore) as tf.Scalar;
  }

  /** The transition scores as the decoder reads them. */
  scores(): number[] {
    return Array.from(this.variable.dataSync() as Float32Array, (x) => Math.round(x * 1e4) / 1e4);
  }

  dispose(): void {
    this.variable.dispose();
    this.allowed.dispose();
  }
}

/** Scores are clipped here before exponentiation (e^30 is far inside float32's range). */
const MAX_SCORE = 30;
/** Start score of a forbidden first tag (an I-x): its paths weigh nothing next to any other. */
const FORBIDDEN_SCORE = -1e4;
/** Floor under a forward sum before its log: a state no allowed path reaches has no gradient. */
const TINY = 1e-30;
