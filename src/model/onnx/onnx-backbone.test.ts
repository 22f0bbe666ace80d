import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomBert, writeRandomGpt2 } from '../../bench/random-checkpoint.js';
import { EngineUnavailableError, ModelInputError } from '../../errors.js';
import { FIXTURE_NAMES, fixtureDir, maxAbs, maxAbsDiff, reference } from '../../import/__fixtures__/reference.js';
import { importCheckpoint } from '../../import/import-checkpoint.js';
import { Backbone } from '../backbone.js';
import { initTensorBackend } from '../backend.js';
import { MODEL_FORMAT_VERSION, resolveBackboneConfig } from '../config.js';
import { ParameterStore } from '../params.js';
import { loadPretrainedModel, type PretrainedModel } from '../pretrained-model.js';
import { encodeSafetensors, type NamedTensor } from '../safetensors.js';
import { createRng, fillNormal } from '../../util/random.js';
import { exportModelFolder } from './export-backbone.js';
import { loadOnnxBackbone, loadOnnxRuntime, type OnnxBackbone } from './onnx-backbone.js';

// Issue #7's bar, for the onnx engine too: within 1e-4 of the PyTorch reference and of tfjs.
const TOLERANCE = 1e-4;

describe('onnx engine', () => {
  let work: string;
  const onnx = new Map<string, OnnxBackbone>();
  const tfjs = new Map<string, PretrainedModel>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'duet-onnx-test-'));
    for (const name of FIXTURE_NAMES) {
      importCheckpoint(fixtureDir(name), join(work, name));
      onnx.set(name, await loadOnnxBackbone(join(work, name)));
      tfjs.set(name, await loadPretrainedModel(join(work, name)));
    }
  });

  afterAll(async () => {
    for (const model of onnx.values()) await model.dispose();
    for (const model of tfjs.values()) model.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  for (const name of FIXTURE_NAMES) {
    it(`${name}: hidden states, pooled output and logits within ${TOLERANCE} of the reference and of tfjs`, async () => {
      const model = onnx.get(name) as OnnxBackbone;
      const ref = reference(name);
      for (const input of ref.inputs) {
        const out = await model.run(input.ids, input.token_type_ids);
        const tf = (tfjs.get(name) as PretrainedModel).run(input.ids, input.token_type_ids);
        expect(maxAbs(input.last_hidden_state)).toBeGreaterThan(1);
        expect(maxAbsDiff(out.last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
        expect(maxAbsDiff(out.last_hidden_state, tf.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
        if (input.pooled) {
          expect(maxAbsDiff(out.pooled as number[], input.pooled)).toBeLessThanOrEqual(TOLERANCE);
          expect(maxAbsDiff(out.pooled as number[], tf.pooled as number[])).toBeLessThanOrEqual(TOLERANCE);
        } else {
          expect(out.pooled).toBeUndefined();
        }
        if (tf.logits) expect(maxAbsDiff(out.logits as number[][], tf.logits)).toBeLessThanOrEqual(TOLERANCE);
        else expect(out.logits).toBeUndefined();
        if (input.logits) expect(maxAbsDiff(out.logits as number[][], input.logits)).toBeLessThanOrEqual(TOLERANCE);
        if (input.last_logits) expect(maxAbsDiff((out.logits as number[][]).at(-1) as number[], input.last_logits)).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }

  it('runBackbone gives the same hidden states and pooled output as run, as flat arrays', async () => {
    const model = onnx.get('bert-tiny') as OnnxBackbone;
    const input = reference('bert-tiny').inputs[1];
    const out = await model.runBackbone(input.ids, input.token_type_ids);
    expect(out.lastHiddenState).toHaveLength(input.ids.length * 32);
    expect(maxAbsDiff(Array.from(out.lastHiddenState), input.last_hidden_state.flat())).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(Array.from(out.pooled as Float32Array), input.pooled as number[])).toBeLessThanOrEqual(TOLERANCE);
  });

  it('gpt2-tiny: greedy generation with the key/value cache gives the reference continuation', async () => {
    const { generation } = reference('gpt2-tiny');
    if (!generation) throw new Error('fixture has no generation reference');
    const model = onnx.get('gpt2-tiny') as OnnxBackbone;
    expect(await model.generateIds(generation.prompt_ids, { maxNewTokens: generation.greedy_ids.length })).toEqual(generation.greedy_ids);
  });

  it('refuses what the tfjs engine refuses', async () => {
    const bert = onnx.get('bert-tiny') as OnnxBackbone;
    await expect(bert.run([3, 100000])).rejects.toThrow(/token id 100000 is outside this model's vocabulary/);
    await expect(bert.run(new Array(33).fill(3))).rejects.toThrow(/33 tokens exceed this model's 32 positions/);
    await expect(bert.run([3, 4], [0, 2])).rejects.toThrow(/segment ids must be integers below 2/);
    await expect(bert.generateIds([3], { maxNewTokens: 1 })).rejects.toBeInstanceOf(ModelInputError);
    await expect(bert.generateIds([3], { maxNewTokens: 1 })).rejects.toThrow(/no language-model head/);
  });

  it('says how to install onnxruntime-node when it is missing', async () => {
    const missing = () => Promise.reject(new Error("Cannot find package 'onnxruntime-node'"));
    await expect(loadOnnxRuntime(missing)).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(loadOnnxBackbone(join(work, 'bert-tiny'), { importer: missing })).rejects.toThrow(/ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node.*--engine tfjs/);
    await expect(loadOnnxRuntime(() => Promise.resolve({}))).rejects.toThrow(/no InferenceSession/);
  });

  it('a random model with BERT-base-like layout and GPT-2 layout (wider, 4 layers) agrees with tfjs', async () => {
    const bertDir = join(work, 'bert-random');
    writeRandomBert(join(bertDir, 'hf'), { vocab: 500, hidden: 96, layers: 4, heads: 4, intermediate: 384, positions: 64 }, 7);
    importCheckpoint(join(bertDir, 'hf'), join(bertDir, 'duet'));
    const gptDir = join(work, 'gpt2-random');
    writeRandomGpt2(join(gptDir, 'hf'), { vocab: 400, hidden: 96, layers: 4, heads: 4, positions: 64 }, 8);
    importCheckpoint(join(gptDir, 'hf'), join(gptDir, 'duet'));
    const ids = Array.from({ length: 16 }, (_, i) => (7 + 31 * i) % 400);
    for (const dir of [join(bertDir, 'duet'), join(gptDir, 'duet')]) {
      const a = await loadOnnxBackbone(dir);
      const b = await loadPretrainedModel(dir);
      const x = await a.run(ids);
      const y = b.run(ids);
      expect(maxAbsDiff(x.last_hidden_state, y.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(x.logits as number[][], y.logits as number[][])).toBeLessThanOrEqual(TOLERANCE);
      if (y.pooled) expect(maxAbsDiff(x.pooled as number[], y.pooled)).toBeLessThanOrEqual(TOLERANCE);
      await a.dispose();
      b.dispose();
    }
  });

  it('a from-scratch Duet backbone (pre-LN, segments, no pretrained heads) agrees with tfjs', async () => {
    await initTensorBackend();
    const config = resolveBackboneConfig({ vocabSize: 60, maxPositions: 24, dModel: 32, nLayers: 2, nHeads: 4, dFF: 48, tokenFeatureBuckets: 0, dropout: 0 });
    const params = new ParameterStore(createRng(5));
    new Backbone(config, params).build();
    // Noise on every weight, biases and norms included, so each one shows in the output.
    const rng = createRng(6);
    const tensors: Record<string, NamedTensor> = {};
    for (const [name, v] of params.variables) {
      const noise = fillNormal(new Float32Array(v.size), 0.2, rng);
      tensors[name] = { shape: v.shape, data: (v.dataSync() as Float32Array).map((x, i) => x + noise[i]) };
    }
    params.dispose();
    const dir = join(work, 'scratch-model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ formatVersion: MODEL_FORMAT_VERSION, config: { formatVersion: MODEL_FORMAT_VERSION, backbone: config }, createdAt: '' }));
    copyFileSync(join(work, 'bert-tiny', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const a = await loadOnnxBackbone(dir);
    const b = await loadPretrainedModel(dir);
    const ids = [2, 17, 33, 5, 59, 0, 8];
    const segments = [0, 0, 0, 1, 1, 1, 1];
    const x = await a.run(ids, segments);
    const y = b.run(ids, segments);
    expect(maxAbs(y.last_hidden_state)).toBeGreaterThan(1);
    expect(maxAbsDiff(x.last_hidden_state, y.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
    expect(x.pooled).toBeUndefined();
    expect(x.logits).toBeUndefined();
    await a.dispose();
    b.dispose();
    expect(() => exportModelFolder(dir, { logits: 'all' })).toThrow(/no masked-LM or language-model head/);
    expect(() => exportModelFolder(dir, { cache: true })).toThrow(/key\/value cache needs a causal/);
  });

  it('export-onnx writes a graph onnxruntime loads, with the documented inputs and outputs', async () => {
    const ort = await loadOnnxRuntime();
    const { bytes, inputs, outputs } = exportModelFolder(join(work, 'bert-tiny'), { logits: 'all' });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(inputs);
    expect(session.outputNames).toEqual(outputs);
    await session.release();
  });
});
