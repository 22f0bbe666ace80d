import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../model/backend.js';
import { requestProbability } from '../model/request-gate.js';
import { SENTENCE_VECTOR_SIZE } from '../model/sentence-encoder.js';
import { createRng, fillNormal } from '../util/random.js';
import { chooseGateThreshold, trainRequestGate, type GateData, type GateExample } from './train-request-gate.js';

beforeAll(() => initTensorBackend());

describe('chooseGateThreshold', () => {
  it('picks the cut with the best balanced accuracy, between two scores', () => {
    const scored = [
      { p: 0.1, request: false },
      { p: 0.2, request: false },
      { p: 0.3, request: true },
      { p: 0.35, request: false },
      { p: 0.6, request: true },
      { p: 0.9, request: true },
    ];
    // Above 0.325: requests 2/3, chats 3/3 → 0.833; above 0.25: 3/3 and 2/3 → 0.833 too; the first found (lower) wins.
    expect(chooseGateThreshold(scored)).toBeCloseTo(0.25, 6);
    // Two requests outnumbered by chats: balanced accuracy still weighs both classes equally.
    const skewed = [...Array.from({ length: 8 }, (_, i) => ({ p: 0.05 * i, request: false })), { p: 0.5, request: true }, { p: 0.7, request: true }];
    expect(chooseGateThreshold(skewed)).toBeCloseTo(0.425, 6);
    expect(chooseGateThreshold([{ p: 0.9, request: true }])).toBe(0.5);
  });
});

describe('trainRequestGate', () => {
  /** Requests lean one way along a hidden direction, small talk the other, with noise. */
  function synthetic(count: number, seed: number): { examples: GateExample[]; vectors: Map<string, Float32Array> } {
    const rng = createRng(seed);
    const direction = fillNormal(new Float32Array(SENTENCE_VECTOR_SIZE), 1, createRng(99));
    const examples: GateExample[] = [];
    const vectors = new Map<string, Float32Array>();
    for (let i = 0; i < count; i++) {
      // Three chats to one request: the class weights must keep requests from being ignored.
      const request = i % 4 === 0;
      const v = fillNormal(new Float32Array(SENTENCE_VECTOR_SIZE), 0.05, rng).map((x, j) => x + (request ? 0.02 : -0.02) * direction[j]);
      const text = `message ${seed}-${i}`;
      vectors.set(text, v);
      examples.push({ text, request, source: request ? 'requests' : 'chat' });
    }
    return { examples, vectors };
  }

  it('learns to tell the classes apart, is deterministic for a seed, and reports per source', () => {
    const train = synthetic(400, 1);
    const validation = synthetic(200, 2);
    const data: GateData = { train: train.examples, validation: validation.examples };
    const vectorOf = (t: string) => (train.vectors.get(t) ?? validation.vectors.get(t)) as Float32Array;
    const options = { hidden: 16, epochs: 8, batchSize: 32, learningRate: 3e-3, dropout: 0.1, seed: 4 };
    const a = trainRequestGate(data, vectorOf, options);
    expect(a.validation.balancedAccuracy).toBeGreaterThan(0.9);
    expect(a.validation.requestRecall).toBeGreaterThan(0.85);
    expect(Object.keys(a.validation.bySource).sort()).toEqual(['chat', 'requests']);
    expect(a.epoch).toBeGreaterThanOrEqual(1);
    expect(a.epoch).toBeLessThanOrEqual(8);
    // The reported accuracy is what the returned weights and threshold do.
    const right = validation.examples.filter((e) => requestProbability(a.weights, vectorOf(e.text)) >= a.threshold === e.request).length;
    const requests = validation.examples.filter((e) => e.request).length;
    const rightRequests = validation.examples.filter((e) => e.request && requestProbability(a.weights, vectorOf(e.text)) >= a.threshold).length;
    expect(rightRequests / requests).toBeCloseTo(a.validation.requestRecall, 10);
    expect(right).toBeGreaterThan(0.9 * validation.examples.length);
    const b = trainRequestGate(data, vectorOf, options);
    expect(Array.from(b.weights.w2)).toEqual(Array.from(a.weights.w2));
    expect(b.threshold).toBe(a.threshold);
  });

  it('refuses training data of one class', () => {
    const { examples, vectors } = synthetic(8, 3);
    const chats = examples.filter((e) => !e.request);
    expect(() => trainRequestGate({ train: chats, validation: chats }, (t) => vectors.get(t) as Float32Array)).toThrow(/both requests and small talk/);
  });
});
