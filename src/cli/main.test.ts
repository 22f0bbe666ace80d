import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/capture-cli.js';


describe('duet CLI errors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'duet-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file, line and column of an invalid definition and writes no model', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'assistant: x\nintents:\n  greet:\n    examples: [hi, hello]\n    respnse: utter_hi\n');
    const out = join(dir, 'model');
    const { stderr, exitCode } = await runCli('train', file, '--out', out, '--quiet');
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:5: .*respnse`));
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('explains an unknown dataset name', async () => {
    const { stderr, exitCode } = await runCli('train', 'clinc999', '--out', join(dir, 'm'), '--quiet');
    expect(exitCode).toBe(1);
    expect(stderr).toContain('clinc999');
    expect(stderr).toContain('clinc150');
  });

  it('refuses a model folder that is missing files', async () => {
    const model = join(dir, 'model');
    writeFileSync(join(dir, 'placeholder'), '');
    const { stderr, exitCode } = await runCli('eval', model, '--data', 'snips');
    expect(exitCode).toBe(1);
    expect(stderr).toContain(model);
    expect(stderr).toMatch(/does not exist|missing/);
  });

  it('rejects an unknown split name', async () => {
    const { stderr, exitCode } = await runCli('eval', dir, '--data', 'snips', '--split', 'dev2');
    expect(exitCode).toBe(1);
    expect(stderr).toContain('--split');
  });
});

describe('duet train --context', () => {
  it('trains a memory-mode model whose folder records the mode and whose model returns a memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-cli-context-'));
    try {
      const definition = join(import.meta.dirname, '__fixtures__', 'tiny-assistant.yml');
      const out = join(dir, 'model');
      const args = ['--epochs', '3', '--layers', '1', '--width', '32', '--heads', '2', '--token-buckets', '256', '--sentence-buckets', '512', '--quiet'];
      const train = await runCli('train', definition, '--out', out, '--context', 'memory', ...args);
      expect(train.exitCode).toBe(0);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { config: { backbone: { contextMode?: string; wordVectors?: string } } };
      expect(config.config.backbone.contextMode).toBe('memory');
      expect(config.config.backbone.wordVectors).toBe('glove-6b-100d'); // on by default
      const { loadModel } = await import('../model/duet-model.js');
      const model = await loadModel(out);
      try {
        const first = await model.understand('hello there');
        expect(first.memory).toHaveLength(model.memoryShape![0] * model.memoryShape![1]);
        const next = await model.understand('weather in paris', { history: [{ speaker: 'assistant', text: 'Hello!' }], memory: first.memory });
        expect(next.slots.map((s) => s.text).every((t) => 'weather in paris'.includes(t))).toBe(true);
      } finally {
        model.dispose();
      }
      const withBase = await runCli('train', definition, '--out', join(dir, 'base'), '--context', 'concat', '--base', join(dir, 'no-such-base'), '--quiet');
      expect(withBase.exitCode).toBe(1);
      expect(withBase.stderr).toMatch(/--context cannot be combined with --base/);
      expect(existsSync(join(dir, 'base'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('duet train and eval end to end', () => {
  it('trains a definition, saves a model folder, and evaluates it as table, JSON and HTML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-cli-e2e-'));
    try {
      const definition = join(import.meta.dirname, '__fixtures__', 'tiny-assistant.yml');
      const out = join(dir, 'model');
      const train = await runCli('train', definition, '--out', out, '--epochs', '8', '--layers', '1', '--width', '32', '--heads', '2', '--quiet');
      expect(train.exitCode).toBe(0);
      expect(train.stdout).toContain(`Saved ${out}`);
      for (const file of ['model.safetensors', 'config.json', 'tokenizer.json', 'metrics.json', 'assistant.json']) {
        expect(existsSync(join(out, file))).toBe(true);
      }
      const html = join(dir, 'report.html');
      const evaluation = await runCli('eval', out, '--data', definition, '--split', 'test', '--json', '--html', html);
      expect(evaluation.exitCode).toBe(0);
      const report = JSON.parse(evaluation.stdout) as { examples: number; intentAccuracy: number; slots: { f1: number }; inferMsP50: number; engine: string };
      expect(report.examples).toBe(24);
      // A loaded model answers on onnxruntime (installed with the package).
      expect(report.engine).toBe('onnx');
      expect(report.intentAccuracy).toBeGreaterThan(0.5);
      expect(report.inferMsP50).toBeGreaterThan(0);
      expect(readFileSync(html, 'utf8')).toContain('<svg');
      const table = await runCli('eval', out, '--data', definition);
      expect(table.stdout).toMatch(/Intent accuracy\s+\d+\.\d+%/);
      const plain = join(dir, 'plain');
      expect((await runCli('train', definition, '--out', plain, '--epochs', '1', '--layers', '1', '--width', '32', '--heads', '2', '--no-word-vectors', '--quiet')).exitCode).toBe(0);
      const backbone = (JSON.parse(readFileSync(join(plain, 'config.json'), 'utf8')) as { config: { backbone: Record<string, unknown> } }).config.backbone;
      expect(backbone).not.toHaveProperty('wordVectors');
      expect(JSON.stringify(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')))).toContain('"wordVectors":"glove-6b-100d"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
