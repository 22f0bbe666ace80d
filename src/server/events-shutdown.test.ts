import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { MODEL_ID, startTestServer, type TestServer } from './__fixtures__/test-server.js';
import { SseReader } from './__fixtures__/sse-reader.js';

const POLL_MS = 20;

async function complete(server: TestServer, user: string, content: string) {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL_ID, user, messages: [{ role: 'user', content }] }),
  });
  return { status: response.status, body: (await response.json()) as { choices?: { message: { content: string } }[]; error?: { code: string } } };
}

describe('GET /v1/events', () => {
  let server: TestServer;
  const readers: SseReader[] = [];
  beforeAll(async () => {
    server = await startTestServer({ deps: { limits: { eventsPollMs: POLL_MS, heartbeatMs: 50 } } });
  });
  afterEach(async () => {
    for (const r of readers.splice(0)) await r.cancel();
  });
  afterAll(() => server?.dispose());

  const feed = async (user: string) => {
    const response = await fetch(`${server.url}/v1/events`, { headers: { 'x-duet-user': user } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = new SseReader(response);
    readers.push(reader);
    expect(await reader.next()).toMatchObject({ event: 'ready', data: JSON.stringify({ user }) });
    return reader;
  };

  it('pushes a reminder to its user when it falls due, exactly once', async () => {
    const mine = await feed('gina');
    const other = await feed('hank');
    const set = await complete(server, 'gina', 'remind me to water the plants in 10 minutes');
    expect(set.status).toBe(200);
    expect(set.body.choices![0].message.content).toContain('water the plants');

    expect(await mine.next(5 * POLL_MS)).toBeNull(); // not due yet
    server.clock.now = new Date(server.clock.now.getTime() + 11 * 60_000);
    const event = await mine.next(2000);
    expect(event).toMatchObject({ event: 'reminder', id: expect.stringMatching(/^reminder-\d+$/) });
    expect(JSON.parse(event!.data)).toEqual({
      kind: 'reminder',
      text: 'Reminder: water the plants',
      reminder: { id: expect.any(Number), text: 'water the plants', due: '2026-11-25T10:10:00.000Z' },
    });

    // Never again: not on this feed, not on a new one, not to another user, not to a direct claim.
    expect(await mine.next(10 * POLL_MS)).toBeNull();
    const again = await feed('gina');
    expect(await again.next(5 * POLL_MS)).toBeNull();
    expect(await other.next(POLL_MS)).toBeNull();
    expect(server.assistant.claimDue('gina')).toEqual([]);
    expect(mine.comments).toContain('keep-alive');
  });

  it('pushes a finished timer', async () => {
    const mine = await feed('ivan');
    expect((await complete(server, 'ivan', 'set a timer for 5 minutes')).status).toBe(200);
    server.clock.now = new Date(server.clock.now.getTime() + 6 * 60_000);
    const event = await mine.next(2000);
    expect(event?.event).toBe('timer');
    expect(JSON.parse(event!.data)).toMatchObject({ kind: 'timer', timer: { duration_ms: 300_000 } });
  });
});

describe('graceful shutdown', () => {
  let server: TestServer;
  let entered: () => void;
  let release: () => void;
  const turnEntered = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    server = await startTestServer({
      deps: { limits: { eventsPollMs: POLL_MS } },
      wrap: (assistant) => ({
        claimDue: (user) => assistant.claimDue(user),
        // The first turn waits at the gate: it is in flight when the shutdown begins.
        handle: async (input) => {
          entered();
          await gate;
          return assistant.handle(input);
        },
      }),
    });
  });
  afterAll(() => server?.dispose());

  it('finishes the turn in flight, refuses new requests with 503, ends feeds, then closes the store', async () => {
    const feedResponse = await fetch(`${server.url}/v1/events`, { headers: { 'x-duet-user': 'kim' } });
    const feed = new SseReader(feedResponse);
    expect((await feed.next())?.event).toBe('ready');

    const inFlight = complete(server, 'kim', 'add lemons to my shopping list');
    await turnEntered;
    const stopped = server.app.shutdown();

    const refused = await complete(server, 'lee', 'hi');
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('shutting_down');
    expect(await feed.all(2000)).toEqual([]);
    expect(feed.done).toBe(true);

    release();
    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(done.body.choices![0].message.content).toContain('lemons');
    await stopped;

    expect(() => server.store.loadEvents('kim')).toThrow(StoreError);
    const reopened = openSqliteStore(server.storePath);
    try {
      expect(reopened.forUser('kim').listItems('shopping').map((i) => i.text)).toEqual(['lemons']);
      expect(reopened.loadEvents('kim').some((e) => (e.data as { type: string }).type === 'user')).toBe(true);
    } finally {
      reopened.close();
    }
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
