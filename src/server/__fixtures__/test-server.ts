// A real server for tests: the shipped demo model, a SQLite store in a temp folder, a clock the test moves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { demoModelPath, loadAssistantModel } from '../../cli/chat-command.js';
import { Assistant, type Chatter } from '../../dialogue/assistant.js';
import type { DuetModel } from '../../model/duet-model.js';
import { builtinSkills } from '../../skills/index.js';
import type { ApiKeyStore } from '../../store/api-keys.js';
import type { Store } from '../../store/types.js';
import { openSqliteApiKeys } from '../../store/sqlite-api-keys.js';
import { openSqliteStore } from '../../store/sqlite-store.js';
import { buildApp, type AppDeps } from '../app.js';
import type { ServedAssistant } from '../context.js';

export const MODEL_ID = 'duet-demo';

let loaded: Promise<Awaited<ReturnType<typeof loadAssistantModel>>> | undefined;
/** The demo model, loaded once per test file. */
export function demoModel(): Promise<{ model: DuetModel; definition: Assistant['definition'] }> {
  loaded ??= loadAssistantModel(demoModelPath());
  return loaded;
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  assistant: Assistant;
  keys: ApiKeyStore;
  store: Store;
  storePath: string;
  clock: { now: Date };
  /** Shuts the server down (if the test did not) and removes the temp folder. */
  dispose(): Promise<void>;
}

/**
 * Starts a server on an ephemeral loopback port. `wrap` lets a test put something between the
 * server and the assistant (a delay, a failure); `deps` overrides the app's.
 */
export async function startTestServer(
  options: {
    wrap?: (assistant: Assistant) => ServedAssistant;
    /** Puts something between the server and the store (the assistant writes to the store itself). */
    wrapStore?: (store: Store) => Store;
    deps?: Partial<AppDeps>;
    setup?: (keys: ApiKeyStore) => void;
    /** Small talk for out-of-scope turns (none by default). */
    chatter?: Chatter;
  } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-server-'));
  const storePath = join(dir, 'duet.sqlite');
  const { model, definition } = await demoModel();
  const clock = { now: new Date('2026-11-25T10:00:00Z') };
  const store = openSqliteStore(storePath);
  const keys = openSqliteApiKeys(storePath);
  options.setup?.(keys);
  const assistant = new Assistant({ understander: model, definition, skills: builtinSkills, store, timeZone: 'UTC', now: () => clock.now, ...(options.chatter && { chatter: options.chatter }) });
  const app = buildApp({
    assistant: options.wrap ? options.wrap(assistant) : assistant,
    store: options.wrapStore ? options.wrapStore(store) : store,
    keys,
    modelId: definition.name,
    now: () => clock.now,
    ...options.deps,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url,
    assistant,
    keys,
    store,
    storePath,
    clock,
    async dispose() {
      await app.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
