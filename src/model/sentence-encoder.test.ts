import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from './backend.js';
import { SENTENCE_VECTOR_SIZE, sentenceEncoderFolder, sharedSentenceEncoder } from './sentence-encoder.js';

const TEXTS = [
  'how are you',
  'What is the weather like in Boston tomorrow morning?',
  'set a timer for 5 minutes please',
  '',
  'ok',
  'I need to transfer $200 from checking to savings: urgently!',
  'Zürich → 😀 naïve café',
];

/** The package's own TensorFlow graph, run by tfjs's graph executor: the reference. */
async function graphVectors(pieces: number[][]): Promise<number[][]> {
  const folder = sentenceEncoderFolder();
  const manifest = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
  const bytes = Buffer.concat(manifest.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(folder, p)))));
  const graph = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
  // The graph reads a sparse batch: [sentence, position] of every piece, and the piece ids.
  const indices = tf.tensor2d(pieces.flatMap((p, i) => p.map((_, j) => [i, j])), undefined, 'int32');
  const values = tf.tensor1d(pieces.flat(), 'int32');
  const out = (await graph.executeAsync({ indices, values })) as tf.Tensor;
  const vectors = out.arraySync() as number[][];
  tf.dispose([indices, values, out]);
  graph.dispose();
  return vectors;
}

describe('SentenceEncoder (Universal Sentence Encoder lite, written out on tfjs ops)', () => {
  beforeAll(async () => {
    await initTensorBackend();
  });

  it('computes what the published graph computes, padding and all', async () => {
    const encoder = sharedSentenceEncoder();
    const pieces = await Promise.all(TEXTS.map((t) => encoder.pieces(t)));
    expect(pieces[3]).toEqual([0]);
    const ours = tf.tidy(() => encoder.embed(pieces)).arraySync() as number[][];
    const reference = await graphVectors(pieces);
    for (let i = 0; i < TEXTS.length; i++) {
      expect(ours[i]).toHaveLength(SENTENCE_VECTOR_SIZE);
      const worst = Math.max(...ours[i].map((v, j) => Math.abs(v - reference[i][j])));
      expect(worst, TEXTS[i]).toBeLessThan(1e-5);
    }
  });

  it('places paraphrases closer than unrelated requests', async () => {
    const [a, b, c] = await sharedSentenceEncoder().embedTexts(['how are you', 'how are you doing', 'set a timer for five minutes']);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(dot(a, b)).toBeGreaterThan(0.7);
    expect(dot(a, c)).toBeLessThan(0.4);
  });

  it('cuts a sentence at 128 pieces, as the graph does', async () => {
    const pieces = await sharedSentenceEncoder().pieces('word '.repeat(300));
    expect(pieces).toHaveLength(128);
  });
});
