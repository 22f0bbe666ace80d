// A generated small-talk reply reaches the client as it is written, through the streamed completions API.
import { rmSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResponseIndex, RetrievalChatter } from '../dialogue/chatter.js';
import { ReplyGenerator } from '../model/reply-generator.js';
import { pretrainToy, toyDialogueCorpus } from '../train/__fixtures__/toy-pretrained.js';
import { MODEL_ID, startTestServer, type TestServer } from './__fixtures__/test-server.js';
import { gatedChatter } from './__fixtures__/gated-chatter.js';
import { SseReader } from './__fixtures__/sse-reader.js';

// The demo model hears this as out of scope, so the chatter answers it.
const SMALL_TALK = 'tell me something about jazz music';
const REPLY = 'Jazz was born in New Orleans, they say.';

let server: TestServer;
let gated: ReturnType<typeof gatedChatter>;
beforeAll(async () => {
  gated = gatedChatter(REPLY, ['Jazz was', ' born'], [' in New']);
  server = await startTestServer({ chatter: gated.chatter });
});
afterAll(() => server?.dispose());

type Chunk = { choices: { delta: { content?: string }; finish_reason: string | null }[]; duet?: { chat?: { source: string } } };

describe('streamed completions of a generated reply', () => {
  it('sends the reply’s first words before the generator has finished, then the rest, whole', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'gen', stream: true, messages: [{ role: 'user', content: SMALL_TALK }] }),
    });
    expect(response.status).toBe(200);
    const reader = new SseReader(response);
    const early: string[] = [];
    // The role chunk, then the two parts written so far, while the chatter still waits.
    for (let i = 0; i < 3; i++) {
      const event = await reader.next(5000);
      expect(event).not.toBeNull();
      early.push((JSON.parse(event!.data) as Chunk).choices[0].delta.content ?? '');
    }
    expect(early).toEqual(['', 'Jazz was', ' born']);
    expect(await reader.next(300)).toBeNull();
    gated.release();
    const rest = await reader.all();
    expect(rest.at(-1)!.data).toBe('[DONE]');
    const chunks = rest.slice(0, -1).map((e) => JSON.parse(e.data) as Chunk);
    const content = [...early, ...chunks.map((c) => c.choices[0]?.delta.content ?? '')].join('');
    expect(content).toBe(REPLY);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'stop' }], duet: { chat: { source: 'generation' } } });
  });

  it('reads back as the same reply with the openai SDK, streamed or not', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: MODEL_ID, user: 'sdk', stream: true, messages: [{ role: 'user', content: SMALL_TALK }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(REPLY);
    const plain = await client.chat.completions.create({ model: MODEL_ID, user: 'sdk2', messages: [{ role: 'user', content: SMALL_TALK }] });
    expect(plain.choices[0].message.content).toBe(REPLY);
  });
});

describe('streamed completions with a real generator', () => {
  let generated: TestServer;
  let dir: string;
  let generator: ReplyGenerator;
  beforeAll(async () => {
    dir = await pretrainToy(toyDialogueCorpus(), { steps: 120, layers: 2 });
    generator = await ReplyGenerator.load(dir);
    // Nothing in the index is close enough (minScore above any cosine), so every small-talk turn is generated.
    const encoder = { encodeContexts: async (c: string[][]) => c.map(() => Float32Array.of(1, 0)), encodeResponses: async (t: string[]) => t.map(() => Float32Array.of(0, 1)) };
    const index = await buildResponseIndex(encoder, ['A canned reply.']);
    generated = await startTestServer({ chatter: new RetrievalChatter(encoder, index, { minScore: 2, generator, minKnownWords: 0 }) });
  }, 120_000);
  afterAll(async () => {
    await generated?.dispose();
    generator?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('streams the reply in several parts that join into the reply the generator writes', async () => {
    const expected = (await generator.reply([SMALL_TALK], { seed: 0 })).text.trim();
    expect(expected.split(' ').length).toBeGreaterThan(2);
    const response = await fetch(`${generated.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'toy', stream: true, messages: [{ role: 'user', content: SMALL_TALK }] }),
    });
    const events = await new SseReader(response).all();
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Chunk);
    const parts = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter(Boolean);
    expect(parts.join('')).toBe(expected);
    expect(parts.length).toBeGreaterThan(1);
    expect(chunks.at(-1)).toMatchObject({ duet: { chat: { source: 'generation' } } });
  });
});
