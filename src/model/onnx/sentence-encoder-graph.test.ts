import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineUnavailableError, ModelLoadError } from '../../errors.js';
import { initTensorBackend } from '../backend.js';
import { readSentenceEncoder, SENTENCE_VECTOR_SIZE, SentenceEncoder } from '../sentence-encoder.js';
import { OnnxIndexScorer } from './index-scorer.js';
import { SentenceHead } from '../sentence-head.js';
import { OnnxSentenceEncoder } from './sentence-encoder-graph.js';
import { OnnxSentenceHead } from './sentence-head-graph.js';

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

describe("the sentence encoder on its own thread", () => {
  it('runs there by default and answers what onnxruntime answers on the caller\'s thread, in order', async () => {
    const threaded = SentenceEncoder.load(undefined, { engine: 'onnx' });
    const local = SentenceEncoder.load(undefined, { engine: 'onnx', thread: false });
    expect(await threaded.runsOnThread()).toBe(true);
    expect(await local.runsOnThread()).toBe(false);
    expect(await threaded.engineInUse()).toBe('onnx');
    // Several requests in flight at once each get their own answer.
    const [one, many, none] = await Promise.all([threaded.embedTexts([TEXTS[1]]), threaded.embedTexts(TEXTS), threaded.embedTexts([])]);
    const reference = await local.embedTexts(TEXTS);
    expect(none).toEqual([]);
    // One text alone runs unpadded, so the same session gives the same bits.
    expect(Array.from(one[0])).toEqual(Array.from((await local.embedTexts([TEXTS[1]]))[0]));
    many.forEach((v, i) => expect(Math.max(...Array.from(v, (x, j) => Math.abs(x - reference[i][j]))), TEXTS[i].slice(0, 40)).toBeLessThan(1e-6));
  });

  it('says so when its thread cannot start, and falls back under `auto`', async () => {
    const missing = join(tmpdir(), 'no-such-sentence-encoder');
    const strict = SentenceEncoder.load(missing, { engine: 'onnx' });
    await expect(strict.embedTexts(['hello'])).rejects.toThrow(ModelLoadError);
    await expect(strict.embedTexts(['hello'])).rejects.toThrow(/cannot read the sentence encoder in .*no-such-sentence-encoder/);
    // Under auto the caller's thread tries next, and reports the same unreadable folder.
    const auto = SentenceEncoder.load(missing, { engine: 'auto' });
    expect(await auto.runsOnThread()).toBe(false);
    await expect(auto.embedTexts(['hello'])).rejects.toThrow(/cannot read the sentence encoder/);
  });
});

describe('the sentence head on onnxruntime', () => {
  it('gives the probabilities of the tfjs head', async () => {
    const hidden = 8;
    const intents = 5;
    const wave = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.2);
    const weights = {
      'sentence_head.w1': wave(SENTENCE_VECTOR_SIZE * hidden, 0.37),
      'sentence_head.b1': wave(hidden, 1.3),
      'sentence_head.w2': wave(hidden * intents, 0.71),
      'sentence_head.b2': wave(intents, 2.1),
    };
    const vectors = wave(3 * SENTENCE_VECTOR_SIZE, 0.05);
    const tfjsHead = new SentenceHead(weights, hidden);
    const expected = tf.tidy(() => tfjsHead.probs(tf.tensor2d(vectors, [3, SENTENCE_VECTOR_SIZE])).dataSync());
    tfjsHead.dispose();
    const onnxHead = await OnnxSentenceHead.create(weights, hidden);
    const probs = await onnxHead.probs(vectors, 3);
    await onnxHead.dispose();
    expect(probs).toHaveLength(3 * intents);
    probs.forEach((p, i) => expect(Math.abs(p - expected[i]), `value ${i}`).toBeLessThan(1e-6));
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
