import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './__fixtures__/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ deps: { limits: { rateLimit: { requests: 0, windowMs: 60_000 } } } });
});
afterAll(() => server?.dispose());

/** Mostly `valid`, sometimes `wrong`: a body then has a fair chance to be right in every field but one. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: wrong, weight: 1 });

const message = fc.record(
  {
    role: mostly(fc.constant('user'), fc.constantFrom('assistant', 'system', 'tool', 'robot', '', 42, null)),
    content: mostly(fc.constantFrom('hi', 'what is 2 plus 2', 'add tea to my list'), fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null), fc.integer(), fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 7), text: fc.oneof(fc.string(), fc.integer()) }), { maxLength: 2 }))),
  },
  { requiredKeys: [] },
);
/** Bodies shaped like chat requests, with any field sometimes wrong or missing. */
const nearlyValid = fc.record(
  {
    model: mostly(fc.constant('duet-demo'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer())),
    messages: mostly(fc.array(message, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), fc.string(), fc.constant(null))),
    stream: mostly(fc.boolean(), fc.string({ maxLength: 3 })),
    stream_options: mostly(fc.record({ include_usage: fc.boolean() }), fc.oneof(fc.constant(null), fc.record({ include_usage: fc.integer() }))),
    user: mostly(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.string({ maxLength: 10 }), fc.integer())),
    n: mostly(fc.constant(1), fc.integer()),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  nearlyValid.map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
);

describe('random and malformed request bodies', () => {
  it('never get a 5xx, and every error is in the documented shape', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('/v1/chat/completions', '/webhooks/rest/webhook'), async (payload, url) => {
        const response = await server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) {
          const error = (response.json() as { error: Record<string, unknown> }).error;
          expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
        }
      }),
      // 2,000 in `npm test`; DUET_FUZZ_RUNS=10000 for the issue's figure (about 4× as long).
      { numRuns: Number(process.env.DUET_FUZZ_RUNS ?? 2000), seed: 6 },
    );
    // The generators reach the turn as well as every validation error.
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect(statuses.get(400)).toBeGreaterThan(200);
    console.log(`fuzz: ${[...statuses].map(([status, n]) => `${status}×${n}`).join(' ')}`);
  }, 120_000);
});
