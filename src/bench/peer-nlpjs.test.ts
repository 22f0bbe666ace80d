import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NluExample } from '../data/types.js';
import { trainNlpjs } from './peer-nlpjs.js';

const ex = (text: string, intent: string): NluExample => ({ text, intent, slots: [] });

const train: NluExample[] = [
  ex('hello there', 'greet'),
  ex('hi, nice to meet you', 'greet'),
  ex('good morning to you', 'greet'),
  ex('hey, how are you doing', 'greet'),
  ex('goodbye for now', 'bye'),
  ex('see you later', 'bye'),
  ex('bye bye, talk soon', 'bye'),
  ex('I have to go now, farewell', 'bye'),
  ex('what is the weather like today', 'weather'),
  ex('will it rain tomorrow', 'weather'),
  ex('is it going to be sunny this weekend', 'weather'),
  ex('how cold is it outside', 'weather'),
];

const heldOut: [string, string][] = [
  ['hello, good morning', 'greet'],
  ['see you soon, goodbye', 'bye'],
  ['will it be sunny tomorrow', 'weather'],
];

describe('trainNlpjs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('classifies held-out examples of a tiny 3-intent dataset', async () => {
    const peer = await trainNlpjs(train);
    expect(peer.trainSeconds).toBeGreaterThanOrEqual(0);
    for (const [text, intent] of heldOut) {
      const prediction = await peer.predict(text);
      expect(prediction.intent, text).toBe(intent);
      expect(prediction.score).toBeGreaterThan(0.5);
    }
  });

  it('maps "None" to the out-of-scope label, or keeps None without one', async () => {
    const withOos = await trainNlpjs(train, { outOfScopeIntent: 'oos' });
    expect((await withOos.predict('qwxz zzkq')).intent).toBe('oos');
    const plain = await trainNlpjs(train);
    expect((await plain.predict('qwxz zzkq')).intent).toBe('None');
  });

  it('learns an out-of-scope intent from its examples like any other', async () => {
    const withOos = [...train, ex('tell me about the stock market', 'oos'), ex('what are stock prices doing', 'oos'), ex('buy stock shares for me', 'oos')];
    const peer = await trainNlpjs(withOos, { outOfScopeIntent: 'oos' });
    expect((await peer.predict('how is the stock market doing')).intent).toBe('oos');
  });

  it('writes no model file and logs nothing', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => vi.spyOn(console, method));
    const cwd = process.cwd();
    const scratch = mkdtempSync(join(tmpdir(), 'duet-nlpjs-'));
    try {
      // nlp.js saves `model.nlp` into the working directory when autoSave is on.
      process.chdir(scratch);
      // An utterance without words makes nlp.js warn "contains only stop words" by default.
      const peer = await trainNlpjs([...train, ex('?', 'greet')]);
      await peer.predict('hello');
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      process.chdir(cwd);
      rmSync(scratch, { recursive: true, force: true });
    }
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});
