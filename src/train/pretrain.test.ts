import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PretrainingCorpus } from '../data/corpora/pretraining.js';
import { ModelLoadError } from '../errors.js';
import { initTensorBackend } from '../model/backend.js';
import { decodeSafetensors } from '../model/safetensors.js';
import { loadBaseCheckpoint, loadPretrainedModel } from '../model/pretrained-model.js';
import { CLS_ID, MASK_ID, SEP_ID, WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { BatchPlan, encodeContext, prepareCorpus } from './pretrain-batches.js';
import { LOSS_LOG_FILE, MODEL_CARD_FILE, STATE_FILE } from './pretrain-checkpoint.js';
import { crossEntropy, learningRateAt, parseCheckpointEvery, resolvePretrainOptions, runPretraining, type PretrainOptions, type PretrainProgress, type PretrainSettings } from './pretrain.js';
import { trainNluModel } from './train-nlu.js';

const CITIES = ['paris', 'london', 'rome', 'oslo', 'tokyo', 'berlin', 'madrid', 'vienna'];
const TOY: PretrainingCorpus = {
  texts: CITIES.flatMap((city) => [
    `what is the weather in ${city} today ?`,
    `it is sunny and warm in ${city} .`,
    `book me a flight to ${city} please .`,
    `sure , your flight to ${city} is booked .`,
  ]),
  pairs: CITIES.flatMap((city) => [
    { context: [`hello there`, `hi , how can i help ?`, `what is the weather in ${city} ?`], response: `it is sunny in ${city} .`, source: 'toy' },
    { context: [`book me a flight to ${city}`], response: `your flight to ${city} is booked .`, source: 'toy' },
  ]),
  sources: [
    { name: 'toy-dialogues', licence: 'CC BY-NC-SA 4.0', texts: 32, pairs: 8 },
    { name: 'toy-tasks', licence: 'CC BY-SA 4.0', texts: 0, pairs: 8 },
  ],
};

/** A 1-layer, width-32 model: each step takes milliseconds. */
const TINY: Partial<PretrainOptions> = {
  steps: 20,
  batchSize: 8,
  maxTokens: 16,
  layers: 1,
  dModel: 32,
  heads: 2,
  ff: 64,
  vocabSize: 200,
  learningRate: 1e-2,
  warmupSteps: 2,
  dropout: 0,
  seed: 7,
};

function settings(outDir: string, extra: Partial<PretrainSettings> = {}): PretrainSettings {
  return { outDir, options: TINY, loadCorpus: () => TOY, machine: 'test machine', ...extra };
}

function stateTensors(dir: string): Record<string, Float32Array> {
  const { tensors } = decodeSafetensors(readFileSync(join(dir, STATE_FILE)));
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.data]));
}

function lossLines(dir: string): Record<string, number>[] {
  return readFileSync(join(dir, LOSS_LOG_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
}

describe('duet pretrain', () => {
  let work: string;
  let trained: string;
  const tensorCounts: number[] = [];
  let lines: Record<string, number>[];

  beforeAll(async () => {
    await initTensorBackend();
    work = mkdtempSync(join(tmpdir(), 'duet-pretrain-'));
    trained = join(work, 'trained');
    await runPretraining(
      settings(trained, {
        onProgress: (e: PretrainProgress) => {
          if (e.kind === 'step') tensorCounts.push(tf.memory().numTensors);
        },
      }),
    );
    lines = lossLines(trained);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('lowers each objective\'s loss over 20 steps on a toy corpus', () => {
    expect(lines).toHaveLength(20);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const objective of ['mlm', 'lm', 'rank']) {
      const first = mean(lines.slice(0, 3).map((l) => l[objective]));
      const last = mean(lines.slice(-3).map((l) => l[objective]));
      expect(first, objective).toBeGreaterThan(0);
      expect(last, `${objective}: ${first} → ${last}`).toBeLessThan(first * 0.85);
    }
  });

  it('does not leak tensors from step to step', () => {
    expect(tensorCounts).toHaveLength(20);
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
  });

  it('resuming after N steps gives the same weights as an uninterrupted run of 2N steps', async () => {
    const N = 3;
    const straight = join(work, 'straight');
    await runPretraining(settings(straight, { options: { ...TINY, steps: 2 * N, dropout: 0.1 } }));
    const split = join(work, 'split');
    const controller = new AbortController();
    const first = await runPretraining(
      settings(split, {
        options: { ...TINY, steps: 2 * N, dropout: 0.1 },
        // Checkpoints along the way must not change the run.
        checkpointEvery: { steps: 2 },
        signal: controller.signal,
        onProgress: (e) => {
          if (e.kind === 'step' && e.step === N) controller.abort();
        },
      }),
    );
    expect(first).toMatchObject({ step: N, stopped: 'interrupted' });
    // A line past the checkpoint (as a crash between checkpoints leaves) is dropped on resume.
    writeFileSync(join(split, LOSS_LOG_FILE), `${readFileSync(join(split, LOSS_LOG_FILE), 'utf8')}{"step":${N + 1},"loss":9}\n`);
    const second = await runPretraining({ outDir: split, resume: true, loadCorpus: () => TOY });
    expect(second).toMatchObject({ step: 2 * N, stopped: 'done', sessionSteps: N });

    const a = stateTensors(straight);
    const b = stateTensors(split);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const name of Object.keys(a)) expect(Array.from(b[name]), name).toEqual(Array.from(a[name]));
    const strip = (ls: Record<string, number>[]) => ls.map(({ elapsed: _e, ...rest }) => rest);
    expect(strip(lossLines(split))).toEqual(strip(lossLines(straight)));
  });

  it('stops at the time budget with a checkpoint to resume from', async () => {
    const dir = join(work, 'budget');
    const report = await runPretraining(settings(dir, { maxMinutes: 1e-6 }));
    expect(report).toMatchObject({ step: 0, stopped: 'time' });
    const resumed = await runPretraining({ outDir: dir, resume: true, options: { steps: 2 }, loadCorpus: () => TOY });
    expect(resumed).toMatchObject({ step: 2, stopped: 'done' });
  });

  it('refuses to resume with another model shape, and to start over a finished run without --resume', async () => {
    await expect(runPretraining({ ...settings(trained), resume: true, options: { layers: 2 } })).rejects.toThrow(/--layers 2 differs from the run being resumed \(1\)/);
    await expect(runPretraining(settings(trained))).rejects.toThrow(/already holds a pretraining run .*--resume/);
  });

  it('writes a folder that duet train --base, generate and inspect can use', async () => {
    const base = loadBaseCheckpoint(trained);
    expect(base.backbone).toMatchObject({ nLayers: 1, dModel: 32, maxPositions: 16, tokenFeatureBuckets: 0 });
    expect(base.specialTokens).toMatchObject({ start: CLS_ID, end: SEP_ID, mask: MASK_ID });
    expect(base.pretrained.heads).toMatchObject({ maskedLm: true, causalLm: true, tiedEmbeddings: true });
    const { tensors } = decodeSafetensors(readFileSync(join(trained, 'model.safetensors')));
    expect(new Set(Object.values(tensors).map((t) => t.dtype))).toEqual(new Set(['F16']));

    const model = await loadPretrainedModel(trained);
    // The first call caches the transposed token table (kept until dispose); count after it.
    await model.generate('hello', { maxNewTokens: 1 });
    const before = tf.memory().numTensors;
    const { ids, text } = await model.generate('what is the weather in', { maxNewTokens: 4, stopAtEndOfText: false });
    expect(ids).toHaveLength(4);
    expect(typeof text).toBe('string');
    const inspected = model.run(await model.encodeText('book me a flight'));
    expect(inspected.logits?.[0]).toHaveLength(model.config.vocabSize);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();

    const examples = CITIES.flatMap((city) => [
      { text: `weather in ${city}`, intent: 'weather', slots: [] },
      { text: `fly to ${city}`, intent: 'flight', slots: [] },
    ]);
    const { model: tuned } = await trainNluModel(examples, [], { maxEpochs: 1, batchSize: 8, base, heads: { sentenceFeatureBuckets: 256, sentenceFeatureDim: 8 } });
    expect((await tuned.understand('weather in rome')).intent).toMatch(/weather|flight/);
    tuned.dispose();

    const card = readFileSync(join(trained, MODEL_CARD_FILE), 'utf8');
    expect(card).toContain('| toy-dialogues | 32 | 8 | CC BY-NC-SA 4.0 |');
    expect(card).toMatch(/Non-commercial use only/);
    expect(card).toMatch(/Share-alike/);
    expect(card).toMatch(/npx duet pretrain --out .* --steps 20 --batch-size 8 --max-tokens 16 --layers 1 --d-model 32/);
    expect(card).toMatch(/test machine/);
  });

  it('generates as the language-model head was trained: the prompt read left to right', async () => {
    // Two layers: with one, a token's keys and values do not depend on the mask at all.
    const dir = join(work, 'two-layers');
    await runPretraining(settings(dir, { options: { ...TINY, layers: 2, steps: 4 } }));
    const model = await loadPretrainedModel(dir);
    const heads = model.heads;
    if (!heads) throw new Error('no pretrained heads');
    const prompt = (await model.tokenizer.encode('what is the weather in')).ids;
    // What generation computes at each step (KV cache), captured at the head.
    const seen: Float32Array[] = [];
    const nextTokenLogits = heads.nextTokenLogits.bind(heads);
    heads.nextTokenLogits = (hidden) => {
      const logits = nextTokenLogits(hidden);
      seen.push(Float32Array.from(logits.dataSync()));
      return logits;
    };
    const generated = model.generateIds(prompt, { maxNewTokens: 3, stopAtEndOfText: false });
    heads.nextTokenLogits = nextTokenLogits;
    expect(seen).toHaveLength(3);
    // The same logits from the whole sequence at once under a causal mask, as in training.
    seen.forEach((logits, i) => {
      const sequence = [...prompt, ...generated.slice(0, i)];
      const T = sequence.length;
      const full = tf.tidy(() => {
        const hidden = model.backbone.encode(
          { ids: tf.tensor2d(sequence, [1, T], 'int32'), padMask: tf.ones([1, T]) as tf.Tensor2D, attentionMask: tf.linalg.bandPart(tf.ones([T, T]), -1, 0) as tf.Tensor2D },
          { training: false, seed: () => 0 },
        );
        return nextTokenLogits(hidden.slice([0, T - 1, 0], [1, 1, model.config.dModel]) as tf.Tensor3D);
      });
      const expected = full.dataSync();
      full.dispose();
      let worst = 0;
      logits.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[j]))));
      expect(worst, `step ${i}`).toBeLessThan(1e-4);
    });
    model.dispose();
  });

  it('names the checkpoint file when it is missing or corrupt', async () => {
    const empty = join(work, 'empty');
    await expect(runPretraining({ ...settings(empty), resume: true })).rejects.toThrow(new RegExp(`${STATE_FILE} does not exist: --resume needs`));

    const truncated = join(work, 'truncated');
    cpSync(trained, truncated, { recursive: true });
    const file = join(truncated, STATE_FILE);
    truncateSync(file, 1000);
    const error = await runPretraining({ ...settings(truncated), resume: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/is corrupt .*start over without --resume/);
    expect((error as Error).message).not.toContain('\n');

    const flipped = join(work, 'flipped');
    cpSync(trained, flipped, { recursive: true });
    const bytes = readFileSync(join(flipped, STATE_FILE));
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(join(flipped, STATE_FILE), bytes);
    await expect(runPretraining({ ...settings(flipped), resume: true })).rejects.toThrow(/checksum does not match/);
  });
});

describe('pretraining batches', () => {
  it('are the same for the same step, different for another, and mask about 15% of the tokens', async () => {
    await initTensorBackend();
    const tokenizer = WordPieceTokenizer.train(TOY.texts, 200);
    const data = await prepareCorpus(TOY, tokenizer, 16);
    const objectives = new Set(['mlm', 'lm', 'rank'] as const);
    const a = new BatchPlan(data, 8, 1, objectives);
    const b = new BatchPlan(data, 8, 1, objectives);
    expect(b.at(5)).toEqual(a.at(5));
    expect(a.at(6).mlm?.ids).not.toEqual(a.at(5).mlm?.ids);
    let chosen = 0;
    let masked = 0;
    for (let s = 0; s < 50; s++) {
      const mlm = a.at(s).mlm;
      if (!mlm) throw new Error('no masked-LM batch');
      chosen += mlm.positions.length;
      masked += Array.from(mlm.positions).filter((p) => mlm.ids[p] === MASK_ID).length;
    }
    const rate = chosen / (50 * 8 * 15);
    expect(rate).toBeGreaterThan(0.1);
    expect(rate).toBeLessThan(0.22);
    expect(masked / chosen).toBeGreaterThan(0.7);
    expect(masked / chosen).toBeLessThan(0.9);
    const lm = a.at(0).lm;
    expect(Array.from(lm?.targets.slice(0, 15) ?? [])).toEqual(Array.from(lm?.ids.slice(1, 16) ?? []));
  });

  it('keep the most recent context turns, speakers alternating back from the last', () => {
    const turns = [Int32Array.from([10, 11, 12]), Int32Array.from([20, 21]), Int32Array.from([30, 31, 32])];
    const whole = encodeContext(turns, 16);
    expect(Array.from(whole.context)).toEqual([CLS_ID, 10, 11, 12, SEP_ID, 20, 21, SEP_ID, 30, 31, 32, SEP_ID]);
    expect(Array.from(whole.contextSegments)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    const cut = encodeContext(turns, 8);
    expect(Array.from(cut.context)).toEqual([CLS_ID, 20, 21, SEP_ID, 30, 31, 32, SEP_ID]);
    const tail = encodeContext([Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])], 6);
    expect(Array.from(tail.context)).toEqual([CLS_ID, 6, 7, 8, 9, SEP_ID]);
  });

  it('cross-entropy and its gradient match tfjs\'s softmax cross-entropy', async () => {
    await initTensorBackend();
    const logits = tf.tensor2d([[2, -1, 0.5, 3], [0, 0, 0, 0], [-4, 8, 1, 1]]);
    const labels = Int32Array.from([3, 1, 0]);
    const ours = tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, labels));
    const reference = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 4), x));
    expect(crossEntropy(logits, labels).dataSync()[0]).toBeCloseTo(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 4), logits).dataSync()[0], 5);
    const [a, b] = [ours(logits).dataSync(), reference(logits).dataSync()];
    Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
  });

  it('options: checkpoint intervals, schedule, invariants', () => {
    expect(parseCheckpointEvery('500')).toEqual({ steps: 500 });
    expect(parseCheckpointEvery('10m')).toEqual({ minutes: 10 });
    expect(parseCheckpointEvery('2.5min')).toEqual({ minutes: 2.5 });
    expect(() => parseCheckpointEvery('soon')).toThrow(/--checkpoint-every/);
    const options = resolvePretrainOptions({ steps: 1000, learningRate: 1e-3 });
    expect(options.warmupSteps).toBe(50);
    expect(learningRateAt(0, options)).toBeCloseTo(2e-5);
    expect(learningRateAt(49, options)).toBeCloseTo(1e-3);
    expect(learningRateAt(999, options)).toBeCloseTo(1e-4, 5);
    expect(() => resolvePretrainOptions({ dModel: 30, heads: 4 })).toThrow(/--d-model \(30\) must be divisible by --heads \(4\)/);
  });
});
