import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDuetRanker } from '../bench/duet-ranker.js';
import { pretrainToy, toyDialogueCorpus } from '../train/__fixtures__/toy-pretrained.js';
import { ResponseEncoder } from './response-encoder.js';

let dir: string;
let encoder: ResponseEncoder;
beforeAll(async () => {
  dir = await pretrainToy(toyDialogueCorpus('hello'), { steps: 60, layers: 1 });
  encoder = await ResponseEncoder.load(dir);
}, 120_000);
afterAll(() => {
  encoder?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it('gives unit vectors that do not depend on what else is in the batch', async () => {
  const texts = ['it is sunny in rome .', 'your flight to oslo is booked .', 'ok'];
  const together = await encoder.encodeResponses(texts);
  const alone = await Promise.all(texts.map(async (t) => (await encoder.encodeResponses([t]))[0]));
  for (let i = 0; i < texts.length; i++) {
    expect(Math.hypot(...together[i])).toBeCloseTo(1, 5);
    for (let j = 0; j < together[i].length; j++) expect(together[i][j]).toBeCloseTo(alone[i][j], 5);
  }
  const [a, b] = await encoder.encodeContexts([['hello', 'what is the weather in tokyo ?'], ['book a flight to paris']]);
  const [a2] = await encoder.encodeContexts([['hello', 'what is the weather in tokyo ?']]);
  expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  expect(Math.hypot(...b)).toBeCloseTo(1, 5);
  for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(a2[j], 5);
});

it('ranks the trained kind of answer first once pretrained, and leaks no tensors', async () => {
  const ranker = await loadDuetRanker(dir);
  try {
    const before = tf.memory().numTensors;
    const scores = await ranker.score(['hello', 'what is the weather in madrid ?'], ['your flight to madrid is booked .', 'it is sunny in madrid .']);
    expect(scores[1]).toBeGreaterThan(scores[0]);
    const booking = await ranker.score(['book a flight to vienna'], ['your flight to vienna is booked .', 'it is sunny in vienna .']);
    expect(booking[0]).toBeGreaterThan(booking[1]);
    expect(tf.memory().numTensors).toBe(before);
  } finally {
    ranker.dispose();
  }
});
