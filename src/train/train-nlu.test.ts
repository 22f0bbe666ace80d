import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NluExample } from '../data/types.js';
import { loadModel, type DuetModel, type Understanding } from '../model/duet-model.js';
import { ex } from './__fixtures__/markup.js';
import { evaluateModel } from '../nlu/evaluate-model.js';
import { SentenceEncoder } from '../model/sentence-encoder.js';
import { LEAST_SHARE_ALONE, MIX_WEIGHTS, NETWORK_ALONE_MARGIN, SentenceHead } from '../model/sentence-head.js';
import { fitEpochsToBudget, trainNluModel, type TrainOptions, type TrainProgress, type TrainReport } from './train-nlu.js';


const ALARM_TEMPLATES = [
  'set an alarm for {}',
  'wake me up at {}',
  'alarm at {} please',
  'please set an alarm for {}',
  'i need an alarm at {}',
  'can you wake me at {}',
];
const TIMES = ['7 am', '6:30', 'noon', 'five pm', 'eight thirty', '9 pm', 'midnight', '10 am'];
const WEATHER_TEMPLATES = [
  'what is the weather in {}',
  'weather in {}',
  'is it raining in {}',
  'will it be sunny in {} tomorrow',
  'how hot is it in {}',
  'show me the forecast for {}',
];
const CITIES = ['Paris', 'London', 'Zürich', 'New York', 'Tokyo', 'Berlin', 'Madrid', 'Oslo'];
const GREETINGS = [
  'hello',
  'hi there',
  'good morning',
  'hey',
  'hello friend',
  'hi',
  'good evening',
  'hey there',
  'greetings',
  'hiya',
  'howdy',
  'hello hello',
  'hi assistant',
  'good afternoon',
  'hey hello',
  'hello there',
  'hi hi',
  'good day',
];
const OUT_OF_SCOPE = [
  'tell me a joke',
  'what is the capital of peru',
  'order a pizza',
  'play some jazz music',
  'who won the game last night',
  'translate this to french',
  'how many legs does a spider have',
  'what is two plus two',
  'sing me a song',
  'buy new shoes',
  'recommend a good book',
  'turn off the lights',
  'what is my bank balance',
  'call my mom',
  'how do i bake bread',
  'send an email to bob',
  'who wrote hamlet',
  'find a cheap hotel',
];

/** Template × value combinations split in two halves, so held-out sentences are new but their words are not. */
function combos(intent: string, slot: string, templates: string[], values: string[], half: 0 | 1): NluExample[] {
  const out: NluExample[] = [];
  templates.forEach((t, i) =>
    values.forEach((v, j) => {
      if ((i + j) % 2 === half) out.push(ex(intent, t.replace('{}', `[${v}](${slot})`)));
    }),
  );
  return out;
}

const train: NluExample[] = [
  ...combos('set_alarm', 'time', ALARM_TEMPLATES, TIMES, 0),
  ...combos('weather', 'city', WEATHER_TEMPLATES, CITIES, 0),
  ...GREETINGS.map((g) => ex('greet', g)),
  ...OUT_OF_SCOPE.map((o) => ex('oos', o)),
];

/** Texts never seen in training (new template × value pairs, and new phrasings). */
const PARAPHRASES: [string, string][] = [
  ['what is the weather in Berlin', 'weather'],
  ['weather in Paris', 'weather'],
  ['is it raining in London', 'weather'],
  ['wake me up at noon', 'set_alarm'],
  ['set an alarm for 6:30', 'set_alarm'],
  ['please wake me up at 7 am', 'set_alarm'],
  ['hello there friend', 'greet'],
  ['good morning assistant', 'greet'],
];

const heldOut = [...combos('set_alarm', 'time', ALARM_TEMPLATES, TIMES, 1), ...combos('weather', 'city', WEATHER_TEMPLATES, CITIES, 1)];
const validation: NluExample[] = [
  ...heldOut.filter((e, i) => i % 4 === 0 && !PARAPHRASES.some(([text]) => text === e.text)),
  ex('greet', 'hey hi'),
  ex('greet', 'good morning friend'),
  ex('oos', 'what time is it in peru'),
  ex('oos', 'play a song'),
];

const OPTIONS: Partial<TrainOptions> = {
  seed: 7,
  maxEpochs: 30,
  patience: 5,
  learningRate: 5e-3,
  batchSize: 16,
  vocabSize: 300,
  backbone: { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64, maxPositions: 32, tokenFeatureBuckets: 1024 },
  heads: { sentenceFeatureBuckets: 4096, sentenceFeatureDim: 32 },
  outOfScopeIntent: 'oos',
  slotValues: { city: { 'zürich': 'Zurich' } },
};

function stable(u: Understanding) {
  return { intent: u.intent, slots: u.slots, ranking: u.ranking.map((r) => r.intent) };
}

function expectSamePredictions(a: Understanding[], b: Understanding[], digits = 6): void {
  expect(b.map(stable)).toEqual(a.map(stable));
  a.forEach((u, i) => {
    expect(b[i].confidence).toBeCloseTo(u.confidence, digits);
    u.ranking.forEach((r, j) => expect(b[i].ranking[j].confidence).toBeCloseTo(r.confidence, digits));
  });
}

describe('trainNluModel + DuetModel (tiny seeded model)', () => {
  let model: DuetModel;
  let report: TrainReport;
  const progress: TrainProgress[] = [];
  const probeTexts = [...PARAPHRASES.map(([t]) => t), 'weather in Zürich', '😀 weather in New York', 'tell me a joke please'];
  let predictions: Understanding[];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duet-train-test-'));
    ({ model, report } = await trainNluModel(train, validation, { ...OPTIONS, onProgress: (e) => progress.push(e) }));
    predictions = await Promise.all(probeTexts.map((t) => model.understand(t)));
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports what it trained', () => {
    expect(report.trainExamples).toBe(train.length);
    expect(report.validationExamples).toBe(validation.length);
    expect(report.epochs).toBeGreaterThanOrEqual(report.bestEpoch);
    expect(report.epochs).toBeLessThanOrEqual(30);
    expect(report.history).toHaveLength(report.epochs);
    expect(report.bestEpoch).toBeGreaterThan(0);
    // Scored again as saved (half precision, the chosen transition weight): close to the best epoch's.
    expect(report.validation.intentAccuracy).toBeCloseTo(report.history[report.bestEpoch - 1].validation.intentAccuracy, 1);
    expect(report.slotTransitionWeight).toBe(model.config.heads.slotTransitions?.weight);
    expect(model.config.heads.slotTransitions?.counts?.length).toBeGreaterThan(0);
    expect(report.validation.intentAccuracy).toBeGreaterThanOrEqual(0.9);
    // The loss goes down while the model learns.
    expect(report.history[report.history.length - 1].loss).toBeLessThan(report.history[0].loss / 2);
    expect(report.oosThreshold).toBeGreaterThanOrEqual(0);
    expect(report.oosThreshold).toBeLessThan(1);
    expect(progress[0]).toMatchObject({ kind: 'start', trainExamples: train.length, validationExamples: validation.length });
    expect(progress.filter((e) => e.kind === 'epoch')).toHaveLength(report.epochs);
    expect(model.config.heads.intentLabels).toEqual(['greet', 'oos', 'set_alarm', 'weather']);
    expect(model.config.heads.slotTags).toEqual(['O', 'B-city', 'I-city', 'B-time', 'I-time']);
    expect(model.tokenizer.vocabSize).toBeLessThanOrEqual(300);
  });

  it('classifies paraphrases it was not trained on', () => {
    const seen = new Set([...train, ...validation].map((e) => e.text.toLowerCase()));
    expect(PARAPHRASES.filter(([text]) => seen.has(text.toLowerCase()))).toEqual([]);
    for (const [i, [text, intent]] of PARAPHRASES.entries()) {
      expect({ text, intent: predictions[i].intent }).toEqual({ text, intent });
    }
  });

  it('returns a ranking of every intent, most confident first, headed by the answer', () => {
    for (const u of predictions) {
      expect(u.ranking.map((r) => r.intent).sort()).toEqual(['greet', 'oos', 'set_alarm', 'weather']);
      for (let j = 1; j < u.ranking.length; j++) expect(u.ranking[j].confidence).toBeLessThanOrEqual(u.ranking[j - 1].confidence);
      expect(u.ranking.reduce((sum, r) => sum + r.confidence, 0)).toBeCloseTo(1, 4);
      expect(u.confidence).toBeGreaterThan(0);
      expect(u.confidence).toBeLessThanOrEqual(1);
      if (u.intent !== 'oos') expect(u.ranking[0]).toEqual({ intent: u.intent, confidence: u.confidence });
    }
  });

  it('extracts slot spans with character offsets into the original text', async () => {
    const text = 'what is the weather in Berlin';
    expect((await model.understand(text)).slots).toEqual([{ slot: 'city', value: 'Berlin', text: 'Berlin', start: 23, end: 29 }]);
    expect((await model.understand('wake me up at noon')).slots).toEqual([{ slot: 'time', value: 'noon', text: 'noon', start: 14, end: 18 }]);
  });

  it('extracts multi-word spans, and keeps offsets right after an emoji', async () => {
    const text = '😀 weather in New York';
    const u = await model.understand(text);
    expect(u.intent).toBe('weather');
    expect(u.slots).toEqual([{ slot: 'city', value: 'New York', text: 'New York', start: 14, end: 22 }]);
  });

  it('keeps the accented surface text and maps a synonym to its canonical value', async () => {
    const u = await model.understand('weather in Zürich');
    expect(u.slots).toEqual([{ slot: 'city', value: 'Zurich', text: 'Zürich', start: 11, end: 17 }]);
  });

  it('gives every slot text equal to its slice of the input', () => {
    probeTexts.forEach((text, i) => {
      for (const slot of predictions[i].slots) expect(text.slice(slot.start, slot.end)).toBe(slot.text);
    });
  });

  it('answers out-of-scope requests with the OOS intent and no slots', () => {
    const u = predictions[probeTexts.indexOf('tell me a joke please')];
    expect(u.intent).toBe('oos');
    expect(u.slots).toEqual([]);
  });

  it('understands a batch exactly as one utterance at a time', async () => {
    const batch = await model.understandBatch(probeTexts);
    expectSamePredictions(predictions, batch, 5);
    // Batches smaller than the input, with a ragged last batch.
    expectSamePredictions(predictions, await model.understandBatch(probeTexts, 3), 5);
  });

  it('does not leak tensors across repeated calls', async () => {
    await model.understand('set an alarm for 7 am');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await model.understand(i % 2 ? 'weather in Paris' : 'set an alarm for 7 am');
    await model.understandBatch(probeTexts);
    expect(tf.memory().numTensors).toBe(before);
  });

  // Checkpoint errors and atomic saves are covered with an untrained model in src/model/duet-model.test.ts.
  it('writes a checkpoint folder that loads to identical predictions', async () => {
    const out = join(dir, 'model');
    model.save(out, { 'notes.txt': 'hello' });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'notes.txt', 'tokenizer.json']);
    const loaded = await loadModel(out);
    try {
      expect(loaded.config).toEqual(model.config);
      expect(loaded.metadata.oosThreshold).toBe(model.metadata.oosThreshold);
      expectSamePredictions(predictions, await Promise.all(probeTexts.map((t) => loaded.understand(t))), 6);
    } finally {
      loaded.dispose();
    }
  });

  it('trains to identical predictions when run again with the same seed', async () => {
    const again = await trainNluModel(train, validation, OPTIONS);
    try {
      expect(again.report.history).toEqual(report.history);
      expectSamePredictions(predictions, await Promise.all(probeTexts.map((t) => again.model.understand(t))), 6);
    } finally {
      again.model.dispose();
    }
  });
});

describe('trainNluModel with the slot CRF (tiny seeded model)', () => {
  let model: DuetModel;
  let report: TrainReport;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duet-crf-test-'));
    ({ model, report } = await trainNluModel(train, validation, { ...OPTIONS, slotCrf: true }));
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the learnt transition scores for the decoder instead of counted bigrams', () => {
    const prior = model.config.heads.slotTransitions!;
    const k = model.config.heads.slotTags.length;
    expect(prior.counts).toBeUndefined();
    expect(prior.scores).toHaveLength((k + 1) * k);
    expect(prior.scores!.some((x) => x !== 0)).toBe(true);
    expect(report.slotTransitionWeight).toBe(prior.weight);
    expect(report.options.slotCrf).toBe(true);
    expect(report.history[report.history.length - 1].loss).toBeLessThan(report.history[0].loss / 2);
    expect(report.validation.slotF1).toBeGreaterThanOrEqual(0.9);
  });

  it('extracts single- and multi-word spans with their character offsets', async () => {
    expect((await model.understand('what is the weather in Berlin')).slots).toEqual([{ slot: 'city', value: 'Berlin', text: 'Berlin', start: 23, end: 29 }]);
    expect((await model.understand('😀 weather in New York')).slots).toEqual([{ slot: 'city', value: 'New York', text: 'New York', start: 14, end: 22 }]);
  });

  it('saves the scores with the model, loads to identical predictions, and refuses malformed scores', async () => {
    const texts = PARAPHRASES.map(([t]) => t);
    const out = join(dir, 'model');
    model.save(out);
    const loaded = await loadModel(out);
    try {
      expect(loaded.config.heads.slotTransitions).toEqual(model.config.heads.slotTransitions);
      expectSamePredictions(await model.understandBatch(texts), await loaded.understandBatch(texts), 6);
    } finally {
      loaded.dispose();
    }
    const configFile = join(out, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.config.heads.slotTransitions.scores = config.config.heads.slotTransitions.scores.slice(1);
    writeFileSync(configFile, JSON.stringify(config));
    await expect(loadModel(out)).rejects.toThrow(/config\.json: slotTransitions\.scores must hold 30 numbers/);
  });
});

describe('trainNluModel with the pretrained sentence encoder (tiny seeded model)', () => {
  let model: DuetModel;
  let report: TrainReport;
  let dir: string;
  const progress: TrainProgress[] = [];
  const probeTexts = [...PARAPHRASES.map(([t]) => t), 'tell me a joke please', 'could you get me up at dawn'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duet-sentence-head-test-'));
    ({ model, report } = await trainNluModel(train, validation, { ...OPTIONS, maxEpochs: 4, sentenceEncoder: true, onProgress: (e) => progress.push(e) }));
  });

  it('trains the head on a thread of its own, beside the epochs', () => {
    const start = progress.findIndex((e) => e.kind === 'start');
    expect(progress.filter((e) => e.kind === 'sentence-head')).toEqual([{ kind: 'sentence-head', stage: 'train', done: 0, total: 1, onThread: true }]);
    expect(progress.findIndex((e) => e.kind === 'sentence-head')).toBeLessThan(start);
    expect(report.sentenceHead!.onThread).toBe(true);
    expect(report.sentenceHead!.seconds).toBeGreaterThan(0);
  });

  it('trains the same head on this thread, before the epochs, so its time counts against their budget', async () => {
    const here: TrainProgress[] = [];
    const again = await trainNluModel(train, validation, { ...OPTIONS, maxEpochs: 4, sentenceEncoder: true, sentenceHeadThread: false, onProgress: (e) => here.push(e) });
    try {
      const start = here.findIndex((e) => e.kind === 'start');
      expect(here[0]).toMatchObject({ kind: 'sentence-head', stage: 'encode' });
      expect(here.slice(0, start).every((e) => e.kind === 'sentence-head')).toBe(true);
      expect(here.slice(start).some((e) => e.kind === 'sentence-head')).toBe(false);
      expect(again.report.sentenceHead!.onThread).toBe(false);
      expect(again.report.sentenceHead!.seconds).toBeLessThan(again.report.trainSeconds);
      // Same seed, same head, whichever thread trained it.
      const { seconds: _a, onThread: _b, ...onThread } = report.sentenceHead!;
      const { seconds: _c, onThread: _d, ...onThis } = again.report.sentenceHead!;
      expect(onThis).toEqual(onThread);
      const predictions = await Promise.all(probeTexts.map((t) => model.understand(t)));
      expectSamePredictions(predictions, await Promise.all(probeTexts.map((t) => again.model.understand(t))), 6);
    } finally {
      again.model.dispose();
    }
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('chooses the mix weight on validation and scores validation as the saved model computes it', () => {
    const head = report.sentenceHead!;
    expect(MIX_WEIGHTS).toContain(head.weight);
    // Three members joined into one head of 3 × 512 units.
    expect(model.metadata.sentenceHead).toEqual({ encoder: 'use-lite-en', hidden: 1536, weight: head.weight, mix: 'geometric', networkAloneAbove: head.networkAloneAbove });
    // The reported validation accuracy is the mixed model's, and no other weight did better.
    expect(report.validation.intentAccuracy).toBeCloseTo(head.mixedAccuracy, 10);
    expect(head.headAccuracy).toBeGreaterThan(0.5);
    expect(head.epochs).toHaveLength(3);
    for (const epochs of head.epochs) expect(epochs).toBeGreaterThan(0);
  });

  it('mixes the head into the probabilities it returns', async () => {
    // Into every message, as models saved before the network decided sure messages alone.
    const { weight, networkAloneAbove } = model.metadata.sentenceHead!;
    delete model.metadata.sentenceHead!.networkAloneAbove;
    const [withHead] = await model.understandBatch(['could you get me up at dawn']);
    model.metadata.sentenceHead!.weight = 0;
    const [alone] = await model.understandBatch(['could you get me up at dawn']);
    model.metadata.sentenceHead!.weight = weight;
    model.metadata.sentenceHead!.networkAloneAbove = networkAloneAbove;
    // The seeded tiny model settles on 0.4: the head helps its four-epoch network on validation.
    expect(weight).toBeGreaterThan(0);
    expect(withHead.ranking.map((r) => r.confidence)).not.toEqual(alone.ranking.map((r) => r.confidence));
    expect(withHead.ranking.reduce((s, r) => s + r.confidence, 0)).toBeCloseTo(alone.ranking.reduce((s, r) => s + r.confidence, 0), 5);
  });

  it('lets the network decide sure messages alone, deciding validation as mixing every message does', async () => {
    const head = model.metadata.sentenceHead!;
    const { weight, networkAloneAbove: recorded } = head;
    expect(recorded).toBe(report.sentenceHead!.networkAloneAbove);
    const texts = [...validation.map((e) => e.text), ...probeTexts];
    const read = vi.spyOn(SentenceEncoder.prototype, 'embedTexts');
    const readTexts = () => read.mock.calls.flatMap(([batch]) => batch);
    try {
      // Every message mixed (as models without a level), and the network alone, to compare with.
      delete head.networkAloneAbove;
      const everyMessage = await model.understandBatch(texts);
      expect(readTexts()).toEqual(texts);
      head.weight = 0;
      const network = await model.understandBatch(texts);
      head.weight = weight;
      // The rule's level for this model's validation: recorded only when enough of it would skip the head.
      const changed = validation.flatMap((_, i) => (network[i].intent !== everyMessage[i].intent ? [network[i].ranking[0].confidence] : []));
      const level = 1 - (1 - Math.max(0, ...changed)) * NETWORK_ALONE_MARGIN;
      const skipping = validation.filter((_, i) => network[i].ranking[0].confidence >= level).length / validation.length;
      if (skipping >= LEAST_SHARE_ALONE) expect(recorded).toBeCloseTo(level, 6);
      else expect(recorded).toBeUndefined();

      head.networkAloneAbove = level;
      read.mockClear();
      const use = { ...model.sentenceHeadUse };
      const cascaded = await model.understandBatch(texts);
      // The encoder read exactly the messages whose network confidence was below the level, and
      // those got the mixed answer; the others kept the network's own.
      const unsure = texts.filter((_, i) => network[i].ranking[0].confidence < level);
      expect(readTexts()).toEqual(unsure);
      expect(model.sentenceHeadUse.messages - use.messages).toBe(texts.length);
      expect(model.sentenceHeadUse.mixed - use.mixed).toBe(unsure.length);
      // Both kinds occur in this seeded model, so both paths are checked.
      expect(unsure.length).toBeGreaterThan(0);
      expect(unsure.length).toBeLessThan(texts.length);
      texts.forEach((text, i) => {
        const expected = unsure.includes(text) ? everyMessage[i] : network[i];
        expect(cascaded[i].ranking[0].confidence).toBeCloseTo(expected.ranking[0].confidence, 6);
      });
      const validationDecisions = (answers: Understanding[]) => answers.slice(0, validation.length).map((a) => a.intent);
      expect(validationDecisions(cascaded)).toEqual(validationDecisions(everyMessage));
      // `duet eval` and `duet bench nlu` report the share of messages that needed the head.
      const unsureValidation = validation.filter((_, i) => network[i].ranking[0].confidence < level).length;
      expect((await evaluateModel(model, validation)).sentenceHeadShare).toBeCloseTo(unsureValidation / validation.length, 10);
      // Saved with its level and loaded onto onnxruntime: the same answers.
      const out = join(dir, 'network-alone');
      model.save(out);
      const loaded = await loadModel(out, 'onnx');
      try {
        expect(loaded.metadata.sentenceHead!.networkAloneAbove).toBeCloseTo(level, 10);
        expectSamePredictions(cascaded, await loaded.understandBatch(texts), 5);
      } finally {
        loaded.dispose();
      }
    } finally {
      if (recorded === undefined) delete head.networkAloneAbove;
      else head.networkAloneAbove = recorded;
      head.weight = weight;
      read.mockRestore();
    }
  });

  it('saves the head with the model and loads to identical predictions, without leaking tensors', async () => {
    const out = join(dir, 'model');
    model.save(out);
    const loaded = await loadModel(out, 'auto');
    try {
      expect(loaded.metadata.sentenceHead).toEqual(model.metadata.sentenceHead);
      // Trained on tfjs, loaded onto onnxruntime: the same answers.
      expect(await loaded.engineInUse()).toBe('onnx');
      const predictions = await Promise.all(probeTexts.map((t) => model.understand(t)));
      expectSamePredictions(predictions, await Promise.all(probeTexts.map((t) => loaded.understand(t))), 6);
      expectSamePredictions(predictions, await loaded.understandBatch(probeTexts, 4), 5);
      const before = tf.memory().numTensors;
      for (const t of probeTexts) await loaded.understand(t);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      loaded.dispose();
    }
  });

  it('mixes a model saved before the geometric mix (no `mix` in its config) linearly, and refuses an unknown mix', async () => {
    const out = join(dir, 'linear');
    model.save(out);
    const configFile = join(out, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    // Such a model also predates the network deciding sure messages alone.
    delete config.sentenceHead.mix;
    delete config.sentenceHead.networkAloneAbove;
    writeFileSync(configFile, JSON.stringify(config));
    const old = await loadModel(out, 'onnx');
    try {
      expect(old.metadata.sentenceHead!.mix).toBeUndefined();
      const text = 'could you get me up at dawn';
      const { weight } = old.metadata.sentenceHead!;
      const probsAt = async (w: number) => {
        old.metadata.sentenceHead!.weight = w;
        const [raw] = await old.predict([await old.encode(text)]);
        return raw.probs;
      };
      const [network, head, mixed] = [await probsAt(0), await probsAt(1), await probsAt(weight)];
      mixed.forEach((v, i) => expect(v).toBeCloseTo((1 - weight) * network[i] + weight * head[i], 6));
    } finally {
      old.dispose();
    }
    config.sentenceHead.mix = 'cubic';
    writeFileSync(configFile, JSON.stringify(config));
    await expect(loadModel(out, 'onnx')).rejects.toThrow(/config\.json: sentenceHead\.mix is "cubic"/);
    config.sentenceHead.mix = 'geometric';
    config.sentenceHead.networkAloneAbove = 'sure';
    writeFileSync(configFile, JSON.stringify(config));
    await expect(loadModel(out, 'onnx')).rejects.toThrow(/config\.json: sentenceHead\.networkAloneAbove is "sure"; it must be a number from 0 to 1/);
  });

  it('reports a sentence encoder that fails while the network runs as the answer\'s error', async () => {
    const out = join(dir, 'broken-encoder');
    model.save(out);
    const loaded = await loadModel(out, 'onnx');
    try {
      const intents = loaded.config.heads.intentLabels.length;
      const head = new SentenceHead(
        { 'sentence_head.w1': new Float32Array(512 * 4), 'sentence_head.b1': new Float32Array(4), 'sentence_head.w2': new Float32Array(4 * intents), 'sentence_head.b2': new Float32Array(intents) },
        4,
      );
      // The encoder's thread cannot start (no weights there); the network's answer must not be returned alone.
      loaded.attachSentenceHead(SentenceEncoder.load(join(dir, 'no-encoder-here'), { engine: 'onnx' }), head, 0.5);
      await expect(loaded.understand('could you get me up at dawn')).rejects.toThrow(/cannot read the sentence encoder/);
      await expect(loaded.understandBatch(probeTexts)).rejects.toThrow(/cannot read the sentence encoder/);
    } finally {
      loaded.dispose();
    }
  });
});

describe('fitEpochsToBudget', () => {
  const at = { maxEpochs: 40, budget: 780 };
  it('plans what the time left buys at the pace of the epoch just ended', () => {
    // 60 s spent (tokenizer and epoch 1 of 28 s): 720 s left buys 25 more epochs.
    expect(fitEpochsToBudget({ ...at, epoch: 1, elapsed: 60, epochSeconds: 28 })).toBe(26);
    // Epoch 2 took 25 s: 695 s left buys 27 more, 29 in all.
    expect(fitEpochsToBudget({ ...at, epoch: 2, elapsed: 85, epochSeconds: 25 })).toBe(29);
    // A slower epoch cuts the plan.
    expect(fitEpochsToBudget({ ...at, epoch: 2, elapsed: 100, epochSeconds: 40 })).toBe(19);
    expect(fitEpochsToBudget({ ...at, epoch: 10, elapsed: 700, epochSeconds: 40 })).toBe(12);
  });
  it('never plans more than asked for, nor fewer than the epochs run', () => {
    expect(fitEpochsToBudget({ ...at, maxEpochs: 27, epoch: 2, elapsed: 85, epochSeconds: 25 })).toBe(27);
    expect(fitEpochsToBudget({ ...at, epoch: 1, elapsed: 900, epochSeconds: 28 })).toBe(1);
    expect(fitEpochsToBudget({ ...at, epoch: 6, elapsed: 790, epochSeconds: 28 })).toBe(6);
  });
});
