import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../data/datasets/files.js';
import { runCli } from './__fixtures__/capture-cli.js';
import { NO_DUET_RANKER_NOTE, NO_GENERATOR_NOTE, parseChatDatasets, runChatBenchCommand } from './chat-bench-command.js';

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
    expect(written.notes).toContain(NO_GENERATOR_NOTE);
    expect(written).not.toHaveProperty('perplexity');
  });

  // Topical-Chat only: the DailyDialog examples are built for generation all the same.
  it.runIf(existsSync(join(resolveDataDir(), 'topical-chat')))('with a generator, adds perplexity, distinct-n and the generation figures on the same DailyDialog examples', async () => {
    const contexts: string[][] = [];
    const generator = {
      name: 'fake',
      model: {
        tokenizerDescription: 'fake pieces',
        async logProbOf(context: string[], response: string) {
          contexts.push(context);
          return { logProbSum: -2 * (response.split(' ').length + 1), tokens: response.split(' ').length + 1 };
        },
        async reply() {
          return { text: 'i see', tokens: 2, ended: true };
        },
      },
    };
    const write = process.stdout.write;
    let stdout = '';
    process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
    const errWrite = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    let output;
    try {
      output = await runChatBenchCommand({ datasets: 'topical-chat', examples: 12, seed: 1, generationExamples: 5 }, 'test machine', [], generator);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
    expect(output.perplexity).toBeCloseTo(Math.exp(2), 2);
    // Five replies "i see": 2 distinct words of 10, 1 distinct bigram of 5.
    expect(output.distinct1).toBe(0.2);
    expect(output.distinct2).toBe(0.2);
    expect(output.generation).toMatchObject({ model: 'fake', dataset: 'DailyDialog test', examples: 5, tokenizer: 'fake pieces', mean_tokens: 2, ended_share: 1 });
    expect(contexts).toHaveLength(5);
    expect(output.notes.join('\n')).toMatch(/Generation: fake on 5 of the DailyDialog test contexts.*not comparable with word-level perplexities/);
    expect(stdout).toMatch(/generation by fake on DailyDialog test, 5 contexts:\n {2}perplexity 7\.39 per token/);
    expect(JSON.parse(stdout.trimEnd().split('\n').at(-1) as string)).toMatchObject({ perplexity: output.perplexity, distinct2: 0.2, results: expect.any(Array) });
  });
});
