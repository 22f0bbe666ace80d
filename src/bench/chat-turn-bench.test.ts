import { expect, it } from 'vitest';
import type { TextEncoder } from '../dialogue/chatter.js';
import { measureChatTurns } from './chat-turn-bench.js';

it('times one reply per non-empty context, over an index of the distinct replies', async () => {
  const vector = (text: string) => Float32Array.from([text.length % 2, 1 - (text.length % 2)]);
  let contextsEncoded = 0;
  const encoder: TextEncoder = {
    encodeContexts: async (contexts) => ((contextsEncoded += contexts.length), contexts.map((c) => vector(c.join(' ')))),
    encodeResponses: async (texts) => texts.map(vector),
  };
  const figures = await measureChatTurns(encoder, ['a', 'bb', 'a', 'ccc'], [['hi', 'how are you'], [], ['yo']]);
  expect(figures).toMatchObject({ index_size: 3, examples: 2 });
  expect(figures.ms_p50).toBeGreaterThanOrEqual(0);
  expect(figures.ms_p95).toBeGreaterThanOrEqual(figures.ms_p50);
  // Two warm-up replies, then the two timed ones.
  expect(contextsEncoded).toBe(4);
});
