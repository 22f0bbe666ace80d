import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float16Array } from '@petamoriken/float16';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NluExample } from '../data/types.js';
import { fixtureDir } from '../import/__fixtures__/reference.js';
import { importCheckpoint } from '../import/import-checkpoint.js';
import { initTensorBackend } from '../model/backend.js';
import { loadModel } from '../model/duet-model.js';
import { loadBaseCheckpoint, type BaseCheckpoint } from '../model/pretrained-model.js';
import { trainNluModel, type TrainOptions } from './train-nlu.js';

const CITIES = ['paris', 'london', 'rome', 'oslo', 'tokyo', 'berlin'];
const EXAMPLES: NluExample[] = [
  ...CITIES.flatMap((city) =>
    ['weather in ', 'is it raining in ', 'forecast for '].map((prefix) => ({
      text: `${prefix}${city}`,
      intent: 'weather',
      slots: [{ slot: 'city', start: prefix.length, end: prefix.length + city.length }],
    })),
  ),
  ...['hello', 'hi there', 'good morning', 'hey', 'hello friend', 'hi', 'good evening', 'hey there', 'morning', 'hello hello'].map((text) => ({ text, intent: 'greet', slots: [] })),
];

const FAST: Partial<TrainOptions> = { maxEpochs: 3, batchSize: 8, heads: { sentenceFeatureBuckets: 1024, sentenceFeatureDim: 16 } };

function halfRounded(values: Float32Array): Float32Array {
  return Float32Array.from(new Float16Array(values));
}

describe('training from an imported checkpoint', () => {
  let work: string;
  let bert: BaseCheckpoint;
  let gpt2: BaseCheckpoint;

  beforeAll(async () => {
    await initTensorBackend();
    work = mkdtempSync(join(tmpdir(), 'duet-train-base-'));
    importCheckpoint(fixtureDir('bert-tiny'), join(work, 'bert'));
    importCheckpoint(fixtureDir('gpt2-tiny'), join(work, 'gpt2'));
    bert = loadBaseCheckpoint(join(work, 'bert'));
    gpt2 = loadBaseCheckpoint(join(work, 'gpt2'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('--freeze-backbone keeps every backbone weight of the checkpoint (as saved, in half precision)', async () => {
    const { model } = await trainNluModel(EXAMPLES, [], { ...FAST, base: bert, freezeBackbone: true });
    expect(bert.weights.size).toBeGreaterThan(20);
    for (const [name, values] of bert.weights) {
      expect(Array.from(model.network.params.require(name).dataSync()), name).toEqual(Array.from(halfRounded(values)));
    }
    expect(model.network.frozenHidden).toBeUndefined();
    expect(model.metadata.specialTokens).toEqual(bert.specialTokens);
    model.dispose();
  });

  it('without freezing, the backbone is trained too, at its own learning rate', async () => {
    const { model } = await trainNluModel(EXAMPLES, [], { ...FAST, base: bert, backboneLearningRate: 1e-3 });
    let changed = 0;
    for (const [name, values] of bert.weights) {
      const trained = model.network.params.require(name).dataSync();
      const rounded = halfRounded(values);
      if (trained.some((v, i) => Math.abs(v - rounded[i]) > 1e-4)) changed++;
    }
    expect(changed).toBeGreaterThan(bert.weights.size / 2);
    model.dispose();
  });

  it('--train-layers 1 trains the top layer only; the embeddings and lower layers stay as imported', async () => {
    const { model } = await trainNluModel(EXAMPLES, [], { ...FAST, base: bert, trainLayers: 1, backboneLearningRate: 1e-3 });
    for (const [name, values] of bert.weights) {
      const trained = Array.from(model.network.params.require(name).dataSync());
      if (name.startsWith('layers.1.') && name.endsWith('.weight')) expect(trained, name).not.toEqual(Array.from(halfRounded(values)));
      if (!name.startsWith('layers.1.')) expect(trained, name).toEqual(Array.from(halfRounded(values)));
    }
    model.dispose();
  });

  it('frozen-backbone features give the same predictions as running the backbone', async () => {
    const { model } = await trainNluModel(EXAMPLES, [], { ...FAST, base: bert, freezeBackbone: true });
    const encoded = await Promise.all(['weather in oslo', 'hi', 'is it raining in rome today'].map((t) => model.encode(t)));
    const direct = model.predictEncoded(encoded);
    model.network.frozenHidden = model.network.backboneOutputs(encoded);
    const cached = model.predictEncoded(encoded);
    model.network.frozenHidden = undefined;
    direct.forEach((d, i) => {
      Array.from(d.probs).forEach((p, j) => expect(cached[i].probs[j]).toBeCloseTo(p, 5));
      d.wordTagLogProbs.flat().forEach((p, j) => expect(cached[i].wordTagLogProbs.flat()[j]).toBeCloseTo(p, 4));
    });
    model.dispose();
  });

  it('a GPT-2 base: <|endoftext|> in front, words found in byte-level pieces, saved and loaded alike', async () => {
    const { model } = await trainNluModel(EXAMPLES, [], { ...FAST, base: gpt2, freezeBackbone: true });
    const encoded = await model.encode('is it raining in tokyo');
    expect(encoded.ids[0]).toBe(gpt2.specialTokens.endOfText);
    expect(encoded.words.map(([s, e]) => encoded.text.slice(s, e))).toEqual(['is', 'it', 'raining', 'in', 'tokyo']);
    const probes = ['weather in paris', 'hello there', 'forecast for berlin'];
    const before = await model.understandBatch(probes);
    model.save(join(work, 'gpt2-nlu'));
    const loaded = await loadModel(join(work, 'gpt2-nlu'));
    expect(loaded.config.backbone.causal).toBe(true);
    const after = await loaded.understandBatch(probes);
    after.forEach((u, i) => {
      expect(u.intent).toBe(before[i].intent);
      expect(u.confidence).toBeCloseTo(before[i].confidence, 5);
    });
    model.dispose();
    loaded.dispose();
  });
});
