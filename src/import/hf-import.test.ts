import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { Backbone, KvCache } from '../model/backbone.js';
import { initTensorBackend } from '../model/backend.js';
import { resolveBackboneConfig } from '../model/config.js';
import { loadModel } from '../model/duet-model.js';
import { ParameterStore } from '../model/params.js';
import { loadPretrainedModel, type PretrainedModel } from '../model/pretrained-model.js';
import { decodeSafetensors, encodeSafetensors } from '../model/safetensors.js';
import { createRng } from '../util/random.js';
import { FIXTURE_NAMES, fixtureDir, maxAbs, maxAbsDiff, reference } from './__fixtures__/reference.js';
import { importCheckpoint } from './import-checkpoint.js';

// Issue #7's bar: Duet's outputs within 1e-4 of the independent PyTorch reference.
const TOLERANCE = 1e-4;

describe('imported checkpoints match the reference implementation', () => {
  let work: string;
  const models = new Map<string, PretrainedModel>();

  beforeAll(async () => {
    await initTensorBackend();
    work = mkdtempSync(join(tmpdir(), 'duet-import-test-'));
    for (const name of FIXTURE_NAMES) {
      importCheckpoint(fixtureDir(name), join(work, name));
      models.set(name, await loadPretrainedModel(join(work, name)));
    }
  });

  afterAll(() => {
    for (const model of models.values()) model.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  for (const name of FIXTURE_NAMES) {
    it(`${name}: last hidden states${name.startsWith('bert') ? ', pooled output' : ''} and logits within ${TOLERANCE}`, () => {
      const model = models.get(name) as PretrainedModel;
      const ref = reference(name);
      for (const input of ref.inputs) {
        const out = model.run(input.ids, input.token_type_ids);
        // The values are O(1) or larger, so a 1e-4 tolerance is a real constraint.
        expect(maxAbs(input.last_hidden_state)).toBeGreaterThan(1);
        expect(maxAbsDiff(out.last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
        if (input.pooled) {
          expect(out.pooled).toBeDefined();
          expect(maxAbsDiff(out.pooled as number[], input.pooled)).toBeLessThanOrEqual(TOLERANCE);
        } else {
          expect(out.pooled).toBeUndefined();
        }
        if (input.logits) {
          expect(maxAbs(input.logits)).toBeGreaterThan(1);
          expect(maxAbsDiff(out.logits as number[][], input.logits)).toBeLessThanOrEqual(TOLERANCE);
        }
        if (input.last_logits) expect(maxAbsDiff((out.logits as number[][]).at(-1) as number[], input.last_logits)).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }

  it('bert-tiny: the second segment reads token-type row 1 (segments change the output)', () => {
    const model = models.get('bert-tiny') as PretrainedModel;
    const input = reference('bert-tiny').inputs[1];
    expect(input.token_type_ids).toContain(1);
    const zeros = model.run(input.ids, input.ids.map(() => 0));
    expect(maxAbsDiff(zeros.last_hidden_state, input.last_hidden_state)).toBeGreaterThan(0.01);
  });

  it('a BertModel checkpoint without an MLM head gives no logits', () => {
    const out = (models.get('bert-tiny-bf16') as PretrainedModel).run(reference('bert-tiny-bf16').inputs[0].ids);
    expect(out.logits).toBeUndefined();
    expect(out.pooled).toHaveLength(32);
  });

  it('gpt2-tiny: greedy generation with the KV cache gives the reference continuation', () => {
    const { generation } = reference('gpt2-tiny');
    if (!generation) throw new Error('fixture has no generation reference');
    const model = models.get('gpt2-tiny') as PretrainedModel;
    expect(model.generateIds(generation.prompt_ids, { maxNewTokens: generation.greedy_ids.length })).toEqual(generation.greedy_ids);
  });

  it('gpt2-tiny: feeding one token at a time through the KV cache reproduces every position\'s logits', () => {
    const model = models.get('gpt2-tiny') as PretrainedModel;
    const input = reference('gpt2-tiny').inputs[0];
    const heads = model.heads;
    if (!heads) throw new Error('no heads');
    const cache = new KvCache();
    const rows: number[][] = [];
    for (const id of input.ids) {
      const logits = tf.tidy(() => {
        const hidden = model.backbone.encode(
          { ids: tf.tensor2d([[id]], [1, 1], 'int32'), segments: tf.zeros([1, 1], 'int32') as tf.Tensor2D, padMask: tf.ones([1, cache.length + 1]) as tf.Tensor2D, cache },
          { training: false, seed: () => 0 },
        );
        return heads.nextTokenLogits(hidden);
      });
      rows.push((logits.arraySync() as number[][][])[0][0]);
      logits.dispose();
    }
    cache.dispose();
    expect(maxAbsDiff(rows, input.logits as number[][])).toBeLessThanOrEqual(TOLERANCE);
  });

  it('runs, generates and frees without leaking tensors', () => {
    const bert = models.get('bert-tiny') as PretrainedModel;
    const gpt2 = models.get('gpt2-tiny') as PretrainedModel;
    bert.run([3, 10, 4]);
    gpt2.generateIds([1, 2], { maxNewTokens: 3 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      bert.run([3, 10, 11, 4], [0, 0, 1, 1]);
      bert.hiddenStates([3, 10, 4]);
      gpt2.generateIds([1, 2, 3], { maxNewTokens: 4, topK: 5, seed: i });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses token ids outside the vocabulary and sequences beyond the positions', () => {
    const model = models.get('bert-tiny') as PretrainedModel;
    expect(() => model.run([3, 100000])).toThrow(/token id 100000 is outside this model's vocabulary/);
    expect(() => model.run(new Array(33).fill(3))).toThrow(/33 tokens exceed this model's 32 positions/);
    expect(() => model.run([3, 4], [0, 2])).toThrow(/segment ids must be integers below 2/);
    expect(() => model.generateIds([3], { maxNewTokens: 1 })).toThrow(/no language-model head/);
  });

  it('an imported folder is a backbone: loading it as an NLU model says to fine-tune it', async () => {
    const error = await loadModel(join(work, 'bert-tiny')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/without intent and slot heads \(imported bert checkpoint\).*duet train <definition> --base/);
  });

  it('reads a sharded checkpoint (model.safetensors.index.json) like the single file', async () => {
    const dir = join(work, 'sharded-src');
    cpSync(fixtureDir('bert-tiny'), dir, { recursive: true });
    const { tensors } = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')));
    rmSync(join(dir, 'model.safetensors'));
    const names = Object.keys(tensors).sort();
    const shards = [names.slice(0, 20), names.slice(20)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeFileSync(join(dir, file), encodeSafetensors(Object.fromEntries(shard.map((n) => [n, tensors[n]])), 'F32'));
      for (const n of shard) weightMap[n] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    importCheckpoint(dir, join(work, 'sharded'));
    const model = await loadPretrainedModel(join(work, 'sharded'));
    const input = reference('bert-tiny').inputs[0];
    expect(maxAbsDiff(model.run(input.ids).last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
    model.dispose();
  });

  it('skips an int64 position_ids buffer, as checkpoints saved by some transformers versions carry', async () => {
    const dir = join(work, 'position-ids-src');
    cpSync(fixtureDir('bert-tiny'), dir, { recursive: true });
    const file = join(dir, 'model.safetensors');
    const buffer = readFileSync(file);
    const length = Number(buffer.readBigUInt64LE(0));
    const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
    const data = buffer.subarray(8 + length);
    const positions = new BigInt64Array(32).map((_, i) => BigInt(i));
    header['bert.embeddings.position_ids'] = { dtype: 'I64', shape: [1, 32], data_offsets: [data.length, data.length + positions.byteLength] };
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(file, Buffer.concat([prefix, json, data, Buffer.from(positions.buffer)]));
    const report = importCheckpoint(dir, join(work, 'position-ids'));
    expect(report.ignoredTensors).not.toContain('bert.embeddings.position_ids');
    const model = await loadPretrainedModel(join(work, 'position-ids'));
    const input = reference('bert-tiny').inputs[0];
    expect(maxAbsDiff(model.run(input.ids).last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(TOLERANCE);
    model.dispose();
  });

  it('writes half-precision weights with --dtype f16: half the size, close to the reference', async () => {
    const out = join(work, 'gpt2-f16-out');
    importCheckpoint(fixtureDir('gpt2-tiny'), out, { dtype: 'F16' });
    const f32 = statSync(join(work, 'gpt2-tiny', 'model.safetensors')).size;
    expect(statSync(join(out, 'model.safetensors')).size).toBeLessThan(f32 * 0.55);
    const model = await loadPretrainedModel(out);
    const input = reference('gpt2-tiny').inputs[0];
    const diff = maxAbsDiff(model.run(input.ids).logits as number[][], input.logits as number[][]);
    expect(diff).toBeGreaterThan(0); // rounded, so no longer exact…
    expect(diff).toBeLessThan(0.1); // …but still the same model
    model.dispose();
  });
});

describe('optional backbone fields', () => {
  beforeAll(async () => {
    await initTensorBackend();
  });

  it('spelling out the defaults changes nothing: models saved before the fields existed run exactly as before', () => {
    const shape = { vocabSize: 50, maxPositions: 16, dModel: 16, nLayers: 2, nHeads: 2, dFF: 24, tokenFeatureBuckets: 0 };
    const ids = tf.tensor2d([[2, 7, 9, 11, 3]], [1, 5], 'int32');
    const run = (config: Parameters<typeof resolveBackboneConfig>[0]) => {
      const p = new ParameterStore(createRng(3));
      const backbone = new Backbone(resolveBackboneConfig(config), p);
      const out = tf.tidy(() => backbone.encode({ ids, segments: tf.zeros([1, 5], 'int32') as tf.Tensor2D, padMask: tf.ones([1, 5]) as tf.Tensor2D }, { training: false, seed: () => 0 }));
      const values = Array.from(out.dataSync());
      out.dispose();
      p.dispose();
      return values;
    };
    for (const norm of ['pre', 'post'] as const) {
      const implicit = run({ ...shape, norm });
      const explicit = run({ ...shape, norm, activation: 'gelu_tanh', layerNormEps: 1e-12, embeddingNorm: norm === 'post', segmentEmbeddings: true, causal: false });
      expect(explicit).toEqual(implicit);
      // …and each field does something: the exact GELU gives other outputs.
      expect(run({ ...shape, norm, activation: 'gelu_erf' })).not.toEqual(implicit);
    }
    ids.dispose();
  });

  it('rejects values outside the choices', () => {
    const base = { vocabSize: 10, dModel: 8, nHeads: 2 };
    expect(() => resolveBackboneConfig({ ...base, activation: 'relu' as never })).toThrow(/activation must be "gelu_tanh" or "gelu_erf"/);
    expect(() => resolveBackboneConfig({ ...base, layerNormEps: 0 })).toThrow(/layerNormEps must be in \(0, 1\)/);
    expect(() => resolveBackboneConfig({ ...base, causal: 'yes' as never })).toThrow(/causal must be true or false/);
  });
});
