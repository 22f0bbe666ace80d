import { describe, expect, it } from 'vitest';
import { SPEAKER_ASSISTANT, SPEAKER_USER } from '../model/config.js';
import { CLS_ID, SEP_ID, type TokenizedText } from '../tokenizer/wordpiece.js';
import { buildContextTokens, type ContextInputSettings, type TokenizedTurn } from './context-input.js';

/** A fake tokenization: one token per id, offsets 2 characters apart. */
const tokens = (...ids: number[]): TokenizedText => ({
  ids,
  tokens: ids.map(String),
  offsets: ids.map((_, i) => [2 * i, 2 * i + 1] as [number, number]),
  wordIds: ids.map((_, i) => i),
  words: ids.map((_, i) => [2 * i, 2 * i + 1] as [number, number]),
});
const user = (...ids: number[]): TokenizedTurn => ({ speaker: 'user', tokens: tokens(...ids) });
const assistant = (...ids: number[]): TokenizedTurn => ({ speaker: 'assistant', tokens: tokens(...ids) });
const settings = (mode: ContextInputSettings['mode'], maxTokens = 64): ContextInputSettings => ({ mode, maxTokens, maxUtteranceTokens: 8, maxTurnDistance: 4 });

// Oldest first: user 10 11, assistant 20 21, user 30, assistant 40 41 42.
const history = [user(10, 11), assistant(20, 21), user(30), assistant(40, 41, 42)];

describe('buildContextTokens', () => {
  it('none: the current turn alone, whatever the history', () => {
    const c = buildContextTokens(tokens(100, 101), history, settings('none'));
    expect([...c.ids]).toEqual([CLS_ID, 100, 101]);
    expect(c.utteranceTokens).toBe(2);
    expect(c.utteranceOffsets).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('concat: current turn first, then earlier turns newest to oldest, with speaker and turn distance', () => {
    const c = buildContextTokens(tokens(100), history, settings('concat'));
    expect([...c.ids]).toEqual([CLS_ID, 100, SEP_ID, 40, 41, 42, SEP_ID, 30, SEP_ID, 20, 21, SEP_ID, 10, 11]);
    const A = SPEAKER_ASSISTANT;
    const U = SPEAKER_USER;
    expect([...c.speakers]).toEqual([U, U, A, A, A, A, U, U, A, A, A, U, U, U]);
    // Distances are capped at maxTurnDistance - 1 = 3: the oldest turn shares row 3.
    expect([...c.distances]).toEqual([0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3]);
    expect(c.turnsCut).toBe(0);
  });

  it('concat: cuts the oldest turns first, a turn that partly fits keeps its beginning', () => {
    const c = buildContextTokens(tokens(100), history, settings('concat', 9));
    // [CLS] 100 [SEP] 40 41 42 [SEP] 30 = 8 tokens: a [SEP] would leave no room for "20 21".
    expect([...c.ids]).toEqual([CLS_ID, 100, SEP_ID, 40, 41, 42, SEP_ID, 30]);
    expect(c.turnsCut).toBe(2);
    const d = buildContextTokens(tokens(100), history, settings('concat', 10));
    expect([...d.ids]).toEqual([CLS_ID, 100, SEP_ID, 40, 41, 42, SEP_ID, 30, SEP_ID, 20]);
    expect(d.turnsCut).toBe(2);
  });

  it('a conversation longer than any cap still yields a sequence within the cap', () => {
    const long = Array.from({ length: 500 }, (_, i) => (i % 2 ? assistant(i, i + 1) : user(i)));
    const c = buildContextTokens(tokens(...Array.from({ length: 50 }, (_, i) => 1000 + i)), long, settings('concat', 32));
    expect(c.ids.length).toBeLessThanOrEqual(32);
    expect(c.utteranceTokens).toBe(8); // maxUtteranceTokens
    expect(c.turnsCut).toBeGreaterThan(490);
  });

  it("memory: the current turn and the assistant's reply just before it, never more", () => {
    const c = buildContextTokens(tokens(100), history, settings('memory'));
    expect([...c.ids]).toEqual([CLS_ID, 100, SEP_ID, 40, 41, 42]);
    expect([...c.distances]).toEqual([0, 0, 1, 1, 1, 1]);
    // After a user turn (no reply in between) there is nothing to add.
    expect([...buildContextTokens(tokens(100), history.slice(0, 3), settings('memory')).ids]).toEqual([CLS_ID, 100]);
    expect([...buildContextTokens(tokens(100), [], settings('memory')).ids]).toEqual([CLS_ID, 100]);
  });
});
