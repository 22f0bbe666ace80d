import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../datasets/files.js';
import { loadDailyDialog } from './dailydialog.js';
import { looseKey } from './detokenise.js';
import { dialoguePairs, loadPretrainingCorpus, sampleInOrder } from './pretraining.js';
import { loadTopicalChat } from './topical-chat.js';

describe('dialoguePairs', () => {
  it('makes every later turn a response to at most the 3 turns before it, oldest first', () => {
    const pairs = dialoguePairs(['a', 'b', 'c', 'd', 'e'], 'src');
    expect(pairs.map((p) => [p.context, p.response])).toEqual([
      [['a'], 'b'],
      [['a', 'b'], 'c'],
      [['a', 'b', 'c'], 'd'],
      [['b', 'c', 'd'], 'e'],
    ]);
    expect(pairs.every((p) => p.source === 'src')).toBe(true);
    expect(dialoguePairs(['alone'], 'src')).toEqual([]);
  });
});

describe('sampleInOrder', () => {
  const items = Array.from({ length: 100 }, (_, i) => i);

  it('takes a seeded sample of the asked size, in the original order', () => {
    const a = sampleInOrder(items, 10, 7);
    expect(a).toHaveLength(10);
    expect(new Set(a).size).toBe(10);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(sampleInOrder(items, 10, 7)).toEqual(a);
    expect(sampleInOrder(items, 10, 8)).not.toEqual(a);
  });

  it('keeps everything when asked for more than there is', () => {
    expect(sampleInOrder(items, 1000, 1)).toEqual(items);
    expect(sampleInOrder(items, 0, 1)).toEqual([]);
  });
});

const dataDir = resolveDataDir();
const sources = ['dailydialog', 'sgd', 'topical-chat', 'microsoft-chitchat', 'chatterbot-corpus', 'clinc150', 'snips', 'atis', 'banking77', 'hwu64'];
describe.runIf(sources.every((s) => existsSync(join(dataDir, s))))('loadPretrainingCorpus on the real data', () => {
  const pairKey = (turns: string[]) => turns.map(looseKey).join('\n');
  // Loaded in beforeAll, not while collecting: a skipped suite's body still runs at collection.
  let corpus!: ReturnType<typeof loadPretrainingCorpus>;
  let pairKeys!: Set<string>;
  beforeAll(() => {
    corpus = loadPretrainingCorpus();
    pairKeys = new Set(corpus.pairs.map((p) => pairKey([...p.context, p.response])));
  });

  it('lists every source with its licence, pairs from dialogue sources and texts from all', () => {
    expect(corpus.sources.map((s) => s.name)).toEqual(sources);
    const by = Object.fromEntries(corpus.sources.map((s) => [s.name, s]));
    expect(by.dailydialog.licence).toBe('CC BY-NC-SA 4.0');
    expect(by.sgd.licence).toBe('CC BY-SA 4.0');
    for (const name of ['dailydialog', 'sgd', 'topical-chat', 'microsoft-chitchat', 'chatterbot-corpus']) expect(by[name].pairs).toBeGreaterThan(1000);
    for (const name of ['clinc150', 'snips', 'atis', 'banking77', 'hwu64']) {
      expect(by[name].pairs).toBe(0);
      expect(by[name].texts).toBeGreaterThan(3000);
    }
    expect(corpus.pairs.length).toBe(corpus.sources.reduce((n, s) => n + s.pairs, 0));
    expect(corpus.pairs.every((p) => p.context.length >= 1 && p.context.length <= 3 && p.response.length > 0)).toBe(true);
    expect(new Set(corpus.texts).size).toBe(corpus.texts.length);
  });

  it('holds no DailyDialog validation or test exchange and no long validation/test utterance', () => {
    const dd = loadDailyDialog();
    const texts = new Set(corpus.texts.map(looseKey));
    const leaks: string[] = [];
    for (const dialogue of [...dd.released.validation, ...dd.released.test]) {
      // Exchanges of three turns or more: two-turn ones ("Thank you." / "You're welcome.") recur in any corpus.
      for (let i = 2; i < dialogue.length; i++) {
        const exchange = dialogue.slice(Math.max(0, i - 3), i + 1);
        if (pairKeys.has(pairKey(exchange))) leaks.push(exchange.join(' | '));
      }
      for (const utterance of dialogue) if (looseKey(utterance).length >= 50 && texts.has(looseKey(utterance))) leaks.push(utterance);
    }
    expect(leaks).toEqual([]);
  });

  it('holds no Topical-Chat test exchange', () => {
    const leaks: string[] = [];
    for (const split of ['test_freq', 'test_rare'] as const) {
      for (const conversation of loadTopicalChat(split)) {
        const turns = conversation.turns.map((t) => t.text);
        for (let i = 2; i < turns.length; i++) if (pairKeys.has(pairKey(turns.slice(Math.max(0, i - 3), i + 1)))) leaks.push(turns[i]);
      }
    }
    expect(leaks).toEqual([]);
  });
});
