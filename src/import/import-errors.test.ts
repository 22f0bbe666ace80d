import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointImportError } from '../errors.js';
import { fixtureDir } from './__fixtures__/reference.js';
import { importCheckpoint } from './import-checkpoint.js';

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;

/** Rewrite a safetensors file's JSON header, keeping its data bytes. */
function rewriteHeader(file: string, edit: (header: Header) => void, keepBytes?: (data: Buffer) => Buffer): void {
  const buffer = readFileSync(file);
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as Header;
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const data = buffer.subarray(8 + length);
  writeFileSync(file, Buffer.concat([prefix, json, keepBytes ? keepBytes(data) : data]));
}

function editJson(file: string, edit: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(value);
  writeFileSync(file, JSON.stringify(value));
}

describe('importing what cannot be imported', () => {
  let work: string;
  let counter = 0;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'duet-import-errors-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A copy of a fixture with one thing broken. */
  function broken(fixture: string, breakIt: (dir: string) => void): string {
    const dir = join(work, `case-${++counter}`);
    cpSync(fixtureDir(fixture), dir, { recursive: true });
    breakIt(dir);
    return dir;
  }

  /** The import fails with a CheckpointImportError about `file`, and writes nothing. */
  function expectRefused(dir: string, file: string, message: RegExp): void {
    const out = join(work, `out-${counter}`);
    let error: unknown;
    try {
      importCheckpoint(dir, out);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointImportError);
    const e = error as CheckpointImportError;
    expect(e.code).toBe('CHECKPOINT_IMPORT_FAILED');
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}: `)).toBe(true);
    expect(e.problem).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }

  it('a path that is not a folder', () => {
    const missing = join(work, 'nowhere');
    expectRefused(missing, missing, /is not a folder/);
  });

  it('a folder that is not a checkpoint (no config.json)', () => {
    const dir = join(work, 'empty');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    expectRefused(dir, dir, /has no config\.json: it is not a Hugging Face checkpoint folder/);
  });

  it('weights only in PyTorch pickle format', () => {
    const dir = broken('bert-tiny', (d) => {
      rmSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, 'pytorch_model.bin'), 'not read');
    });
    expectRefused(dir, dir, /has no model\.safetensors: it has pytorch_model\.bin, which Duet does not read/);
  });

  it('a truncated safetensors file', () => {
    const dir = broken('bert-tiny', (d) => {
      const bytes = readFileSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, 'model.safetensors'), bytes.subarray(0, bytes.length - 1000));
    });
    expectRefused(dir, join(dir, 'model.safetensors'), /not a readable safetensors file: tensor .+ points outside the file/);
  });

  it('a file cut inside its header', () => {
    const dir = broken('gpt2-tiny', (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 100)));
    expectRefused(dir, join(dir, 'model.safetensors'), /header length exceeds the file size/);
  });

  it('a header that lies about a tensor\'s size', () => {
    const dir = broken('bert-tiny', (d) =>
      rewriteHeader(join(d, 'model.safetensors'), (h) => {
        (h['bert.pooler.dense.bias'] as { shape: number[] }).shape = [64];
      }),
    );
    expectRefused(dir, join(dir, 'model.safetensors'), /tensor bert\.pooler\.dense\.bias: 32 values for shape \[64\]/);
  });

  it('a dtype Duet cannot handle', () => {
    const dir = broken('gpt2-tiny', (d) =>
      rewriteHeader(join(d, 'model.safetensors'), (h) => {
        (h['wpe.weight'] as { dtype: string }).dtype = 'I32';
      }),
    );
    expectRefused(dir, join(dir, 'model.safetensors'), /tensor wpe\.weight has unsupported dtype I32 \(supported: F32, F16, BF16\)/);
  });

  it('a missing tensor', () => {
    const dir = broken('bert-tiny', (d) =>
      rewriteHeader(join(d, 'model.safetensors'), (h) => {
        delete h['bert.encoder.layer.1.output.dense.weight'];
      }),
    );
    expectRefused(dir, join(dir, 'model.safetensors'), /missing tensor bert\.encoder\.layer\.1\.output\.dense\.weight \(expected shape \[32,48\]\)/);
  });

  it('a tensor whose shape disagrees with config.json', () => {
    const dir = broken('bert-tiny', (d) => editJson(join(d, 'config.json'), (c) => (c.intermediate_size = 64)));
    expectRefused(dir, join(dir, 'model.safetensors'), /tensor bert\.encoder\.layer\.0\.intermediate\.dense\.weight has shape \[48,32\], but config\.json implies \[64,32\]/);
  });

  it('an unknown model type', () => {
    const dir = broken('bert-tiny', (d) => editJson(join(d, 'config.json'), (c) => (c.model_type = 'roberta')));
    expectRefused(dir, join(dir, 'config.json'), /model_type "roberta" is not supported: Duet imports bert and gpt2 checkpoints/);
  });

  it('an unknown architecture', () => {
    const dir = broken('bert-tiny', (d) => editJson(join(d, 'config.json'), (c) => (c.architectures = ['BertForQuestionAnswering'])));
    expectRefused(dir, join(dir, 'config.json'), /architecture BertForQuestionAnswering is not supported \(supported: BertModel, BertForMaskedLM, BertForPreTraining\)/);
  });

  it('config fields of the wrong type, an unsupported activation, relative positions', () => {
    let dir = broken('bert-tiny', (d) => editJson(join(d, 'config.json'), (c) => (c.hidden_size = '32')));
    expectRefused(dir, join(dir, 'config.json'), /^hidden_size: /);
    dir = broken('gpt2-tiny', (d) => editJson(join(d, 'config.json'), (c) => (c.activation_function = 'relu')));
    expectRefused(dir, join(dir, 'config.json'), /activation_function "relu" is not supported/);
    dir = broken('bert-tiny', (d) => editJson(join(d, 'config.json'), (c) => (c.position_embedding_type = 'relative_key')));
    expectRefused(dir, join(dir, 'config.json'), /position_embedding_type "relative_key" is not supported/);
    dir = broken('gpt2-tiny', (d) => editJson(join(d, 'config.json'), (c) => delete c.model_type));
    expectRefused(dir, join(dir, 'config.json'), /model_type is missing/);
  });

  it('missing or mismatched tokenizer files', () => {
    let dir = broken('gpt2-tiny', (d) => rmSync(join(d, 'merges.txt')));
    expectRefused(dir, dir, /has neither tokenizer\.json nor vocab\.json \+ merges\.txt/);
    dir = broken('bert-tiny', (d) => {
      rmSync(join(d, 'tokenizer.json'));
      rmSync(join(d, 'vocab.txt'));
    });
    expectRefused(dir, dir, /has neither tokenizer\.json nor vocab\.txt/);
    const vocabSize = readFileSync(join(fixtureDir('bert-tiny'), 'vocab.txt'), 'utf8').trimEnd().split('\n').length;
    dir = broken('bert-tiny', (d) => {
      rmSync(join(d, 'tokenizer.json'));
      writeFileSync(join(d, 'vocab.txt'), readFileSync(join(d, 'vocab.txt'), 'utf8') + 'extra1\nextra2\n');
    });
    expectRefused(dir, join(dir, 'vocab.txt'), new RegExp(`has token id ${vocabSize + 1}, beyond the model's vocab_size ${vocabSize}`));
    dir = broken('gpt2-tiny-f16', (d) => cpSync(join(fixtureDir('bert-tiny'), 'tokenizer.json'), join(d, 'tokenizer.json')));
    expectRefused(dir, join(dir, 'tokenizer.json'), /has a WordPiece model; a gpt2 checkpoint needs BPE/);
  });

  it('an --out that is the checkpoint itself or a folder that is not a Duet model', () => {
    const dir = fixtureDir('bert-tiny');
    expect(() => importCheckpoint(dir, dir)).toThrow(/--out is the checkpoint folder itself/);
    const precious = join(work, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'thesis.tex'), 'years of work');
    expect(() => importCheckpoint(dir, precious)).toThrow(CheckpointImportError);
    expect(readFileSync(join(precious, 'thesis.tex'), 'utf8')).toBe('years of work');
  });
});
