import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { demoModelPath } from './chat-command.js';

const runner = fileURLToPath(new URL('./__fixtures__/run-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'duet-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `duet chat --jsonl` in a child process, fed `lines` on stdin. */
function chat(lines: string[], ...flags: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', runner, 'chat', '--jsonl', ...flags], {
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    timeout: 60_000,
  });
  const out = result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { out, stderr: result.stderr, status: result.status };
}

describe.runIf(existsSync(join(demoModelPath(), 'config.json')))('duet chat --jsonl with the shipped demo', () => {
  const store = join(dir, 'chat.sqlite');
  const clock = ['--now', '2026-11-25T10:00:00+01:00', '--tz', 'Europe/Paris', '--store', store];

  it('answers one JSON line per turn, with ISO-8601 times in the zone, and keeps going after a bad line', () => {
    const { out, status } = chat(
      [JSON.stringify({ text: 'remind me to call mom tomorrow at 5pm', user: 'alice' }), 'not json', JSON.stringify({ text: 'what is 12 times 7 plus 3' })],
      ...clock,
    );
    expect(status).toBe(0);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({
      intent: 'set_reminder',
      action: { skill: 'reminders.create', status: 'done', args: { when: '2026-11-26T17:00:00+01:00' } },
    });
    expect(typeof out[0].reply).toBe('string');
    expect(typeof out[0].confidence).toBe('number');
    expect(out[1]).toEqual({ error: expect.stringContaining('line 2: not JSON') });
    expect(out[2]).toMatchObject({ action: { skill: 'calculator.evaluate', status: 'done', result: { value: 87 } } });
  });

  it('keeps what it did in the store across runs, per user', () => {
    const { out } = chat([JSON.stringify({ text: 'what are my reminders', user: 'alice' }), JSON.stringify({ text: 'what are my reminders', user: 'bob' })], ...clock);
    expect(out[0].reply).toContain('call mom');
    expect(out[1].reply).not.toContain('call mom');
  });

  it('refuses a store file that is not a database, naming it, and leaves it untouched', () => {
    const bad = join(dir, 'corrupt.sqlite');
    writeFileSync(bad, 'this is not a database '.repeat(200));
    const { status, stderr } = chat([JSON.stringify({ text: 'hi' })], '--store', bad);
    expect(status).toBe(1);
    expect(stderr).toContain(bad);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('rejects a clock that is not ISO-8601', () => {
    const { status, stderr } = chat([], '--now', 'yesterday-ish', '--store', store);
    expect(status).toBe(1);
    expect(stderr).toContain('--now');
  });
});

const shippedRanker = fileURLToPath(new URL('../../models/duet-chat-ranker', import.meta.url));

describe.runIf(existsSync(join(demoModelPath(), 'config.json')) && existsSync(join(shippedRanker, 'config.json')))('duet chat --jsonl --chat with the shipped chat ranker', () => {
  it('answers an out-of-scope message with a reply from the index, and still runs a task as a task', async () => {
    const { loadResponseIndex } = await import('../dialogue/chatter.js');
    const index = new Set(loadResponseIndex(shippedRanker).texts);
    const store = join(dir, 'small-talk.sqlite');
    const { out, status } = chat(
      [JSON.stringify({ text: 'what did you think of the football game last night?' }), JSON.stringify({ text: 'remind me to call mom tomorrow at 5pm' })],
      '--chat', shippedRanker, '--chat-min-score', '0', '--store', store, '--now', '2026-11-25T10:00:00Z',
    );
    expect(status).toBe(0);
    expect(out[0]).toMatchObject({ intent: 'out_of_scope', chat: { source: 'retrieval' } });
    expect(index.has(out[0].reply as string)).toBe(true);
    expect(out[1]).toMatchObject({ intent: 'set_reminder', action: { status: 'done' } });
    expect(out[1]).not.toHaveProperty('chat');
  });

  it('is the demo\'s default: small talk for chat, a refusal for a request the gate catches, none with --no-chat', () => {
    const store = join(dir, 'default-chat.sqlite');
    const turns = [JSON.stringify({ text: 'what do you think about football?', user: 'carol' }), JSON.stringify({ text: 'book me a flight to Paris', user: 'carol' })];
    const { out, status } = chat(turns, '--store', store, '--now', '2026-11-25T10:00:00Z');
    expect(status).toBe(0);
    expect(out[0]).toMatchObject({ intent: 'out_of_scope', chat: { source: 'retrieval' } });
    // Out of scope too, but a request: declined with what the demo can do, not a promise from a stranger's dialogue.
    expect(out[1]).toMatchObject({ intent: 'out_of_scope' });
    expect(out[1]).not.toHaveProperty('chat');
    expect(out[1].reply).toMatch(/^Sorry, I can't help with that\. I can /);

    const off = chat([JSON.stringify({ text: 'what do you think about football?', user: 'dave' })], '--no-chat', '--store', store, '--now', '2026-11-25T10:00:00Z');
    expect(off.out[0]).toMatchObject({ intent: 'out_of_scope' });
    expect(off.out[0]).not.toHaveProperty('chat');
    expect(off.out[0].reply).toMatch(/^Sorry, I can't help with that/);
  });

  it('names the missing file when the folder has no response index', () => {
    const empty = join(dir, 'no-index');
    mkdirSync(empty);
    const { stderr, status } = chat([JSON.stringify({ text: 'hi' })], '--chat', empty);
    expect(status).toBe(1);
    expect(stderr).toMatch(/response-index\.json is missing/);
  });
});
