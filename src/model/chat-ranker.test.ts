import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, fillNormal } from '../util/random.js';
import { initTensorBackend } from './backend.js';
import {
  CHAT_RANKER_FILES,
  CHAT_RANKER_KIND,
  CHAT_RANKER_WEIGHT_NAMES,
  ChatRanker,
  chatRankerShapes,
  isChatRankerFolder,
  readChatRanker,
  saveChatRanker,
  type ChatRankerConfig,
  type ChatRankerWeights,
} from './chat-ranker.js';
import { requestProbability, type RequestGateWeights } from './request-gate.js';
import { SENTENCE_ENCODER_NAME, SENTENCE_VECTOR_SIZE } from './sentence-encoder.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-chat-ranker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => initTensorBackend());

/** A stand-in sentence encoder: a seeded unit vector per text, so equal texts get equal vectors. */
const fakeEncoder = {
  calls: [] as string[][],
  async embedTexts(texts: readonly string[]) {
    this.calls.push([...texts]);
    return texts.map((t) => unit(fillNormal(new Float32Array(SENTENCE_VECTOR_SIZE), 1, createRng([...t].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)))));
  },
};
function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

const config: ChatRankerConfig = { kind: CHAT_RANKER_KIND, encoder: SENTENCE_ENCODER_NAME, contextTurns: 2, hidden: 8 };
function weights(zeroSecondLayers: boolean): ChatRankerWeights {
  const rng = createRng(3);
  const shapes = chatRankerShapes(config.contextTurns, config.hidden);
  return Object.fromEntries(
    CHAT_RANKER_WEIGHT_NAMES.map((name) => {
      const size = shapes[name].reduce((a, b) => a * b, 1);
      const data = zeroSecondLayers && !name.endsWith('w1') ? new Float32Array(size) : fillNormal(new Float32Array(size), 0.05, rng);
      return [name, { shape: shapes[name], data }];
    }),
  ) as ChatRankerWeights;
}

describe('ChatRanker', () => {
  it('with untrained (zero) second layers is the sentence encoder itself: the latest turn against the reply', async () => {
    const ranker = new ChatRanker(config, weights(true), fakeEncoder);
    const [context] = await ranker.encodeContexts([['an old turn', 'how are you?']]);
    const [reply] = await ranker.encodeResponses(['how are you?']);
    expect(dot(context, context)).toBeCloseTo(1, 5);
    expect(dot(context, reply)).toBeCloseTo(1, 5);
    ranker.dispose();
  });

  it('reads only the last contextTurns turns, and a one-turn context works', async () => {
    const ranker = new ChatRanker(config, weights(false), fakeEncoder);
    const [long, short, single] = await ranker.encodeContexts([['ignored', 'a', 'b'], ['a', 'b'], ['b']]);
    expect(Array.from(long)).toEqual(Array.from(short));
    expect(dot(single, single)).toBeCloseTo(1, 5);
    expect(dot(single, short)).toBeLessThan(0.9999);
    ranker.dispose();
  });

  it('reads a turn the encoder has seen in a recent context from its cache', async () => {
    const ranker = new ChatRanker(config, weights(false), fakeEncoder);
    fakeEncoder.calls.length = 0;
    const [first] = await ranker.encodeContexts([['hi there', 'how are you?']]);
    const [again] = await ranker.encodeContexts([['hi there', 'how are you?']]);
    await ranker.encodeContexts([['how are you?', 'fine, thanks']]);
    expect(fakeEncoder.calls).toEqual([['hi there', 'how are you?'], [], ['fine, thanks']]);
    expect(Array.from(again)).toEqual(Array.from(first));
    ranker.dispose();
  });

  it('saves in half precision and loads to the same vectors (to half-precision rounding)', async () => {
    const w = weights(false);
    const folder = join(dir, 'saved');
    saveChatRanker(folder, config, w, '# card\n');
    expect(isChatRankerFolder(folder)).toBe(true);
    expect(isChatRankerFolder(dir)).toBe(false);
    const loaded = ChatRanker.load(folder, fakeEncoder);
    const original = new ChatRanker(config, w, fakeEncoder);
    const [a] = await loaded.encodeContexts([['hello there', 'nice to meet you']]);
    const [b] = await original.encodeContexts([['hello there', 'nice to meet you']]);
    expect(dot(a, b)).toBeCloseTo(1, 4);
    expect(readFileSync(join(folder, CHAT_RANKER_FILES.card), 'utf8')).toBe('# card\n');
    loaded.dispose();
    original.dispose();
  });

  it('saves a request gate beside the towers and asks it, reusing the cached sentence vector', async () => {
    // A gate that calls a message a request when its vector's first coordinate is positive.
    const hidden = 2;
    const w1 = new Float32Array(SENTENCE_VECTOR_SIZE * hidden);
    w1[0] = 50;
    const gate: RequestGateWeights = { w1, b1: new Float32Array(hidden), w2: new Float32Array([1, 0]), b2: -0.5 };
    const folder = join(dir, 'gated');
    saveChatRanker(folder, { ...config, requestGate: { hidden, threshold: 0.5 } }, weights(false), '# card\n', gate);
    const ranker = ChatRanker.load(folder, fakeEncoder);
    expect(ranker.hasRequestGate).toBe(true);
    const texts = ['first message', 'second message', 'third message', 'fourth message'];
    const [vectors] = [await fakeEncoder.embedTexts(texts)];
    fakeEncoder.calls.length = 0;
    for (const [i, text] of texts.entries()) expect(await ranker.isRequest(text)).toBe(requestProbability(gate, vectors[i]) >= 0.5);
    expect(new Set(await Promise.all(texts.map((t) => ranker.isRequest(t))))).toEqual(new Set([true, false]));
    await ranker.encodeContexts([[texts[0]]]);
    expect(fakeEncoder.calls.flat()).toEqual(texts);
    ranker.dispose();

    const plain = new ChatRanker(config, weights(false), fakeEncoder);
    expect(plain.hasRequestGate).toBe(false);
    expect(await plain.isRequest('book me a flight')).toBe(false);
    plain.dispose();

    const configFile = join(folder, CHAT_RANKER_FILES.config);
    writeFileSync(configFile, JSON.stringify({ ...config, requestGate: { hidden: 3, threshold: 0.5 } }));
    expect(() => readChatRanker(folder)).toThrow(/request\.w1 has shape \[512,2\], the request gate needs \[512,3\]/);
    saveChatRanker(folder, config, weights(false), '# card\n');
    writeFileSync(configFile, JSON.stringify({ ...config, requestGate: { hidden, threshold: 0.5 } }));
    expect(() => readChatRanker(folder)).toThrow(/has no tensor request\.w1, which the request gate in .*config\.json needs/);
  });

  it('names the file and the problem when a folder is incomplete or damaged', () => {
    const folder = join(dir, 'broken');
    saveChatRanker(folder, config, weights(false), '# card\n');
    const configFile = join(folder, CHAT_RANKER_FILES.config);
    const weightsFile = join(folder, CHAT_RANKER_FILES.weights);
    const goodWeights = readFileSync(weightsFile);

    writeFileSync(weightsFile, goodWeights.subarray(0, 100));
    expect(() => readChatRanker(folder)).toThrow(new RegExp(`${weightsFile.replace(/[.]/g, '\\.')} is damaged`));

    writeFileSync(weightsFile, goodWeights);
    writeFileSync(configFile, JSON.stringify({ ...config, hidden: 16 }));
    expect(() => readChatRanker(folder)).toThrow(/context\.w1 has shape \[1024,8\], the config needs \[1024,16\]/);

    writeFileSync(configFile, '{ not json');
    expect(() => readChatRanker(folder)).toThrow(/config\.json is not valid JSON/);

    writeFileSync(configFile, JSON.stringify({ ...config, encoder: 'bert' }));
    expect(() => readChatRanker(folder)).toThrow(/sentence encoder "bert"/);

    rmSync(weightsFile);
    expect(() => readChatRanker(folder)).toThrow(/ranker\.safetensors is missing: train a chat ranker with `duet train-ranker/);
  });
});
