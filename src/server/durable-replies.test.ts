/**
 * A reply acknowledges the turn's writes, so it is sent only once the store says they are on disk
 * (`Store.durable`, which a group-committing store settles at its next commit).
 */
import { afterEach, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { startTestServer, type TestServer } from './__fixtures__/test-server.js';

/** The store with a `durable()` the test settles by hand. */
function gatedStore(store: Store) {
  const gate: { release: () => void; fail: (error: Error) => void; calls: number } = { release: () => undefined, fail: () => undefined, calls: 0 };
  const wrapped: Store = Object.assign(Object.create(store) as Store, {
    durable(): Promise<void> {
      gate.calls += 1;
      return new Promise<void>((resolve, reject) => {
        gate.release = resolve;
        gate.fail = reject;
      });
    },
    close: () => store.close(),
  });
  return { wrapped, gate };
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

/**
 * Until the turn has asked the store for durability: a fixed pause was too short when the machine
 * was busy (two test suites at once), and the unreleased gate then held the turn past the hook's timeout.
 */
async function untilGateReached(gate: { calls: number }, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (gate.calls === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

function turn(url: string, user: string, content: string) {
  return fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, messages: [{ role: 'user', content }] }) });
}

it('holds the reply until the turn’s writes are durable', async () => {
  let gate!: ReturnType<typeof gatedStore>['gate'];
  server = await startTestServer({
    wrapStore: (store) => {
      const gated = gatedStore(store);
      gate = gated.gate;
      return gated.wrapped;
    },
  });
  let answered = false;
  const reply = turn(server.url, 'dana', 'add milk to my shopping list').then((r) => {
    answered = true;
    return r;
  });
  await untilGateReached(gate);
  // Reached, and still unanswered a moment later: the reply waits for the commit.
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(gate.calls).toBe(1);
  expect(answered).toBe(false);
  gate.release();
  const response = await reply;
  expect(response.status).toBe(200);
  expect(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toMatch(/milk/i);
});

it('answers 503 when the commit fails, and the assistant forgets its cached conversations', async () => {
  let gate!: ReturnType<typeof gatedStore>['gate'];
  let forgotten = 0;
  server = await startTestServer({
    wrapStore: (store) => {
      const gated = gatedStore(store);
      gate = gated.gate;
      return gated.wrapped;
    },
    wrap: (assistant) => ({
      handle: (input) => assistant.handle(input),
      claimDue: (user) => assistant.claimDue(user),
      forgetConversations: () => {
        forgotten += 1;
        assistant.forgetConversations();
      },
    }),
  });
  const reply = turn(server.url, 'eve', 'remind me to call mom tomorrow at 5pm');
  await untilGateReached(gate);
  gate.fail(new StoreError('STORE_LOCKED', 'test.sqlite', 'The commit failed.'));
  const response = await reply;
  expect(response.status).toBe(503);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  expect(forgotten).toBe(1);
});
