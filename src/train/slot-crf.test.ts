import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../model/backend.js';
import { decodeBio, isAllowedTransition, transitionPriorProblem } from '../model/bio.js';
import { createRng } from '../util/random.js';
import { SlotTransitionCrf } from './slot-crf.js';

const TAGS = ['O', 'B-x', 'I-x', 'B-y', 'I-y'];
const K = TAGS.length;

beforeAll(async () => {
  await initTensorBackend();
});

/** Every tag path of length n the BIO decoder may emit. */
function allowedPaths(n: number): number[][] {
  let paths: number[][] = [[]];
  for (let w = 0; w < n; w++) {
    paths = paths.flatMap((p) => TAGS.map((_, t) => [...p, t]).filter((q) => isAllowedTransition(w === 0 ? undefined : TAGS[q[w - 1]], TAGS[q[w]])));
  }
  return paths;
}

/** −log P(gold) by enumerating every allowed path: the definition the forward algorithm must match. */
function bruteForceNll(emissions: number[][], scores: number[], gold: number[]): number {
  const pathScore = (path: number[]) => path.reduce((s, tag, w) => s + emissions[w][tag] + scores[(w === 0 ? 0 : path[w - 1] + 1) * K + tag], 0);
  const all = allowedPaths(gold.length).map(pathScore);
  const top = Math.max(...all);
  const logZ = top + Math.log(all.reduce((s, x) => s + Math.exp(x - top), 0));
  return logZ - pathScore(gold);
}

describe('SlotTransitionCrf', () => {
  it('computes the path negative log-likelihood that enumerating every allowed path gives', () => {
    const rng = createRng(7);
    const crf = new SlotTransitionCrf(TAGS);
    const scores = Array.from({ length: (K + 1) * K }, () => rng() * 4 - 2);
    crf.variable.assign(tf.tensor2d(scores, [K + 1, K]));
    const B = 3;
    const T = 6;
    const logits = Array.from({ length: B * T * K }, () => rng() * 6 - 3);
    // Words start at these tokens (later pieces of a word and padding are not read).
    const firstTokens = [[0, 1, 3, 4], [0, 2], [1]];
    const gold = [[1, 2, 0, 3], [3, 4], [0]];
    const nll = tf.tidy(() => crf.negativeLogLikelihood(tf.tensor3d(logits, [B, T, K]), firstTokens, gold).dataSync()[0]);
    const expected = gold.reduce((sum, path, b) => {
      const emissions = firstTokens[b].map((t) => logits.slice((b * T + t) * K, (b * T + t + 1) * K));
      return sum + bruteForceNll(emissions, scores, path);
    }, 0);
    expect(nll).toBeCloseTo(expected, 3);
    crf.dispose();
  });

  it('gives forbidden paths no weight: a gold path that is the only allowed one costs nothing', () => {
    const crf = new SlotTransitionCrf(['O', 'B-x', 'I-x']);
    // One word: O and B-x are allowed first tags; with B-x's score far above O's, P(B-x) ≈ 1 even
    // though I-x scores higher still (it may not start a sentence).
    const logits = tf.tensor3d([[[0, 40, 80]]]);
    const nll = tf.tidy(() => crf.negativeLogLikelihood(logits, [[0]], [[1]]).dataSync()[0]);
    expect(nll).toBeGreaterThanOrEqual(0);
    expect(nll).toBeLessThan(1e-6);
    logits.dispose();
    crf.dispose();
  });

  it('learns transitions that the decoder reads in the same layout', () => {
    // Word scores say nothing (all zero): only the learnt transitions can tell that the second
    // word continues the name the first began and the third is outside it.
    const crf = new SlotTransitionCrf(TAGS);
    const optimizer = tf.train.adam(0.1);
    const logits = tf.zeros([4, 3, K]) as tf.Tensor3D;
    const firstTokens = Array.from({ length: 4 }, () => [0, 1, 2]);
    const gold = Array.from({ length: 4 }, () => [3, 4, 0]);
    const before = tf.tidy(() => crf.negativeLogLikelihood(logits, firstTokens, gold).dataSync()[0]);
    for (let step = 0; step < 60; step++) {
      optimizer.minimize(() => crf.negativeLogLikelihood(logits, firstTokens, gold), false, [crf.variable]);
    }
    const after = tf.tidy(() => crf.negativeLogLikelihood(logits, firstTokens, gold).dataSync()[0]);
    expect(after).toBeLessThan(before / 10);
    const zeros = [0, 1, 2].map(() => TAGS.map(() => 0));
    expect(decodeBio(zeros, TAGS, { weight: 1, scores: crf.scores() })).toEqual([3, 4, 0]);
    optimizer.dispose();
    logits.dispose();
    crf.dispose();
  });
});

describe('transitionPriorProblem', () => {
  it('accepts counted and learnt priors and names what is wrong with a malformed one', () => {
    expect(transitionPriorProblem({ weight: 0.5, counts: [[-1, 1, 3], [1, 2, 3]] }, K)).toBeUndefined();
    expect(transitionPriorProblem({ weight: 1, scores: new Array((K + 1) * K).fill(0.5) }, K)).toBeUndefined();
    expect(transitionPriorProblem({ weight: 1, scores: [1, 2, 3] }, K)).toMatch(/must hold 30 numbers/);
    expect(transitionPriorProblem({ weight: 1, scores: new Array((K + 1) * K).fill('a') }, K)).toMatch(/finite numbers/);
    expect(transitionPriorProblem({ weight: 'x', counts: [] }, K)).toMatch(/weight/);
    expect(transitionPriorProblem({ weight: 1 }, K)).toMatch(/counts or scores/);
    expect(transitionPriorProblem({ weight: 1, counts: [[0, K, 1]] }, K)).toMatch(/triples/);
  });
});
