/**
 * Context modes of the assistant's NLU model, end to end: tiny seeded concat and memory models
 * train, save and load, read a conversation of any length, and the runtime hands them the
 * conversation (and the memory, across a restart) by itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssistantDefinition, NluExample } from '../data/types.js';
import { Assistant, type Understander } from '../dialogue/assistant.js';
import { ModelInputError } from '../errors.js';
import type { ContextMode } from '../model/config.js';
import { loadModel, type ConversationTurn, type DuetModel, type UnderstandContext, type Understanding } from '../model/duet-model.js';
import { roundToHalfInPlace } from '../model/half-precision.js';
import { openSqliteStore } from '../store/index.js';
import { ex } from './__fixtures__/markup.js';
import { trainNluModel, type TrainOptions, type TrainReport } from './train-nlu.js';


const CITIES = ['Paris', 'London', 'Tokyo', 'Berlin', 'Oslo', 'Madrid'];
const TIMES = ['7 am', 'noon', '6:30', 'nine pm', 'midnight', '10 am'];
const train: NluExample[] = [
  ...['weather in {}', 'what is the weather in {}', 'is it raining in {}', 'forecast for {}'].flatMap((t) => CITIES.map((c) => ex('weather', t.replace('{}', `[${c}](city)`)))),
  ...['wake me up at {}', 'set an alarm for {}', 'alarm at {} please'].flatMap((t) => TIMES.map((v) => ex('set_alarm', t.replace('{}', `[${v}](time)`)))),
  ...['hello', 'hi there', 'good morning', 'hey', 'hi', 'hello friend', 'good evening', 'hey there', 'greetings', 'howdy'].map((t) => ex('greet', t)),
  ...['tell me a joke', 'order a pizza', 'play some jazz', 'who wrote hamlet', 'buy new shoes', 'turn off the lights', 'sing a song', 'call my mom'].map((t) => ex('oos', t)),
];
const REPLIES = ['Hello! How can I help?', 'It is sunny in Paris today.', 'Alarm set for 7 am.', "Sorry, I can't help with that."];

const OPTIONS: Partial<TrainOptions> = {
  seed: 11,
  maxEpochs: 25,
  patience: Number.POSITIVE_INFINITY,
  keepBestEpoch: false,
  learningRate: 5e-3,
  batchSize: 16,
  vocabSize: 200,
  // 24 positions: a few earlier turns already overflow the concat sequence.
  backbone: { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64, maxPositions: 24, tokenFeatureBuckets: 1024 },
  heads: { sentenceFeatureBuckets: 2048, sentenceFeatureDim: 16 },
  outOfScopeIntent: 'oos',
  assistantTexts: REPLIES,
  oosThreshold: 0,
};

const HISTORY: ConversationTurn[] = [
  { speaker: 'user', text: 'wake me up at 7 am' },
  { speaker: 'assistant', text: 'Alarm set for 7 am.' },
];

/** A conversation far longer than any cap: 400 turns of long messages. */
const LONG_HISTORY: ConversationTurn[] = Array.from({ length: 400 }, (_, i) => ({
  speaker: i % 2 === 0 ? 'user' : 'assistant',
  text: `${i % 2 === 0 ? 'what is the weather in London and is it raining in Tokyo' : 'It is sunny in Paris today, and tomorrow too, all week long'} ${i}`,
}));

function expectSame(a: Understanding[], b: Understanding[]): void {
  expect(b.map((u) => ({ intent: u.intent, slots: u.slots }))).toEqual(a.map((u) => ({ intent: u.intent, slots: u.slots })));
  a.forEach((u, i) => {
    expect(b[i].confidence).toBeCloseTo(u.confidence, 6);
    expect(b[i].memory?.length).toBe(u.memory?.length);
    u.memory?.forEach((v, j) => expect(b[i].memory![j]).toBeCloseTo(v, 5));
  });
}

/** Share of the training examples whose intent was read right. */
function accuracy(results: Understanding[]): number {
  return results.filter((u, i) => u.intent === train[i].intent).length / train.length;
}

describe.each<ContextMode>(['concat', 'memory'])('a %s-mode model', (mode) => {
  let model: DuetModel;
  let loaded: DuetModel;
  let report: TrainReport;
  let dir: string;
  const probes = ['weather in Paris', 'wake me up at noon', 'hello friend', 'tell me a joke'];
  let contexts: UnderstandContext[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `duet-context-${mode}-`));
    ({ model, report } = await trainNluModel(train, [], { ...OPTIONS, backbone: { ...OPTIONS.backbone, contextMode: mode } }));
    model.save(join(dir, 'model'));
    loaded = await loadModel(join(dir, 'model'));
    const first = await model.understand('wake me up at 7 am');
    contexts = [{}, { history: HISTORY }, { history: HISTORY, memory: first.memory }, { history: LONG_HISTORY, memory: first.memory }];
  });

  afterAll(() => {
    model?.dispose();
    loaded?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records the mode in the saved config, and learns intents and slots read alone or after a conversation', async () => {
    const config = JSON.parse(readFileSync(join(dir, 'model', 'config.json'), 'utf8')) as { config: { backbone: { contextMode?: string } } };
    expect(config.config.backbone.contextMode).toBe(mode);
    expect(loaded.contextMode).toBe(mode);
    expect(report.options).not.toHaveProperty('assistantTexts');
    const alone = await model.understandBatch(train.map((e) => e.text));
    const after = await model.understandBatch(
      train.map((e) => e.text),
      64,
      train.map(() => ({ history: HISTORY, memory: contexts[2].memory })),
    );
    expect(accuracy(alone)).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(after)).toBeGreaterThanOrEqual(0.9);
    // Spans are found in, and point into, the current message.
    const u = await model.understand('what is the weather in Berlin', { history: HISTORY, memory: contexts[2].memory });
    expect(u.intent).toBe('weather');
    expect(u.slots).toEqual([{ slot: 'city', value: 'Berlin', text: 'Berlin', start: 23, end: 29 }]);
  });

  it('loads to identical predictions, with and without context', async () => {
    for (const context of contexts) {
      const before = await Promise.all(probes.map((t) => model.understand(t, context)));
      expectSame(before, await Promise.all(probes.map((t) => loaded.understand(t, context))));
    }
  });

  it('reads a conversation longer than any cap: the oldest turns are cut, never an error', async () => {
    const text = 'is it raining in Oslo';
    const all = await model.understand(text, { history: LONG_HISTORY });
    // 24 positions hold far fewer than 30 turns: only the newest ones are read.
    expectSame([await model.understand(text, { history: LONG_HISTORY.slice(-30) })], [all]);
    expect(all.slots.every((s) => text.slice(s.start, s.end) === s.text)).toBe(true);
    // A message longer than the sequence is read in windows, each with the context.
    const long = 'please tell me what is the weather in Paris and in London and in Tokyo and in Berlin and in Oslo and in Madrid today';
    const read = await model.understand(long, { history: LONG_HISTORY, memory: contexts[2].memory });
    for (const s of read.slots) expect(long.slice(s.start, s.end)).toBe(s.text);
    if (mode === 'memory') expect(read.memory).toHaveLength(model.memoryShape![0] * model.memoryShape![1]);
  });

  it('understands a batch with contexts as one utterance at a time', async () => {
    const texts = probes.flatMap((t) => contexts.map(() => t));
    const each = contexts.flatMap(() => contexts);
    const batch = await model.understandBatch(texts, 5, each);
    expectSame(await Promise.all(texts.map((t, i) => model.understand(t, each[i]))), batch);
  });

  it('does not leak tensors when reading with context', async () => {
    await model.understand('weather in Paris', contexts[3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await model.understand(probes[i % probes.length], contexts[i % contexts.length]);
    await model.understandBatch(probes, 2, probes.map((_, i) => contexts[i]));
    await model.understandRequiring('weather in Paris', 'city', contexts[2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  if (mode === 'concat') {
    it('reads the earlier turns: they change what the model makes of the message', async () => {
      const alone = await model.understand('hello friend');
      const after = await model.understand('hello friend', { history: HISTORY });
      expect(after.ranking.map((r) => r.confidence)).not.toEqual(alone.ranking.map((r) => r.confidence));
      expect(alone.memory).toBeUndefined();
    });
  } else {
    it('returns the memory after each turn, and the memory changes how the next turn is read', async () => {
      const [k, C] = model.memoryShape!;
      const first = await model.understand('wake me up at 7 am');
      expect(first.memory).toBeInstanceOf(Float32Array);
      expect(first.memory).toHaveLength(k * C);
      const second = await model.understand('weather in Paris', { memory: first.memory });
      const fresh = await model.understand('weather in Paris');
      expect(second.ranking.map((r) => r.confidence)).not.toEqual(fresh.ranking.map((r) => r.confidence));
      expect(second.memory).not.toEqual(fresh.memory);
      await expect(model.understand('hi', { memory: new Float32Array(k * C - 1) })).rejects.toThrow(ModelInputError);
      expect(model.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(loaded.fingerprint).toBe(model.fingerprint);
    });

    it('trains to identical predictions when run again with the same seed', async () => {
      const again = await trainNluModel(train, [], { ...OPTIONS, backbone: { ...OPTIONS.backbone, contextMode: mode } });
      try {
        expect(again.report.history).toEqual(report.history);
        expect(again.model.fingerprint).toBe(model.fingerprint);
      } finally {
        again.model.dispose();
      }
    });

    it('keeps a conversation memory across a restart through the SQLite store, and resets another model’s memory with one warning', async () => {
      const definition: AssistantDefinition = {
        name: 'ctx',
        language: 'en',
        outOfScopeIntent: 'oos',
        slots: [],
        warnings: [],
        responses: { utter_greet: ['Hello! How can I help?'], utter_weather: ['It is sunny.'], utter_alarm: ['Alarm set.'] },
        intents: [
          { name: 'greet', response: 'utter_greet', examples: [] },
          { name: 'weather', response: 'utter_weather', examples: [] },
          { name: 'set_alarm', response: 'utter_alarm', examples: [] },
          { name: 'oos', examples: [] },
        ],
      };
      /** The loaded model, recording the context of every call and the memory it returns. */
      const recording = (fingerprint = loaded.fingerprint) => {
        const calls: { context?: UnderstandContext; memory?: Float32Array }[] = [];
        const understander: Understander = {
          contextMode: loaded.contextMode,
          memoryShape: loaded.memoryShape,
          fingerprint,
          async understand(text, context) {
            const u = await loaded.understand(text, context);
            calls.push({ context, memory: u.memory });
            return u;
          },
        };
        return { understander, calls };
      };
      const file = join(dir, 'duet.sqlite');
      const open = (understander: Understander, log: string[] = []) => {
        const store = openSqliteStore(file);
        return { store, assistant: new Assistant({ understander, definition, skills: [], store, timeZone: 'UTC', log: (line) => log.push(line) }) };
      };

      const before = recording();
      const a = open(before.understander);
      await a.assistant.handle({ user: 'ann', text: 'hello' });
      await a.assistant.handle({ user: 'ann', text: 'wake me up at 7 am' });
      expect(before.calls[0].context).toEqual({ history: [] });
      expect(before.calls[1].context?.memory).toBeInstanceOf(Float32Array);
      a.store.close();

      const after = recording();
      const log: string[] = [];
      const b = open(after.understander, log);
      await b.assistant.handle({ user: 'ann', text: 'weather in Paris' });
      // Replayed from the store: the memory of the turn before (as stored, in half precision) and the turns.
      const expected = Float32Array.from(before.calls[1].memory!);
      roundToHalfInPlace(expected);
      expect(after.calls[0].context?.memory).toEqual(expected);
      expect(after.calls[0].context?.history?.map((t) => t.speaker)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(log).toEqual([]);
      b.store.close();

      const other = recording('0123456789abcdef');
      const otherLog: string[] = [];
      const c = open(other.understander, otherLog);
      await c.assistant.handle({ user: 'ann', text: 'hello' });
      await c.assistant.handle({ user: 'ann', text: 'hello' });
      // Written by another model: not fed to this one, reset once with a warning; then its own memory is used.
      expect(other.calls[0].context?.memory).toBeUndefined();
      expect(otherLog).toHaveLength(1);
      expect(otherLog[0]).toMatch(/warning: .*"ann".*another model/);
      expect(other.calls[1].context?.memory).toBeInstanceOf(Float32Array);
      c.store.close();
    });
  }
});
