import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_ID, startTestServer, type TestServer } from './__fixtures__/test-server.js';

let server: TestServer;
let aliceKey: string;
let bobKey: string;

beforeAll(async () => {
  server = await startTestServer({
    setup: (keys) => {
      aliceKey = keys.create('alice', new Date()).key;
      bobKey = keys.create('bob', new Date()).key;
    },
    deps: { limits: { rateLimit: { requests: 5, windowMs: 60_000 } } },
  });
});
afterAll(() => server?.dispose());

const sdk = (apiKey: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });

function call(path: string, init: { key?: string; body?: unknown; method?: string } = {}) {
  return fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body !== undefined && { 'content-type': 'application/json' }), ...(init.key && { authorization: `Bearer ${init.key}` }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

const turn = (content: string, user?: string) => ({ model: MODEL_ID, ...(user && { user }), messages: [{ role: 'user' as const, content }] });

describe('with API keys', () => {
  it('refuses requests without a key, or with a wrong, malformed or tampered one (401)', async () => {
    for (const key of [undefined, 'sk-not-a-duet-key', `${aliceKey.slice(0, -1)}${aliceKey.endsWith('A') ? 'B' : 'A'}`]) {
      const response = await call('/v1/chat/completions', { key, body: turn('hi') });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    }
    await expect(sdk('wrong').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await call('/v1/events')).status).toBe(401);
    expect((await call('/webhooks/rest/webhook', { body: { sender: 'alice', message: 'hi' } })).status).toBe(401);
  });

  it('acts for the key’s user: its conversation, never another user’s (403)', async () => {
    const alice = sdk(aliceKey);
    await alice.chat.completions.create(turn('add figs to my shopping list'));
    const mine = await alice.chat.completions.create(turn("what's on my shopping list", 'alice'));
    expect(mine.choices[0].message.content).toContain('figs');

    const bobs = await sdk(bobKey).chat.completions.create(turn("what's on my shopping list"));
    expect(bobs.choices[0].message.content).not.toContain('figs');

    const err = await sdk(bobKey).chat.completions.create(turn("what's on my shopping list", 'alice')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err).toMatchObject({ status: 403, type: 'permission_error', param: 'user' });
    const header = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bobKey}`, 'x-duet-user': 'alice' },
      body: JSON.stringify(turn('hi')),
    });
    expect(header.status).toBe(403);
    const rasa = await call('/webhooks/rest/webhook', { key: bobKey, body: { sender: 'alice', message: "what's on my shopping list" } });
    expect(rasa.status).toBe(403);
    expect(((await rasa.json()) as { error: { param: string } }).error.param).toBe('sender');
    const events = await call('/v1/events?user=alice', { key: bobKey });
    expect(events.status).toBe(403);
  });

  it('serves the page and the health check without a key', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(MODEL_ID);
    expect((await call('/health')).status).toBe(200);
  });

  it('limits each key’s rate with 429 and Retry-After; other keys go on', async () => {
    const key = server.keys.create('carol', new Date()).key;
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const response = await call('/v1/models', { key });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect(await limited!.json()).toEqual({ error: { message: expect.any(String), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
    await expect(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.RateLimitError);

    const other = server.keys.create('dora', new Date()).key;
    expect((await call('/v1/models', { key: other })).status).toBe(200);
  });

  it('stops accepting a revoked key at once, and stays locked when no key is left', async () => {
    const { key, info } = server.keys.create('erin', new Date());
    expect((await call('/v1/models', { key })).status).toBe(200);
    server.keys.revoke(info.id, new Date());
    expect((await call('/v1/models', { key })).status).toBe(401);
    for (const k of server.keys.list()) server.keys.revoke(k.id, new Date());
    expect(server.keys.hasActive()).toBe(false);
    expect((await call('/v1/models')).status).toBe(401);
  });
});

describe('without API keys', () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer({ deps: { limits: { rateLimit: { requests: 2, windowMs: 60_000 } } } });
  });
  afterAll(() => open?.dispose());

  it('lets a request name its user, and limits the rate per IP address', async () => {
    const first = await fetch(`${open.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer anything' },
      body: JSON.stringify(turn('hi', 'zoe')),
    });
    expect(first.status).toBe(200);
    expect((await fetch(`${open.url}/v1/models`)).status).toBe(200);
    const third = await fetch(`${open.url}/v1/models`);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
