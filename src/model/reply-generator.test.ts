import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEP_ID } from '../tokenizer/wordpiece.js';
import { pretrainToy, TOY_CITIES, toyDialogueCorpus } from '../train/__fixtures__/toy-pretrained.js';
import { streamedParts } from '../dialogue/chatter.js';
import { ReplyGenerator } from './reply-generator.js';

let dir: string;
let generator: ReplyGenerator;
beforeAll(async () => {
  dir = await pretrainToy(toyDialogueCorpus(), { steps: 200, layers: 2 });
  generator = await ReplyGenerator.load(dir);
}, 120_000);
afterAll(() => {
  generator?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('ReplyGenerator', () => {
  it('frames the dialogue as the next-token stream did: [SEP] t1 [SEP] t2 [SEP], no [CLS]', async () => {
    const pieces = async (t: string) => (await generator.model.tokenizer.encode(t)).ids;
    expect(await generator.promptIds(['hello', 'book a flight to rome'])).toEqual([SEP_ID, ...(await pieces('hello')), SEP_ID, ...(await pieces('book a flight to rome')), SEP_ID]);
    expect(await generator.promptIds([])).toEqual([SEP_ID]);
  });

  it('scores a reply token by token: finite negative sums over its pieces and the closing [SEP]', async () => {
    const response = 'it is sunny in rome .';
    const pieces = (await generator.model.tokenizer.encode(response)).ids.length;
    const trained = await generator.logProbOf(['what is the weather in rome ?'], response);
    expect(trained.tokens).toBe(pieces + 1);
    expect(Number.isFinite(trained.logProbSum)).toBe(true);
    expect(trained.logProbSum).toBeLessThan(0);
    expect(await generator.logProbOf([], '')).toEqual({ logProbSum: expect.any(Number), tokens: 1 });
    // Pretraining taught which answer follows which question.
    const other = await generator.logProbOf(['what is the weather in rome ?'], 'your flight to rome is booked .');
    expect(trained.logProbSum).toBeGreaterThan(other.logProbSum);
  });

  it('reads a dialogue longer than the model positions in windows, scoring every reply token', async () => {
    const long = Array.from({ length: 6 }, (_, i) => `what is the weather in ${TOY_CITIES[i]} ?`);
    expect((await generator.promptIds(long)).length).toBeGreaterThan(generator.model.config.maxPositions);
    const score = await generator.logProbOf(long, 'it is sunny in paris . it is sunny in rome . it is sunny in oslo .');
    expect(score.tokens).toBe((await generator.model.tokenizer.encode('it is sunny in paris . it is sunny in rome . it is sunny in oslo .')).ids.length + 1);
    expect(Number.isFinite(score.logProbSum)).toBe(true);
  });

  it('scores with the logits generation samples from (KV cache or one causal pass alike)', async () => {
    const model = generator.model;
    const heads = model.heads;
    if (!heads) throw new Error('no pretrained heads');
    const prompt = await generator.promptIds(['book a flight to oslo']);
    const seen: Float32Array[] = [];
    const nextTokenLogits = heads.nextTokenLogits.bind(heads);
    heads.nextTokenLogits = (hidden) => {
      const logits = nextTokenLogits(hidden);
      seen.push(Float32Array.from(logits.dataSync()));
      return logits;
    };
    const greedy = model.generateIds(prompt, { maxNewTokens: 4, stopAtEndOfText: false });
    heads.nextTokenLogits = nextTokenLogits;
    const logProbs = model.tokenLogProbs([...prompt, ...greedy], prompt.length);
    expect(logProbs).toHaveLength(4);
    greedy.forEach((id, i) => {
      const logits = seen[i];
      const max = Math.max(...logits);
      const logSumExp = max + Math.log(logits.reduce((a, v) => a + Math.exp(v - max), 0));
      expect(logProbs[i], `token ${i}`).toBeCloseTo(logits[id] - logSumExp, 4);
    });
  });

  it('reads a sequence longer than the positions in windows: the first window as one pass, then every token', async () => {
    const model = generator.model;
    const L = model.config.maxPositions;
    const ids = await generator.promptIds(Array.from({ length: 8 }, (_, i) => `it is sunny in ${TOY_CITIES[i % TOY_CITIES.length]} .`));
    expect(ids.length).toBeGreaterThan(2 * L);
    const windowed = model.tokenLogProbs(ids, 1);
    expect(windowed).toHaveLength(ids.length - 1);
    expect(windowed.every((lp) => Number.isFinite(lp) && lp <= 0)).toBe(true);
    const first = model.tokenLogProbs(ids.slice(0, L), 1);
    first.forEach((lp, i) => expect(windowed[i]).toBeCloseTo(lp, 5));
    expect(() => model.tokenLogProbs(ids, 0)).toThrow(/at least one token of context/);
  });

  it('replies with text, ends the turn at [SEP] and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const reply = await generator.reply(['what is the weather in rome ?'], { maxTokens: 15 });
    expect(reply.ended).toBe(true);
    expect(reply.tokens).toBeLessThan(15);
    expect(reply.ids).not.toContain(SEP_ID);
    expect(reply.text).toMatch(/sunny/);
    expect(reply.text).not.toMatch(/\[SEP\]|##/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed, and the seed changes sampled replies', async () => {
    const options = { topP: 0.95, temperature: 5, repetitionPenalty: 1.2, maxTokens: 8 };
    const a = await generator.reply(['hello'], { ...options, seed: 1 });
    expect(await generator.reply(['hello'], { ...options, seed: 1 })).toEqual(a);
    const others = await Promise.all([2, 3, 4, 5].map((seed) => generator.reply(['hello'], { ...options, seed })));
    expect(others.some((o) => o.text !== a.text)).toBe(true);
    // maxTokens caps a reply that does not end.
    for (const o of [a, ...others]) expect(o.tokens).toBeLessThanOrEqual(8);
  });
});

describe('ReplyGenerator streaming', () => {
  it('reports the text after every token, and writes the same reply as without', async () => {
    const context = ['what is the weather in rome ?'];
    const sampling = { seed: 3, topP: 0.9, temperature: 0.8, maxTokens: 12 };
    const seen: string[] = [];
    const streamed = await generator.reply(context, { ...sampling, onText: (text) => seen.push(text) });
    expect(streamed).toEqual(await generator.reply(context, sampling));
    expect(streamed.ids.length).toBeGreaterThan(2);
    expect(seen).toHaveLength(streamed.ids.length);
    for (let i = 0; i < seen.length; i++) expect(seen[i]).toBe(await generator.model.tokenizer.decode(streamed.ids.slice(0, i + 1)));
    expect(seen.at(-1)).toBe(streamed.text);
    // What a chatter passes on from it begins the reply.
    const parts: string[] = [];
    seen.forEach(streamedParts((part) => parts.push(part), new Set()));
    expect(parts.length).toBeGreaterThan(0);
    expect(streamed.text.trim().startsWith(parts.join(''))).toBe(true);
  });

  it('lets other work run between tokens', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const ticksAtText: number[] = [];
    try {
      await generator.reply(['what is the weather in rome ?'], { maxTokens: 8, onText: () => ticksAtText.push(ticks) });
    } finally {
      clearInterval(timer);
    }
    // The timer ran while the reply was written, not only after it: a server sends each part meanwhile.
    expect(ticksAtText.length).toBeGreaterThan(2);
    expect(ticksAtText.at(-1)).toBeGreaterThan(ticksAtText[0]);
  });
});

describe('PretrainedModel.generateIds options', () => {
  it('top-p with a tiny p is greedy, whatever the seed (top-k alone is not)', async () => {
    const prompt = await generator.promptIds(['hello']);
    const greedy = generator.model.generateIds(prompt, { maxNewTokens: 6, stopAtEndOfText: false });
    for (const seed of [1, 2, 3]) {
      expect(generator.model.generateIds(prompt, { maxNewTokens: 6, topK: 50, topP: 1e-6, temperature: 3, seed, stopAtEndOfText: false })).toEqual(greedy);
    }
    const sampled = [1, 2, 3].map((seed) => generator.model.generateIds(prompt, { maxNewTokens: 6, topK: 50, temperature: 3, seed, stopAtEndOfText: false }));
    expect(sampled.some((s) => s.join() !== greedy.join())).toBe(true);
  });

  it('stops at a stop id, leaving it out', async () => {
    const prompt = await generator.promptIds(['what is the weather in rome ?']);
    const greedy = generator.model.generateIds(prompt, { maxNewTokens: 5, stopAtEndOfText: false });
    expect(greedy).toHaveLength(5);
    const stopped = generator.model.generateIds(prompt, { maxNewTokens: 5, stopIds: [greedy[2]], stopAtEndOfText: false });
    expect(stopped).toEqual(greedy.slice(0, greedy.indexOf(greedy[2])));
  });

  it('a repetition penalty changes a continuation that repeats the prompt', async () => {
    // Greedy after "it is sunny in rome . [SEP] it is sunny in" repeats a city said before.
    const prompt = await generator.promptIds(['it is sunny in rome .', 'it is sunny in rome .']);
    const plain = generator.model.generateIds(prompt.slice(0, -1), { maxNewTokens: 4, stopAtEndOfText: false });
    const penalized = generator.model.generateIds(prompt.slice(0, -1), { maxNewTokens: 4, repetitionPenalty: 50, stopAtEndOfText: false });
    expect(plain.some((id) => prompt.includes(id))).toBe(true);
    expect(penalized).not.toEqual(plain);
    expect(() => generator.model.generateIds(prompt, { maxNewTokens: 1, topP: 0 })).toThrow(/top-p/);
  });
});
