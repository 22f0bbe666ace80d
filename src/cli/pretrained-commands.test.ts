import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir, maxAbsDiff, reference } from '../import/__fixtures__/reference.js';
import { loadModel } from '../model/duet-model.js';
import { runCli } from './__fixtures__/capture-cli.js';

const TINY_ASSISTANT = join(import.meta.dirname, '__fixtures__', 'tiny-assistant.yml');

interface InspectJson {
  last_hidden_state: number[][];
  pooled?: number[];
  logits?: number[][];
}

describe('duet import / inspect / generate / train --base', () => {
  let work: string;
  let bert: string;
  let gpt2: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'duet-cli-pretrained-'));
    bert = join(work, 'bert');
    gpt2 = join(work, 'gpt2');
    const imported = await runCli('import', fixtureDir('bert-tiny'), '--out', bert);
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toMatch(/^Imported BertForMaskedLM \(bert, 23\.5k parameters, heads: pooler, maskedLm\) into .*; skipped 2 unused tensors \(cls\.seq_relationship\.bias, cls\.seq_relationship\.weight\)/);
    expect((await runCli('import', fixtureDir('gpt2-tiny'), '--out', gpt2)).exitCode).toBe(0);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('inspect --ids --json prints the reference hidden states, pooled output and MLM logits', async () => {
    for (const input of reference('bert-tiny').inputs) {
      const { stdout, exitCode } = await runCli('inspect', bert, '--ids', input.ids.join(','), '--segments', (input.token_type_ids ?? []).join(','), '--json');
      expect(exitCode).toBe(0);
      const out = JSON.parse(stdout) as InspectJson;
      expect(Object.keys(out).sort()).toEqual(['last_hidden_state', 'logits', 'pooled']);
      expect(maxAbsDiff(out.last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(out.pooled as number[], input.pooled as number[])).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(out.logits as number[][], input.logits as number[][])).toBeLessThanOrEqual(1e-4);
    }
  });

  it('inspect --text frames the text as BERT reads it: [CLS] pieces [SEP]', async () => {
    const input = reference('bert-tiny').inputs[0];
    const { stdout } = await runCli('inspect', bert, '--text', 'Hello, café world!', '--json');
    expect(maxAbsDiff((JSON.parse(stdout) as InspectJson).last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(1e-4);
    const table = await runCli('inspect', bert, '--text', 'Hello, café world!');
    expect(table.stdout).toMatch(/^tokens 7, width 32 \(bert\)/);
    expect(table.stdout).toContain('"[CLS]"');
    expect(table.stdout).toContain('"cafe"');
  });

  it('inspect on GPT-2 prints next-token logits and no pooled output', async () => {
    const input = reference('gpt2-tiny').inputs[0];
    const out = JSON.parse((await runCli('inspect', gpt2, '--ids', input.ids.join(','), '--json')).stdout) as InspectJson;
    expect(out.pooled).toBeUndefined();
    expect(maxAbsDiff(out.logits as number[][], input.logits as number[][])).toBeLessThanOrEqual(1e-4);
  });

  it('inspect --engine onnx prints the same JSON as tfjs (BERT and GPT-2), and export-onnx writes the graph', async () => {
    const input = reference('bert-tiny').inputs[1];
    const args = ['--ids', input.ids.join(','), '--segments', (input.token_type_ids ?? []).join(','), '--json'];
    const onnx = await runCli('inspect', bert, ...args, '--engine', 'onnx');
    expect(onnx.exitCode).toBe(0);
    const out = JSON.parse(onnx.stdout) as InspectJson;
    expect(Object.keys(out).sort()).toEqual(['last_hidden_state', 'logits', 'pooled']);
    expect(maxAbsDiff(out.last_hidden_state, input.last_hidden_state)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(out.pooled as number[], input.pooled as number[])).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(out.logits as number[][], input.logits as number[][])).toBeLessThanOrEqual(1e-4);
    const gpt = reference('gpt2-tiny').inputs[0];
    const gptOut = JSON.parse((await runCli('inspect', gpt2, '--ids', gpt.ids.join(','), '--json', '--engine', 'onnx')).stdout) as InspectJson;
    expect(maxAbsDiff(gptOut.logits as number[][], gpt.logits as number[][])).toBeLessThanOrEqual(1e-4);
    const file = join(work, 'gpt2.onnx');
    const exported = await runCli('export-onnx', gpt2, '--out', file, '--logits', '--cache');
    expect(exported.exitCode).toBe(0);
    expect(exported.stdout).toMatch(/^Wrote .*gpt2\.onnx .*inputs input_ids, attention_mask, past_key_0…past_value_1; outputs last_hidden_state, logits, present_key_0…present_value_1/);
    expect(existsSync(file)).toBe(true);
  });

  it('inspect refuses bad ids with a one-line error', async () => {
    let result = await runCli('inspect', bert, '--ids', '3,99999');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: token id 99999 is outside this model's vocabulary \(0\.\.\d+\)\n$/);
    result = await runCli('inspect', bert);
    expect(result.stderr).toMatch(/give exactly one of --ids and --text/);
  });

  it('generate continues a prompt greedily as the reference does', async () => {
    const { generation } = reference('gpt2-tiny');
    const { stdout, exitCode } = await runCli('generate', gpt2, 'the cat sat', '--max-tokens', '8', '--json');
    expect(exitCode).toBe(0);
    const out = JSON.parse(stdout) as { ids: number[]; text: string };
    expect(out.ids).toEqual(generation?.greedy_ids);
    const plain = await runCli('generate', gpt2, 'the cat sat', '--max-tokens', '8');
    expect(plain.stdout).toBe(`the cat sat${out.text}\n`);
    // Top-k sampling is seeded: the same seed, the same text.
    const a = await runCli('generate', gpt2, 'hello', '--top-k', '20', '--seed', '7', '--json');
    const b = await runCli('generate', gpt2, 'hello', '--top-k', '20', '--seed', '7', '--json');
    expect(JSON.parse(a.stdout).ids).toEqual(JSON.parse(b.stdout).ids);
    const onnx = await runCli('generate', gpt2, 'the cat sat', '--max-tokens', '8', '--json', '--engine', 'onnx');
    expect((JSON.parse(onnx.stdout) as { ids: number[] }).ids).toEqual(generation?.greedy_ids);
    // Top-p and the repetition penalty reach both engines; a tiny p is greedy.
    for (const engine of ['tfjs', 'onnx']) {
      const nucleus = await runCli('generate', gpt2, 'the cat sat', '--max-tokens', '8', '--top-k', '20', '--top-p', '0.000001', '--seed', '3', '--json', '--engine', engine);
      expect((JSON.parse(nucleus.stdout) as { ids: number[] }).ids, engine).toEqual(generation?.greedy_ids);
      const penalized = await runCli('generate', gpt2, 'the cat sat', '--max-tokens', '8', '--repetition-penalty', '1000', '--json', '--engine', engine);
      const ids = (JSON.parse(penalized.stdout) as { ids: number[] }).ids;
      expect(ids, engine).not.toEqual(generation?.greedy_ids);
      expect(ids.slice(1).every((id, i) => !ids.slice(0, i + 1).includes(id)), engine).toBe(true);
    }
    const badP = await runCli('generate', gpt2, 'hello', '--top-p', '2');
    expect(badP.stderr).toMatch(/^error: top-p must be above 0 and at most 1, got 2/);
    expect(badP.exitCode).toBe(1);
    const bertResult = await runCli('generate', bert, 'hello');
    expect(bertResult.stderr).toMatch(/has no language-model head: generation needs an imported GPT-2/);
  });

  it('import reports a bad checkpoint in one line and writes nothing', async () => {
    const out = join(work, 'never');
    const { stderr, exitCode } = await runCli('import', work, '--out', out);
    expect(exitCode).toBe(1);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${work}: has no config.json: it is not a Hugging Face checkpoint folder (download config.json with the weights)`);
    expect(existsSync(out)).toBe(false);
  });

  it('train --base --freeze-backbone fine-tunes heads over the imported BERT and its tokenizer', async () => {
    const out = join(work, 'assistant');
    const { exitCode, stdout } = await runCli('train', TINY_ASSISTANT, '--base', bert, '--freeze-backbone', '--epochs', '3', '--sentence-buckets', '1024', '--out', out, '--quiet');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^Saved .*: 3 epochs/);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(saved.pretrained.family).toBe('bert');
    expect(saved.config.backbone).toMatchObject({ dModel: 32, norm: 'post', activation: 'gelu_erf', tokenFeatureBuckets: 0 });
    const model = await loadModel(out);
    const vocab = readFileSync(join(fixtureDir('bert-tiny'), 'vocab.txt'), 'utf8').split('\n');
    const encoded = await model.encode('weather in paris');
    expect(encoded.ids[0]).toBe(vocab.indexOf('[CLS]'));
    expect(encoded.ids[encoded.ids.length - 1]).toBe(vocab.indexOf('[SEP]'));
    const understood = await model.understand('weather in paris');
    expect(['greet', 'weather', 'goodbye']).toContain(understood.intent);
    model.dispose();
    // The fine-tuned folder still carries the pretrained heads: inspect shows them.
    const inspected = JSON.parse((await runCli('inspect', out, '--ids', '3,10,4', '--json')).stdout) as InspectJson;
    expect(inspected.pooled).toHaveLength(32);
    expect(inspected.logits?.[0]).toHaveLength(vocab.length - 1);
  });

  it('train refuses shape flags with --base and --freeze-backbone without it', async () => {
    let result = await runCli('train', TINY_ASSISTANT, '--base', bert, '--width', '64', '--out', join(work, 'x'), '--quiet');
    expect(result.stderr).toMatch(/--width cannot be combined with --base/);
    result = await runCli('train', TINY_ASSISTANT, '--freeze-backbone', '--out', join(work, 'x'), '--quiet');
    expect(result.stderr).toMatch(/--freeze-backbone needs --base/);
    result = await runCli('train', TINY_ASSISTANT, '--base', TINY_ASSISTANT, '--out', join(work, 'x'), '--quiet');
    expect(result.exitCode).toBe(1);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });
});
