import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { initTensorBackend } from './backend.js';
import { MODEL_FORMAT_VERSION } from './config.js';
import { DuetModel, OUT_OF_SCOPE, loadModel, type Understanding } from './duet-model.js';
import { buildUntrainedModel } from './__fixtures__/untrained-model.js';

// An untrained model (__fixtures__/untrained-model.ts) is enough to test inference plumbing and
// checkpoints without paying for training (src/train/train-nlu.test.ts covers a trained one).
const TEXTS = ['set an alarm for seven', 'weather in paris', 'hello there', 'what is the weather in new york', 'wake me up at six'];
const PROBES = ['weather in Paris', 'set an alarm for 7 am', '😀 hello Zürich', '', '   ', 'a much longer sentence that runs past the sixteen positions this tiny model can read at once'];

function buildModel(seed: number): DuetModel {
  return buildUntrainedModel({ texts: TEXTS, intents: ['greet', 'oos', 'weather'], slots: ['city', 'time'], outOfScopeIntent: 'oos', seed });
}

function expectSamePredictions(a: Understanding[], b: Understanding[], digits = 6): void {
  const stable = (u: Understanding) => ({ intent: u.intent, slots: u.slots, ranking: u.ranking.map((r) => r.intent) });
  expect(b.map(stable)).toEqual(a.map(stable));
  a.forEach((u, i) => {
    expect(b[i].confidence).toBeCloseTo(u.confidence, digits);
    u.ranking.forEach((r, j) => expect(b[i].ranking[j].confidence).toBeCloseTo(r.confidence, digits));
  });
}

async function loadError(folder: string): Promise<ModelLoadError> {
  const error = await loadModel(folder).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  expect((error as ModelLoadError).code).toBe('MODEL_LOAD_FAILED');
  return error as ModelLoadError;
}

describe('DuetModel', () => {
  let model: DuetModel;
  let predictions: Understanding[];
  let dir: string;

  beforeAll(async () => {
    await initTensorBackend();
    dir = mkdtempSync(join(tmpdir(), 'duet-model-test-'));
    model = buildModel(1);
    predictions = await Promise.all(PROBES.map((t) => model.understand(t)));
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('understand', () => {
    it('answers every input, including empty and over-long ones, with slots inside the text', () => {
      PROBES.forEach((text, i) => {
        const u = predictions[i];
        expect(['greet', 'oos', 'weather']).toContain(u.intent);
        expect(u.ranking).toHaveLength(3);
        for (const slot of u.slots) {
          expect(slot.start).toBeGreaterThanOrEqual(0);
          expect(slot.end).toBeLessThanOrEqual(text.length);
          expect(text.slice(slot.start, slot.end)).toBe(slot.text);
        }
      });
      expect(predictions[3].slots).toEqual([]);
      expect(predictions[4].slots).toEqual([]);
    });

    it('rejects a low-confidence answer as the out-of-scope intent, with no slots', async () => {
      const saved = model.metadata.oosThreshold;
      try {
        model.metadata.oosThreshold = 0.999;
        const u = await model.understand('weather in Paris');
        expect(u.intent).toBe('oos');
        expect(u.slots).toEqual([]);
        expect(u.confidence).toBeCloseTo(1 - u.ranking[0].confidence, 6);
      } finally {
        model.metadata.oosThreshold = saved;
      }
    });

    it('falls back to the generic out-of-scope label when the model has no OOS intent', async () => {
      const heads = model.config.heads;
      const saved = { threshold: model.metadata.oosThreshold, oos: heads.outOfScopeIntent };
      try {
        model.metadata.oosThreshold = 0.999;
        heads.outOfScopeIntent = undefined;
        expect((await model.understand('hello there')).intent).toBe(OUT_OF_SCOPE);
      } finally {
        model.metadata.oosThreshold = saved.threshold;
        heads.outOfScopeIntent = saved.oos;
      }
    });

    it('understands a batch as it understands one utterance at a time', async () => {
      expectSamePredictions(predictions, await model.understandBatch(PROBES), 5);
      expectSamePredictions(predictions, await model.understandBatch(PROBES, 4), 5);
    });

    it('does not leak tensors across repeated calls', async () => {
      await model.understand('weather in Paris');
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) await model.understand(PROBES[i % PROBES.length]);
      await model.understandBatch(PROBES, 2);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('ignores a context in mode "none" (models trained without --context)', async () => {
      expect(model.contextMode).toBe('none');
      expect(model.memoryShape).toBeUndefined();
      expect(model.config.backbone).not.toHaveProperty('contextMode');
      const context = { history: [{ speaker: 'assistant' as const, text: 'hello there, what is the weather in new york' }], memory: new Float32Array(3) };
      const read = await Promise.all(PROBES.map((t) => model.understand(t, context)));
      expectSamePredictions(predictions, read, 6);
      expect(read.every((u) => !('memory' in u))).toBe(true);
      expectSamePredictions(predictions, await model.understandBatch(PROBES, 4, PROBES.map(() => context)), 5);
    });

    it('gives the same predictions for the same seed and different ones for another seed', async () => {
      const same = buildModel(1);
      const other = buildModel(2);
      try {
        expectSamePredictions(predictions, await same.understandBatch(PROBES), 6);
        const otherPredictions = await other.understandBatch(PROBES);
        expect(otherPredictions.map((u) => u.confidence)).not.toEqual(predictions.map((u) => u.confidence));
      } finally {
        same.dispose();
        other.dispose();
      }
    });
  });

  describe('save and loadModel', () => {
    it('writes weights, config and tokenizer into one folder that loads to identical predictions', async () => {
      const out = join(dir, 'checkpoint');
      model.save(out, { 'README.txt': 'notes' });
      expect(readdirSync(out).sort()).toEqual(['README.txt', 'config.json', 'model.safetensors', 'tokenizer.json']);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { formatVersion: number };
      expect(config.formatVersion).toBe(MODEL_FORMAT_VERSION);
      const loaded = await loadModel(out, 'tfjs');
      try {
        expect(loaded.config).toEqual(model.config);
        expect(loaded.idf).toEqual(model.idf);
        expectSamePredictions(predictions, await Promise.all(PROBES.map((t) => loaded.understand(t))), 6);
      } finally {
        loaded.dispose();
      }
    });

    it('runs a loaded model on onnxruntime by default, answering what the tfjs network answers', async () => {
      const out = join(dir, 'onnx-checkpoint');
      model.save(out);
      const onnx = await loadModel(out, 'auto');
      const tfjs = await loadModel(out, 'tfjs');
      try {
        expect(await model.engineInUse()).toBe('tfjs'); // built in memory: its weights may still change
        expect(await onnx.engineInUse()).toBe('onnx');
        expect(await tfjs.engineInUse()).toBe('tfjs');
        const encoded = await Promise.all(PROBES.map((t) => onnx.encode(t)));
        const [fast, reference] = [await onnx.predict(encoded, 4), tfjs.predictEncoded(encoded, 4)];
        fast.forEach((raw, i) => {
          expect(Math.max(...raw.probs.map((p, j) => Math.abs(p - reference[i].probs[j]))), PROBES[i]).toBeLessThan(1e-5);
          raw.wordTagLogProbs.forEach((row, w) => row.forEach((v, k) => expect(Math.abs(v - reference[i].wordTagLogProbs[w][k])).toBeLessThan(1e-4)));
        });
        // The long probe goes through the windowed path, which predicts on the engine too.
        expectSamePredictions(predictions, await onnx.understandBatch(PROBES, 4), 5);
      } finally {
        onnx.dispose();
        tfjs.dispose();
      }
    });

    it('replaces an existing folder', () => {
      const out = join(dir, 'replace');
      model.save(out, { 'stale.txt': 'old' });
      model.save(out);
      expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    });

    it('leaves nothing at the target when a write fails', () => {
      const out = join(dir, 'atomic-new');
      // The extra file's folder does not exist, so the last write of the save fails.
      expect(() => model.save(out, { 'missing-folder/notes.txt': 'x' })).toThrow(/ENOENT/);
      expect(existsSync(out)).toBe(false);
      // The staging folder is cleaned up too.
      expect(readdirSync(dir).filter((name) => name.startsWith('atomic-new'))).toEqual([]);
    });

    it('keeps the previous model intact when overwriting it fails', async () => {
      const out = join(dir, 'atomic-existing');
      model.save(out);
      const before = readFileSync(join(out, 'model.safetensors'));
      expect(() => model.save(out, { 'missing-folder/notes.txt': 'x' })).toThrow();
      expect(readFileSync(join(out, 'model.safetensors')).equals(before)).toBe(true);
      expect(readdirSync(dir).filter((name) => name.startsWith('atomic-existing'))).toEqual(['atomic-existing']);
      const loaded = await loadModel(out);
      loaded.dispose();
    });
  });

  describe('loadModel errors', () => {
    /** A fresh checkpoint with one change applied. */
    function variant(name: string, change: (folder: string) => void): string {
      const folder = join(dir, name);
      model.save(folder);
      change(folder);
      return folder;
    }

    function editConfig(folder: string, edit: (config: Record<string, unknown>) => Record<string, unknown>): void {
      const path = join(folder, 'config.json');
      writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)));
    }

    it('names a folder that does not exist', async () => {
      const error = await loadError(join(dir, 'no-such-model'));
      expect(error.message).toMatch(/no-such-model does not exist/);
      expect(error.message).toMatch(/duet train/);
    });

    it('names a missing model.safetensors', async () => {
      const folder = variant('no-weights', (f) => rmSync(join(f, 'model.safetensors')));
      expect((await loadError(folder)).message).toMatch(/is missing model\.safetensors/);
    });

    it('names a missing tokenizer.json and config.json', async () => {
      expect((await loadError(variant('no-tokenizer', (f) => rmSync(join(f, 'tokenizer.json'))))).message).toMatch(/is missing tokenizer\.json/);
      expect((await loadError(variant('no-config', (f) => rmSync(join(f, 'config.json'))))).message).toMatch(/is missing config\.json/);
    });

    it('refuses another format version and says to retrain', async () => {
      const folder = variant('other-version', (f) => editConfig(f, (c) => ({ ...c, formatVersion: MODEL_FORMAT_VERSION + 1 })));
      const error = await loadError(folder);
      expect(error.message).toMatch(new RegExp(`format version ${MODEL_FORMAT_VERSION + 1}, this Duet reads version ${MODEL_FORMAT_VERSION}`));
      expect(error.message).toMatch(/retrain/);
    });

    it('reports a config.json that is not JSON', async () => {
      const folder = variant('bad-json', (f) => writeFileSync(join(f, 'config.json'), '{ "formatVersion": '));
      const error = await loadError(folder);
      expect(error.message).toMatch(/config\.json is not valid JSON/);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it('reports truncated weights as corrupt', async () => {
      const folder = variant('truncated', (f) => {
        const bytes = readFileSync(join(f, 'model.safetensors'));
        writeFileSync(join(f, 'model.safetensors'), bytes.subarray(0, bytes.length - 64));
      });
      expect((await loadError(folder)).message).toMatch(/model\.safetensors is corrupt \(tensor .+ points outside the file\)/);
    });

    it('reports weights that do not fit the config', async () => {
      const folder = variant('wider', (f) =>
        editConfig(f, (c) => {
          const config = c.config as { backbone: Record<string, unknown> };
          return { ...c, config: { ...config, backbone: { ...config.backbone, dFF: 48 } } };
        }),
      );
      expect((await loadError(folder)).message).toMatch(/has \d+ values, the config needs \d+: retrain the model/);
    });
  });
});
