/**
 * Clients that disconnect mid-stream: 1,000 streamed completions against a real server, each
 * aborted after its first chunk. Afterwards no turn is left running or queued, the heap and the
 * tfjs tensor count are steady, and the server still answers.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assistant } from '../dialogue/assistant.js';
import { tensorMemory } from '../model/backend.js';
import { startTestServer, type TestServer } from './__fixtures__/test-server.js';

const STREAMS = 1000;
// 20 clients over 10 conversations, so turns of one conversation wait behind each other in the queue.
const CONCURRENCY = 20;
const TEXTS = ['hello', 'what time is it in Tokyo', 'add eggs to my shopping list', 'what is 12 times 7', 'remind me to water the plants tomorrow at 9am'];

// A full collection between measurements: expose gc for this worker (vitest runs it without --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let server: TestServer;
/** Turns inside `Assistant.handle` right now, and how many started and ended. */
const turns = { running: 0, started: 0, ended: 0 };

beforeAll(async () => {
  server = await startTestServer({
    deps: { limits: { rateLimit: { requests: 0, windowMs: 60_000 }, shutdownGraceMs: 30_000 } },
    wrap: (assistant: Assistant) => ({
      claimDue: (...args: Parameters<Assistant['claimDue']>) => assistant.claimDue(...args),
      async handle(input) {
        turns.running += 1;
        turns.started += 1;
        try {
          return await assistant.handle(input);
        } finally {
          turns.running -= 1;
          turns.ended += 1;
        }
      },
    }),
  });
});
afterAll(() => server?.dispose());

/** Opens a streamed completion, reads its first chunk, aborts. */
async function openAndAbort(i: number): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: `u${i % 10}`, stream: true, messages: [{ role: 'user', content: TEXTS[i % TEXTS.length] }] }),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const first = await reader.read();
  controller.abort();
  await reader.cancel().catch(() => undefined);
  return new TextDecoder().decode(first.value);
}

async function run(count: number): Promise<void> {
  let next = 0;
  const firsts: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) firsts.push(await openAndAbort(next++));
    }),
  );
  expect(firsts.length).toBe(count);
  for (const first of firsts) expect(first).toMatch(/^data: \{"id":"chatcmpl-/);
}

/** Waits for the turns still running to end, lets sockets close, and collects garbage. */
async function settle(): Promise<{ heapUsed: number; numTensors: number }> {
  const until = Date.now() + 10_000;
  while (turns.running > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return { heapUsed: process.memoryUsage().heapUsed, numTensors: tensorMemory().numTensors };
}

describe('client disconnect mid-stream', () => {
  it(`stops the work and leaks nothing across ${STREAMS} aborted streams`, async () => {
    await run(100); // warm-up: JIT, connection pools, the first turns of each conversation
    const before = await settle();
    const t0 = Date.now();
    await run(STREAMS);
    const elapsed = Date.now() - t0;
    const after = await settle();

    expect(turns.running).toBe(0);
    expect(turns.ended).toBe(turns.started);
    const growthMb = (after.heapUsed - before.heapUsed) / 2 ** 20;
    expect(growthMb).toBeLessThan(30);
    expect(after.numTensors).toBe(before.numTensors);

    // The server still answers (u2's turns that ran added eggs to its list).
    const answer = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'u2', messages: [{ role: 'user', content: 'what is on my shopping list' }] }),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0].message.content).toContain('eggs');

    // No turn is left queued: a graceful shutdown, which waits for queued and running turns (grace 30 s), returns at once.
    const s0 = Date.now();
    await server.app.shutdown();
    const shutdownMs = Date.now() - s0;
    expect(shutdownMs).toBeLessThan(2000);
    console.log(
      `aborted streams: ${STREAMS} in ${elapsed} ms; turns run ${turns.started} (of ${STREAMS + 101} requests); ` +
        `heap ${(before.heapUsed / 2 ** 20).toFixed(1)} -> ${(after.heapUsed / 2 ** 20).toFixed(1)} MB (${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(2)} MB); ` +
        `tensors ${before.numTensors} -> ${after.numTensors}; shutdown ${shutdownMs} ms`,
    );
  });
});
