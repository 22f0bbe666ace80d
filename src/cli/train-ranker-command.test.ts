import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../data/datasets/files.js';
import { loadResponseIndex } from '../dialogue/chatter.js';
import { CHAT_RANKER_FILES, isChatRankerFolder } from '../model/chat-ranker.js';
import { runCli } from './__fixtures__/capture-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-train-ranker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A few hundred pairs and a handful of validation contexts: the pipeline, not the figure (docs/pretraining.md has that).
describe.runIf(existsSync(join(resolveDataDir(), 'dailydialog')))('duet train-ranker, then bench chat --ranker and index-responses on its folder', () => {
  const out = join(dir, 'ranker');

  it('trains, keeps the best validation epoch, writes weights, config, card and a response index', async () => {
    const { stderr, exitCode } = await runCli('train-ranker', '--out', out, '--max-pairs', '300', '--validation-examples', '5', '--batch-size', '64', '--epochs', '2', '--hidden', '16', '--index-size', '40', '--gate-per-source', '16');
    expect(exitCode).toBe(0);
    expect(stderr).toMatch(/300 DailyDialog train pairs, 5 validation contexts/);
    expect(stderr).toMatch(/epoch 2 loss \d+\.\d+ validation R@1\/100/);
    expect(isChatRankerFolder(out)).toBe(true);
    const config = JSON.parse(readFileSync(join(out, CHAT_RANKER_FILES.config), 'utf8'));
    expect(config).toMatchObject({ contextTurns: 3, hidden: 16, training: { pairs: 300, validation: { examples: 5 } } });
    expect(config.training.history.map((e: { epoch: number }) => e.epoch)).toEqual([0, 1, 2]);
    // The request gate: up to 16 messages from each of nine sources, its threshold chosen on validation.
    expect(config.requestGate).toMatchObject({ hidden: 256, training: { examples: 16 * 9 } });
    expect(config.requestGate.threshold).toBeGreaterThan(0);
    expect(config.requestGate.threshold).toBeLessThan(1);
    expect(Object.keys(config.requestGate.training.validation.bySource).sort()).toEqual(
      ['atis', 'banking77', 'chatterbot-corpus', 'clinc150', 'clinc150-small-talk', 'dailydialog', 'microsoft-chitchat', 'sgd', 'snips'],
    );
    expect(stderr).toMatch(/request gate: threshold \d\.\d+, validation balanced accuracy/);
    const card = readFileSync(join(out, CHAT_RANKER_FILES.card), 'utf8');
    expect(card).toMatch(/CC BY-NC-SA 4\.0/);
    expect(card).toMatch(/frozen/);
    expect(card).toMatch(/## Request gate/);
    expect(loadResponseIndex(out).texts).toHaveLength(40);
  }, 120_000);

  it('is ranked by bench chat beside BM25 and TF-IDF, and its small-talk turn is timed', async () => {
    const { stdout, exitCode } = await runCli('bench', 'chat', '--datasets', 'dailydialog', '--examples', '5', '--ranker', out, '--index-size', '30');
    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(json.results.map((r: { system: string }) => r.system)).toEqual(['BM25', 'TF-IDF', 'duet chat ranker (ranker)']);
    expect(json.chat_turn).toMatchObject({ index_size: 30, examples: 5 });
    expect(json.notes.join(' ')).not.toMatch(/not wired/);
  }, 120_000);

  it('bench gate scores its request gate on test messages beside nlp.js trained on the same messages', async () => {
    const { stdout, exitCode } = await runCli('bench', 'gate', '--ranker', out, '--per-source', '4');
    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout.trim().split('\n').pop() as string);
    // Seven sources have a test split; four messages from each.
    expect(json.test).toMatchObject({ messages: 28, by_source: { clinc150: 4, 'clinc150-small-talk': 4, dailydialog: 4, sgd: 4 } });
    expect(json.results.map((r: { system: string }) => r.system)).toEqual(['duet', 'nlp.js']);
    for (const row of json.results) {
      expect(row.balanced_accuracy).toBeCloseTo((row.request_recall + row.small_talk_recall) / 2, 3);
      expect(Object.keys(row.by_source)).toHaveLength(7);
    }
    expect(stdout).toMatch(/\| system \| balanced % \|/);
  }, 120_000);

  it('index-responses rebuilds the folder\'s index with its ranker', async () => {
    const { stderr, exitCode } = await runCli('index-responses', out, '--max', '25');
    expect(exitCode).toBe(0);
    expect(stderr).toMatch(/with the chat ranker/);
    expect(loadResponseIndex(out).texts).toHaveLength(25);
  }, 120_000);
});
