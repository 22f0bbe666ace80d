import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { resolveDataDir } from '../datasets/files.js';
import { looseKey } from './detokenise.js';
import { TOPICAL_CHAT_SPLITS, loadTopicalChat, parseTopicalChat, type TopicalChatSplit } from './topical-chat.js';

const fixtures = join(import.meta.dirname, '__fixtures__', 'data');

describe('Topical-Chat on fixtures', () => {
  it('reads conversations as speaker/text turns, whitespace collapsed, empty messages dropped', () => {
    const conversations = loadTopicalChat('test_freq', { dataDir: fixtures });
    expect(conversations.map((c) => c.id)).toEqual(['t_1', 't_2']);
    expect(conversations[0].turns).toEqual([
      { speaker: 'agent_1', text: 'Are you a football fan?' },
      { speaker: 'agent_2', text: 'Yes, I am.' },
      { speaker: 'agent_1', text: 'Did you know the locker room is pink?' },
    ]);
  });

  it('says what is wrong with a malformed file', () => {
    expect(() => parseTopicalChat('[1]', 'x.json')).toThrow(/x.json should be an object keyed by conversation id/);
    expect(() => parseTopicalChat('{"a": {"content": [{"message": 1, "agent": "agent_1"}]}}', 'x.json')).toThrow(/conversation a turn 0/);
    expect(() => parseTopicalChat('{', 'x.json')).toThrow(DatasetError);
  });

  it('refuses a split that is not here, naming the ones that are', () => {
    expect(() => loadTopicalChat('train' as TopicalChatSplit, { dataDir: fixtures })).toThrow(/valid_freq, valid_rare, test_freq, test_rare/);
  });
});

const dataDir = resolveDataDir();
describe.runIf(existsSync(join(dataDir, 'topical-chat', 'conversations', 'test_freq.json')))('Topical-Chat on the real data', () => {
  // Loaded in beforeAll, not while collecting: a skipped suite's body still runs at collection.
  let splits!: Record<TopicalChatSplit, ReturnType<typeof loadTopicalChat>>;
  beforeAll(() => {
    splits = Object.fromEntries(TOPICAL_CHAT_SPLITS.map((s) => [s, loadTopicalChat(s)])) as Record<TopicalChatSplit, ReturnType<typeof loadTopicalChat>>;
  });

  it('has 539 conversations per split, with about the turns SOURCE.md counts', () => {
    for (const split of TOPICAL_CHAT_SPLITS) expect(splits[split]).toHaveLength(539);
    const turns = splits.test_freq.reduce((n, c) => n + c.turns.length, 0);
    expect(turns).toBeLessThanOrEqual(11760);
    expect(turns).toBeGreaterThan(11700);
  });

  it('shares no conversation between the valid splits (trained on) and the test splits', () => {
    const key = (c: { turns: { text: string }[] }) => c.turns.map((t) => looseKey(t.text)).join('\n');
    const valid = new Set([...splits.valid_freq, ...splits.valid_rare].map(key));
    expect([...splits.test_freq, ...splits.test_rare].filter((c) => valid.has(key(c)))).toEqual([]);
  });
});
