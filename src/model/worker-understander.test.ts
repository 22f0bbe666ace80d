import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelPath } from '../cli/chat-command.js';
import { loadModel, type DuetModel } from './duet-model.js';
import { WorkerUnderstander } from './worker-understander.js';

const TEXTS = [
  'remind me to call mom tomorrow at 5pm',
  'add milk and eggs to my shopping list',
  'what is 12 times 7 plus 3',
  'hi there',
  'convert 10 miles to km',
  'what time is it in Tokyo',
  "what's on my shopping list",
  'set a timer for 10 minutes',
];

describe('WorkerUnderstander (the demo model on its own thread)', () => {
  let local: DuetModel;
  let thread: WorkerUnderstander;
  beforeAll(async () => {
    local = await loadModel(demoModelPath());
    thread = await WorkerUnderstander.start(demoModelPath(), { maxBatch: 16, answersPerTick: 3 });
  });
  afterAll(async () => {
    local?.dispose();
    await thread?.close();
  });

  it('understands concurrent utterances exactly as the model does in-process, each answer to its own caller', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => TEXTS[(i * 3) % TEXTS.length]);
    const before = { ...thread.stats };
    const fromThread = await Promise.all(texts.map((t) => thread.understand(t)));
    const expected = await local.understandBatch(texts);
    expect(fromThread).toEqual(expected);
    // 40 utterances asked in one turn of the loop go as few batches of at most 16, not 40 single ones.
    expect(thread.stats.utterances - before.utterances).toBe(40);
    expect(thread.stats.batches - before.batches).toBe(3);
  });

  it('reads a required slot the same way', async () => {
    const text = 'add beer to my list';
    expect(await thread.understandRequiring(text, 'item')).toEqual(await local.understandRequiring(text, 'item'));
  });

  it('fails calls after close with a clear error', async () => {
    const other = await WorkerUnderstander.start(demoModelPath());
    // Asked, and closed before the batch went out: the caller hears why.
    const pending = other.understand('hi there').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await other.close();
    expect(await pending).toMatch(/model thread was closed/);
    await expect(other.understand('hi there')).rejects.toThrow(/model thread was closed/);
  });
});

it('WorkerUnderstander.start names the folder it could not load', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'duet-worker-'));
  try {
    await expect(WorkerUnderstander.start(empty)).rejects.toThrow(empty);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
