import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../data/datasets/files.js';
import { runCli } from './__fixtures__/capture-cli.js';
import { NO_DUET_RANKER_NOTE, parseChatDatasets } from './chat-bench-command.js';

describe('parseChatDatasets', () => {
  it('reads a comma-separated list and names the valid datasets for an unknown one', () => {
    expect(parseChatDatasets('dailydialog, topical-chat')).toEqual(['dailydialog', 'topical-chat']);
    expect(() => parseChatDatasets('dailydialog,persona')).toThrow(/'persona'.*valid: dailydialog, topical-chat/);
  });

  it('is a one-line CLI error, exit code 1', async () => {
    const { stderr, exitCode } = await runCli('bench', 'chat', '--datasets', 'nope');
    expect(stderr).toMatch(/^error: Unknown chat benchmark dataset\(s\) 'nope'/);
    expect(exitCode).toBe(1);
  });
});

describe.runIf(existsSync(join(resolveDataDir(), 'dailydialog')))('duet bench chat on the real data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-chat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the table and the JSON, and says that Duet\'s ranker did not run', async () => {
    const out = join(dir, 'chat.json');
    const { stdout, stderr, exitCode } = await runCli('bench', 'chat', '--datasets', 'dailydialog', '--examples', '20', '--json', out);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/dataset\s+system\s+R@1\/100 %\s+R@1\/10 %\s+examples/);
    expect(stdout).toContain(NO_DUET_RANKER_NOTE);
    expect(stderr).toMatch(/DailyDialog test: \d+ of 1000 dialogues.*20 of \d+ contexts/);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.results.map((r: { system: string }) => r.system)).toEqual(['BM25', 'TF-IDF']);
    expect(written.results[0]).toEqual({ dataset: 'dailydialog', system: 'BM25', r1_at_100: expect.any(Number), r1_at_10: expect.any(Number), examples: 20 });
    expect(written.notes).toContain(NO_DUET_RANKER_NOTE);
  });
});
