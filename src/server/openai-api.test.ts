import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_ID, startTestServer, type TestServer } from './__fixtures__/test-server.js';
import { SseReader } from './__fixtures__/sse-reader.js';
import { contentPieces } from './openai-routes.js';
import { approximatePromptTokens, approximateTokens } from './tokens.js';

interface DuetField {
  intent: string;
  confidence: number;
  slots: Record<string, string>;
  action: { skill: string; status: string; args: Record<string, unknown> } | null;
}

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startTestServer({ deps: { limits: { bodyLimitBytes: 64 * 1024 } } });
  // The server runs without keys; the SDK insists on one and the server ignores it.
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
});
afterAll(() => server?.dispose());

/** POST a raw body to the completions endpoint. */
function post(body: string, headers: Record<string, string> = {}, path = '/v1/chat/completions') {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

async function expectError(response: Response, status: number, expected: { type?: string; param?: string | null; code?: string }) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error).toMatchObject(expected);
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
  return body.error;
}

describe('POST /v1/chat/completions with the openai SDK', () => {
  it('answers a turn, with Duet’s understanding in `duet`, and keeps the conversation of the user', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL_ID,
      user: 'alice',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'remind me to call mom tomorrow at 5pm' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe(MODEL_ID);
    expect(completion.created).toBe(Math.floor(server.clock.now.getTime() / 1000));
    const [choice] = completion.choices;
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content).toContain('call mom');
    const duet = (completion as unknown as { duet: DuetField }).duet;
    expect(duet).toMatchObject({ intent: 'set_reminder', action: { skill: 'reminders.create', status: 'done', args: { when: '2026-11-26T17:00:00+00:00' } } });
    expect(duet.confidence).toBeGreaterThan(0.5);
    expect(duet.slots.task).toBe('call mom');
    expect(completion.usage).toEqual({
      prompt_tokens: approximatePromptTokens([{ text: 'You are a helpful assistant.' }, { text: 'remind me to call mom tomorrow at 5pm' }]),
      completion_tokens: approximateTokens(choice.message.content ?? ''),
      total_tokens: completion.usage!.prompt_tokens + completion.usage!.completion_tokens,
    });

    // The history a client resends is not replayed: the server has the conversation, the last user message is the turn.
    const next = await client.chat.completions.create({
      model: MODEL_ID,
      user: 'alice',
      messages: [
        { role: 'user', content: 'remind me to call mom tomorrow at 5pm' },
        { role: 'assistant', content: choice.message.content },
        { role: 'user', content: [{ type: 'text', text: 'what are my reminders' }] },
      ],
    });
    expect(next.choices[0].message.content).toContain('call mom');
    const bob = await client.chat.completions.create({ model: MODEL_ID, user: 'bob', messages: [{ role: 'user', content: 'what are my reminders' }] });
    expect(bob.choices[0].message.content).not.toContain('call mom');
  });

  it('identifies the conversation by the X-Duet-User header when the body names no user', async () => {
    await client.chat.completions.create(
      { model: MODEL_ID, messages: [{ role: 'user', content: 'add pears to my shopping list' }] },
      { headers: { 'X-Duet-User': 'carol' } },
    );
    const list = await client.chat.completions.create({ model: MODEL_ID, user: 'carol', messages: [{ role: 'user', content: "what's on my shopping list" }] });
    expect(list.choices[0].message.content).toContain('pears');
  });

  it('streams: role first, the reply in pieces, finish_reason and duet last, then usage', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL_ID,
      user: 'dave',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'what is 12 times 7 plus 3' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id && c.model === MODEL_ID)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const content = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    expect(content).toContain('87');
    expect(chunks.filter((c) => c.choices.some((ch) => ch.delta.content)).length).toBeGreaterThan(1);
    const finish = chunks.findIndex((c) => c.choices[0]?.finish_reason === 'stop');
    expect(finish).toBe(chunks.length - 2);
    expect((chunks[finish] as unknown as { duet: DuetField }).duet).toMatchObject({ intent: 'calculate', action: { skill: 'calculator.evaluate', status: 'done' } });
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: approximateTokens(content) });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams without usage unless asked, and ends with data: [DONE] (raw SSE)', async () => {
    const response = await post(JSON.stringify({ model: MODEL_ID, user: 'erin', stream: true, messages: [{ role: 'user', content: 'hello there' }] }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await new SseReader(response).all();
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Record<string, unknown> & { choices: { delta: Record<string, unknown>; finish_reason: string | null }[] });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)!.duet).toBeDefined();
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  it('lists and retrieves the loaded model; an unknown one is 404', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models).toEqual([expect.objectContaining({ id: MODEL_ID, object: 'model', owned_by: 'duet' })]);
    expect((await client.models.retrieve(MODEL_ID)).id).toBe(MODEL_ID);
    await expect(client.models.retrieve('gpt-4o')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
  });

  it('raises the SDK’s BadRequestError naming the field', async () => {
    const err = await client.chat.completions
      .create({ model: MODEL_ID, messages: [{ role: 'user', content: 'x'.repeat(4001) }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'messages[0].content', code: 'string_above_max_length' });
  });
});

describe('error responses', () => {
  it('malformed JSON is 400 invalid_json', async () => {
    await expectError(await post('{"messages": [}'), 400, { type: 'invalid_request_error', code: 'invalid_json', param: null });
    await expectError(await post(''), 400, { code: 'invalid_json' });
  });

  it('missing, empty or malformed messages are 400 naming the field', async () => {
    await expectError(await post(JSON.stringify({ model: MODEL_ID })), 400, { param: 'messages', code: 'missing_required_parameter' });
    await expectError(await post(JSON.stringify({ messages: [] })), 400, { param: 'messages' });
    await expectError(await post(JSON.stringify({ messages: [{ role: 'robot', content: 'hi' }] })), 400, { param: 'messages[0].role' });
    await expectError(await post(JSON.stringify({ messages: [{ role: 'user', content: 42 }] })), 400, { param: 'messages[0].content' });
    await expectError(await post(JSON.stringify({ messages: [{ role: 'system', content: 'be nice' }] })), 400, { param: 'messages' });
    await expectError(await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: 'yes' })), 400, { param: 'stream' });
    await expectError(await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], n: 2 })), 400, { param: 'n' });
    await expectError(await post('[1, 2]'), 400, { param: null });
    await expectError(await post(JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })), 400, {
      param: 'messages[0].content[0].type',
    });
  });

  it('a user message longer than the limit is 400 naming it; other messages are not the turn', async () => {
    const long = 'a'.repeat(4001);
    const err = await expectError(await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: long }] })), 400, {
      param: 'messages[1].content',
      code: 'string_above_max_length',
    });
    expect(err.message).toContain('4,000');
    const ok = await post(JSON.stringify({ user: 'frank', messages: [{ role: 'assistant', content: long }, { role: 'user', content: 'hi' }] }));
    expect(ok.status).toBe(200);
  });

  it('a body over the limit is 413', async () => {
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], padding: 'x'.repeat(70 * 1024) });
    await expectError(await post(big), 413, { code: 'request_too_large', type: 'invalid_request_error' });
  });

  it('a body that is not JSON is 415, an unknown route 404, a bad user id 400', async () => {
    await expectError(await post('hi', { 'content-type': 'text/plain' }), 415, { code: 'unsupported_media_type' });
    await expectError(await fetch(`${server.url}/v1/embeddings`, { method: 'POST' }), 404, { code: 'not_found', type: 'not_found_error' });
    await expectError(await post(JSON.stringify({ user: 'a b', messages: [{ role: 'user', content: 'hi' }] })), 400, { param: 'user' });
    await expectError(await post(JSON.stringify({ user: 'a', messages: [{ role: 'user', content: 'hi' }] }), { 'x-duet-user': 'b' }), 400, { param: 'user' });
  });
});

describe('POST /webhooks/rest/webhook (Rasa REST channel)', () => {
  it('answers { sender, message } with [{ recipient_id, text }]', async () => {
    const response = await post(JSON.stringify({ sender: 'rasa-user', message: 'add tea to my shopping list' }), {}, '/webhooks/rest/webhook');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { recipient_id: string; text: string }[];
    expect(body).toEqual([{ recipient_id: 'rasa-user', text: expect.stringContaining('tea') }]);
  });

  it('validates like the rest of the API', async () => {
    await expectError(await post(JSON.stringify({ sender: 'rasa-user' }), {}, '/webhooks/rest/webhook'), 400, { param: 'message' });
    await expectError(await post(JSON.stringify({ sender: 'rasa-user', message: 'x'.repeat(4001) }), {}, '/webhooks/rest/webhook'), 400, { param: 'message' });
  });
});

describe('a failure after the stream began', () => {
  let failing: TestServer;
  beforeAll(async () => {
    failing = await startTestServer({
      wrap: (assistant) => ({
        claimDue: (user) => assistant.claimDue(user),
        handle: async () => {
          throw new Error('disk on fire at /secret/path.ts:12');
        },
      }),
    });
  });
  afterAll(() => failing?.dispose());

  it('is an SSE error event in OpenAI’s shape, then the stream closes; the SDK raises it', async () => {
    const response = await fetch(`${failing.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    const events = await new SseReader(response).all();
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0].data)).toMatchObject({ choices: [{ delta: { role: 'assistant' } }] });
    expect(events[1].event).toBe('error');
    expect(JSON.parse(events[1].data)).toEqual({ error: { message: expect.any(String), type: 'server_error', param: null, code: 'internal_error' } });
    expect(events[1].data).not.toContain('secret');

    const sdk = new OpenAI({ baseURL: `${failing.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await sdk.chat.completions.create({ model: MODEL_ID, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const err = await (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });

  it('is a 500 in OpenAI’s shape when not streaming, without internals', async () => {
    const response = await fetch(`${failing.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    const error = await expectError(response, 500, { type: 'server_error', code: 'internal_error' });
    expect(error.message).not.toContain('secret');
  });
});

describe('contentPieces', () => {
  it('cuts a reply into words that join back exactly', () => {
    const reply = 'OK, I’ll remind you  to call mom\ntomorrow at 17:00.';
    const pieces = contentPieces(reply);
    expect(pieces.join('')).toBe(reply);
    expect(pieces[0]).toBe('OK, ');
    expect(contentPieces('')).toEqual([]);
  });
});

describe('a client that leaves mid-stream', () => {
  let gated: TestServer;
  let entered: () => void;
  let release: () => void;
  const firstTurnEntered = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  beforeAll(async () => {
    gated = await startTestServer({
      wrap: (assistant) => ({
        claimDue: (user) => assistant.claimDue(user),
        handle: async (input) => {
          entered();
          await gate;
          return assistant.handle(input);
        },
      }),
    });
  });
  afterAll(() => gated?.dispose());

  it('cancels its turn if it was still queued; the server goes on', async () => {
    const send = (content: string, signal?: AbortSignal) =>
      fetch(`${gated.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'olga', stream: true, messages: [{ role: 'user', content }] }),
        signal,
      });
    const first = send('add plums to my shopping list');
    await firstTurnEntered;
    // The second turn of the same conversation waits behind the first; its client gives up.
    const abort = new AbortController();
    const second = await send('add kiwis to my shopping list', abort.signal);
    const reader = new SseReader(second);
    expect(JSON.parse((await reader.next())!.data)).toMatchObject({ choices: [{ delta: { role: 'assistant' } }] });
    abort.abort();
    // Time for the server to see the connection close (loopback: well under a millisecond).
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    const events = await new SseReader(await first).all();
    expect(events.at(-1)!.data).toBe('[DONE]');

    const after = await fetch(`${gated.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'olga', messages: [{ role: 'user', content: "what's on my shopping list" }] }),
    });
    const reply = ((await after.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
    expect(reply).toContain('plums');
    expect(reply).not.toContain('kiwis');
    const userTurns = gated.store.loadEvents('olga').filter((e) => (e.data as { type: string }).type === 'user');
    expect(userTurns).toHaveLength(2);
  });
});
