import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { initTensorBackend } from './backend.js';
import { DuetModel, loadModel } from './duet-model.js';
import { encodeUtterance } from './encode-utterance.js';
import { buildUntrainedModel } from './__fixtures__/untrained-model.js';
import { loadWordVectors, WORD_VECTOR_PROJECTION, WORD_VECTORS_SOURCE, WordVectors } from './word-vectors.js';

describe('WordVectors', () => {
  const rows = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 3, 2, -3]);
  const table = WordVectors.fromFloat(['paris', 'zero', "n't"], 3, rows);

  it('keeps each value within half a step of its row scale', () => {
    const out = new Float32Array(3);
    for (let r = 0; r < 3; r++) {
      table.copyRow(r, out, 0);
      const max = Math.max(...rows.subarray(r * 3, r * 3 + 3).map(Math.abs));
      out.forEach((v, d) => expect(Math.abs(v - rows[r * 3 + d])).toBeLessThanOrEqual(max / 127 / 2 + 1e-7));
    }
  });

  it('finds a word by its lower-case form, then without edge punctuation, else -1', () => {
    expect(table.rowOf('Paris')).toBe(0);
    expect(table.rowOf('PARIS?')).toBe(0);
    expect(table.rowOf("n't")).toBe(2);
    expect(table.rowOf('london')).toBe(-1);
    expect(table.rowOf('!!!')).toBe(-1);
  });

  it('writes nothing for row -1, so a word without a vector reads as zeros', () => {
    const out = new Float32Array(6).fill(7);
    table.copyRow(-1, out, 3);
    expect(Array.from(out)).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('reads back what it wrote, and refuses a damaged file by name', () => {
    const copy = WordVectors.deserialize(table.serialize(), 'cache.bin');
    expect(copy.words).toEqual(table.words);
    const [a, b] = [new Float32Array(9), new Float32Array(9)];
    for (let r = 0; r < 3; r++) {
      table.copyRow(r, a, r * 3);
      copy.copyRow(r, b, r * 3);
    }
    expect(b).toEqual(a);
    // Read from any offset: a buffer that does not start on a 4-byte boundary is copied first.
    const shifted = Buffer.alloc(table.serialize().length + 1);
    table.serialize().copy(shifted, 1);
    expect(WordVectors.deserialize(shifted.subarray(1), 'cache.bin').rowOf('zero')).toBe(1);
    const bytes = table.serialize();
    expect(() => WordVectors.deserialize(bytes.subarray(0, 8), 'short.bin')).toThrow(/short\.bin/);
    expect(() => WordVectors.deserialize(bytes.subarray(0, bytes.length - 1), '/tmp/x/cache.bin')).toThrow(ModelLoadError);
    expect(() => WordVectors.deserialize(bytes.subarray(0, bytes.length - 1), '/tmp/x/cache.bin')).toThrow(/\/tmp\/x\/cache\.bin .*delete it/);
  });
});

// The real table (the npm package through the cache): what a trained model reads.
describe('a model with word vectors', () => {
  const TEXTS = ['play bobby brown', 'weather in paris', 'hello there', 'play some jazz by miles davis'];
  let dir: string;
  let model: DuetModel;

  const buildModel = (): DuetModel =>
    buildUntrainedModel({ texts: TEXTS, intents: ['greet', 'play', 'weather'], slots: ['artist', 'city'], seed: 3, backbone: { wordVectors: WORD_VECTORS_SOURCE } });

  beforeAll(async () => {
    await initTensorBackend();
    dir = mkdtempSync(join(tmpdir(), 'duet-word-vectors-'));
    model = buildModel();
  }, 60_000);

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives every piece of a word that word\'s row, and [CLS] none', async () => {
    const vectors = loadWordVectors();
    const u = await encodeUtterance('Play Bobby Brown, xqzv', model.tokenizer, model.featureSettings);
    const rows = Array.from(u.wordVectorRows!);
    expect(rows[0]).toBe(-1);
    expect(rows).toHaveLength(u.ids.length);
    const expected = u.words.map(([s, e]) => vectors.rowOf(u.text.slice(s, e)));
    expect(expected.slice(0, 3).every((r) => r >= 0)).toBe(true);
    expect(expected[expected.length - 1]).toBe(-1); // "xqzv" is no English word
    u.firstTokenOfWord.forEach((t, w) => expect(rows[t]).toBe(expected[w]));
  });

  it('reads the vectors: the same pieces without them are scored differently', async () => {
    const u = await encodeUtterance('play bobby brown', model.tokenizer, model.featureSettings);
    const blind = { ...u, wordVectorRows: new Int32Array(u.ids.length).fill(-1) };
    const [withVectors, without] = model.predictEncoded([u, blind], 2);
    expect(Math.max(...withVectors.probs.map((p, i) => Math.abs(p - without.probs[i])))).toBeGreaterThan(1e-4);
  });

  it('saves the projection and loads to the same answers, on tfjs and on onnxruntime', async () => {
    const probes = ['play bobby brown', 'weather in Paris!', '', 'hello'];
    const expected = await model.understandBatch(probes);
    model.save(join(dir, 'm'));
    const tfjs = await loadModel(join(dir, 'm'), 'tfjs');
    const onnx = await loadModel(join(dir, 'm'), 'auto');
    try {
      expect(tfjs.config.backbone.wordVectors).toBe(WORD_VECTORS_SOURCE);
      expect(tfjs.network.params.variables.has(`${WORD_VECTOR_PROJECTION}.weight`)).toBe(true);
      expect(await onnx.engineInUse()).toBe('onnx');
      for (const loaded of [tfjs, onnx]) {
        const got = await loaded.understandBatch(probes);
        got.forEach((g, i) => {
          expect(g.intent).toBe(expected[i].intent);
          expect(g.confidence).toBeCloseTo(expected[i].confidence, 4);
        });
      }
    } finally {
      tfjs.dispose();
      onnx.dispose();
    }
  });
});
