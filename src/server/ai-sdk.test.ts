import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './__fixtures__/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.dispose());

/** The Vercel AI SDK's OpenAI-compatible provider, pointed at Duet, as a user's app would set it up. */
function duet(user: string) {
  return createOpenAICompatible({ name: 'duet', baseURL: `${server.url}/v1`, headers: { 'X-Duet-User': user } });
}

describe('@ai-sdk/openai-compatible against duet serve', () => {
  it('streams a reply in parts that join to the whole answer', async () => {
    const result = streamText({ model: duet('ai-sdk-stream')('duet-demo'), prompt: 'what is 12 times 7 plus 3' });
    const parts: string[] = [];
    for await (const part of result.textStream) parts.push(part);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toContain('87');
    expect(await result.finishReason).toBe('stop');
  });

  it('carries out a task through a plain completion, kept in the user store', async () => {
    const { text } = await generateText({ model: duet('ai-sdk-plain')('duet-demo'), prompt: 'add tea and biscuits to my shopping list' });
    expect(text).toMatch(/tea and biscuits/i);
    expect(server.store.forUser('ai-sdk-plain').listItems('shopping').map((i) => i.text)).toEqual(['tea', 'biscuits']);
  });
});
