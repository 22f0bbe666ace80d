import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineUnavailableError } from '../../errors.js';
import { initTensorBackend } from '../backend.js';
import { readSentenceEncoder, SENTENCE_VECTOR_SIZE, SentenceEncoder } from '../sentence-encoder.js';
import { OnnxIndexScorer } from './index-scorer.js';
import { OnnxSentenceEncoder } from './sentence-encoder-graph.js';

const TEXTS = [
  'how are you',
  'What is the weather like in Boston tomorrow morning?',
  '',
  'ok',
  'I need to transfer $200 from checking to savings: urgently!',
  'Zürich → 😀 naïve café',
  'word '.repeat(200),
];

describe('the sentence encoder on onnxruntime', () => {
  let tfjs: SentenceEncoder;
  let onnx: SentenceEncoder;

  beforeAll(async () => {
    await initTensorBackend();
    tfjs = SentenceEncoder.load(undefined, { engine: 'tfjs' });
    onnx = SentenceEncoder.load(undefined, { engine: 'onnx' });
  });

  it('computes what the tfjs pass computes (itself checked against the published graph), one by one and padded in a batch', async () => {
    expect(await onnx.engineInUse()).toBe('onnx');
    expect(await tfjs.engineInUse()).toBe('tfjs');
    const pieces = await Promise.all(TEXTS.map((t) => tfjs.pieces(t)));
    const reference = tf.tidy(() => tfjs.embed(pieces)).arraySync() as number[][];
    // Fewer than five texts run one at a time; more run as one padded batch.
    const single = await Promise.all(TEXTS.map(async (t) => (await onnx.embedTexts([t]))[0]));
    const batched = await onnx.embedTexts(TEXTS);
    for (const vectors of [single, batched]) {
      vectors.forEach((v, i) => {
        expect(v).toHaveLength(SENTENCE_VECTOR_SIZE);
        expect(Math.max(...Array.from(v, (x, j) => Math.abs(x - reference[i][j]))), TEXTS[i].slice(0, 40)).toBeLessThan(1e-5);
      });
    }
  });

  it('falls back to tfjs under `auto` when onnxruntime cannot load, and says why under `onnx`', async () => {
    const broken = () => Promise.reject(new Error('no binary for this platform'));
    const auto = SentenceEncoder.load(undefined, { engine: 'auto', importer: broken });
    expect(await auto.engineInUse()).toBe('tfjs');
    const [vector] = await auto.embedTexts(['how are you']);
    const [expected] = await tfjs.embedTexts(['how are you']);
    expect(Array.from(vector)).toEqual(Array.from(expected));
    const strict = SentenceEncoder.load(undefined, { engine: 'onnx', importer: broken });
    await expect(strict.embedTexts(['how are you'])).rejects.toThrow(EngineUnavailableError);
    await expect(OnnxSentenceEncoder.create(readSentenceEncoder().weights, { importer: broken })).rejects.toThrow(/onnxruntime-node/);
  });
});

describe('OnnxIndexScorer', () => {
  let scorer: OnnxIndexScorer;
  const rows = 300;
  const dim = 16;
  const vectors = Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i * 0.37));

  beforeAll(async () => {
    scorer = await OnnxIndexScorer.create({ vectors, dim });
  });
  afterAll(async () => {
    await scorer.dispose();
  });

  it('gives the dot product of the query with every row, in row order', async () => {
    const query = Float32Array.from({ length: dim }, (_, j) => Math.cos(j));
    const scores = await scorer.scores(query);
    expect(scores).toHaveLength(rows);
    for (let i = 0; i < rows; i++) {
      const expected = query.reduce((s, q, j) => s + q * vectors[i * dim + j], 0);
      expect(Math.abs(scores[i] - expected), `row ${i}`).toBeLessThan(1e-4);
    }
  });
});
