import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelPath } from '../cli/chat-command.js';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { createRng } from '../util/random.js';
import { initTensorBackend } from './backend.js';
import { buildTagSet } from './bio.js';
import { MODEL_FORMAT_VERSION, resolveBackboneConfig, resolveHeadConfig, type ModelConfig } from './config.js';
import { DuetModel, loadModel } from './duet-model.js';
import { NluNetwork } from './nlu-network.js';
import { ParameterStore } from './params.js';
import { computeIdf } from './sparse-features.js';
import { WorkerUnderstander } from './worker-understander.js';

const TEXTS = [
  'remind me to call mom tomorrow at 5pm',
  'add milk and eggs to my shopping list',
  'what is 12 times 7 plus 3',
  'hi there',
  'convert 10 miles to km',
  'what time is it in Tokyo',
  "what's on my shopping list",
  'set a timer for 10 minutes',
];

describe('WorkerUnderstander (the demo model on its own thread)', () => {
  let local: DuetModel;
  let thread: WorkerUnderstander;
  beforeAll(async () => {
    local = await loadModel(demoModelPath());
    thread = await WorkerUnderstander.start(demoModelPath(), { maxBatch: 16, answersPerTick: 3 });
  });
  afterAll(async () => {
    local?.dispose();
    await thread?.close();
  });

  it('understands concurrent utterances exactly as the model does in-process, each answer to its own caller', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => TEXTS[(i * 3) % TEXTS.length]);
    const before = { ...thread.stats };
    const fromThread = await Promise.all(texts.map((t) => thread.understand(t)));
    const expected = await local.understandBatch(texts);
    expect(fromThread).toEqual(expected);
    // 40 utterances asked in one turn of the loop go as few batches of at most 16, not 40 single ones.
    expect(thread.stats.utterances - before.utterances).toBe(40);
    expect(thread.stats.batches - before.batches).toBe(3);
  });

  it('reads a required slot the same way', async () => {
    const text = 'add beer to my list';
    expect(await thread.understandRequiring(text, 'item')).toEqual(await local.understandRequiring(text, 'item'));
  });

  it('fails calls after close with a clear error', async () => {
    const other = await WorkerUnderstander.start(demoModelPath());
    // Asked, and closed before the batch went out: the caller hears why.
    const pending = other.understand('hi there').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await other.close();
    expect(await pending).toMatch(/model thread was closed/);
    await expect(other.understand('hi there')).rejects.toThrow(/model thread was closed/);
  });
});

it('WorkerUnderstander.start names the folder it could not load', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'duet-worker-'));
  try {
    await expect(WorkerUnderstander.start(empty)).rejects.toThrow(empty);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

describe('WorkerUnderstander with a memory-mode model', () => {
  // An untrained seeded model is enough to check that context and memory cross the thread.
  const texts = ['weather in paris', 'set an alarm for seven', 'hello there'];
  let dir: string;
  let local: DuetModel;
  let thread: WorkerUnderstander;
  beforeAll(async () => {
    await initTensorBackend();
    dir = mkdtempSync(join(tmpdir(), 'duet-worker-memory-'));
    const tokenizer = WordPieceTokenizer.train(texts, 80);
    const config: ModelConfig = {
      formatVersion: MODEL_FORMAT_VERSION,
      backbone: resolveBackboneConfig({ vocabSize: tokenizer.vocabSize, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxPositions: 16, tokenFeatureBuckets: 64, contextMode: 'memory', memoryTokens: 2 }),
      heads: resolveHeadConfig({ intentLabels: ['alarm', 'greet', 'weather'], slotTags: buildTagSet(['city']), sentenceFeatureBuckets: 128, sentenceFeatureDim: 8 }),
    };
    const rng = createRng(5);
    const network = new NluNetwork(config, new ParameterStore(rng), rng);
    network.build();
    const built = new DuetModel({ formatVersion: MODEL_FORMAT_VERSION, config, oosThreshold: 0, slotValues: {}, createdAt: '2026-01-01T00:00:00.000Z' }, tokenizer, network, computeIdf(texts, 128));
    built.roundToHalfPrecision();
    built.save(join(dir, 'model'));
    built.dispose();
    local = await loadModel(join(dir, 'model'));
    thread = await WorkerUnderstander.start(join(dir, 'model'));
  });
  afterAll(async () => {
    local?.dispose();
    await thread?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tells the runtime its mode, memory shape and fingerprint', () => {
    expect(thread.contextMode).toBe('memory');
    expect(thread.memoryShape).toEqual([2, 16]);
    expect(thread.fingerprint).toBe(local.fingerprint);
  });

  it('passes each utterance its own history and memory, and hands the new memory back', async () => {
    const first = await local.understand('hello there');
    const contexts = [undefined, { history: [{ speaker: 'assistant' as const, text: 'hello there' }] }, { memory: first.memory }];
    const fromThread = await Promise.all(texts.map((t, i) => thread.understand(t, contexts[i])));
    // Asked together, they go over as one batch: compare with the same batch in-process.
    expect(fromThread).toEqual(await local.understandBatch(texts, 64, contexts));
    expect(fromThread[2].memory).toBeInstanceOf(Float32Array);
    expect(fromThread[2].memory).toHaveLength(32);
    expect(await thread.understandRequiring('weather in paris', 'city', contexts[2])).toEqual(await local.understandRequiring('weather in paris', 'city', contexts[2]));
  });
});
