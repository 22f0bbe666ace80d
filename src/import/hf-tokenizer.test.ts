import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { fixtureDir, reference } from './__fixtures__/reference.js';
import { importCheckpoint } from './import-checkpoint.js';

// Expected ids come from the fixture generator's own WordPiece and byte-level BPE, written in
// Python from the published algorithms; here the imported tokenizer (run by the tokenizers
// library) must agree on every tricky string.
describe('imported tokenizers agree with the reference tokenizers', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'duet-tokenizer-test-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Import `fixture` (optionally without some of its files) and load the tokenizer it wrote. */
  function imported(fixture: string, without: string[] = []): WordPieceTokenizer {
    const src = join(work, `${fixture}-${without.join('-') || 'all'}-src`);
    cpSync(fixtureDir(fixture), src, { recursive: true });
    for (const file of without) rmSync(join(src, file));
    const out = join(work, `${fixture}-${without.join('-') || 'all'}`);
    importCheckpoint(src, out);
    return WordPieceTokenizer.load(join(out, 'tokenizer.json'));
  }

  const cases: [string, string, string[]][] = [
    ['BERT WordPiece from tokenizer.json', 'bert-tiny', []],
    ['BERT WordPiece from vocab.txt', 'bert-tiny', ['tokenizer.json']],
    ['GPT-2 byte-level BPE from vocab.json + merges.txt', 'gpt2-tiny', []],
    ['GPT-2 byte-level BPE from tokenizer.json', 'gpt2-tiny-f16', []],
  ];
  for (const [label, fixture, without] of cases) {
    it(label, async () => {
      const tokenizer = imported(fixture, without);
      const expected = reference(fixture).tokenization ?? [];
      expect(expected.length).toBeGreaterThanOrEqual(15);
      for (const { text, ids } of expected) {
        expect({ text, ids: (await tokenizer.encode(text)).ids }).toEqual({ text, ids });
      }
    });
  }

  it('the tricky strings exercise unknown words, accents and special tokens', () => {
    const bert = reference('bert-tiny').tokenization ?? [];
    const vocab = readFileSync(join(fixtureDir('bert-tiny'), 'vocab.txt'), 'utf8').split('\n');
    const unk = vocab.indexOf('[UNK]');
    const mask = vocab.indexOf('[MASK]');
    const byText = new Map(bert.map((t) => [t.text, t.ids]));
    expect(byText.get('emoji 😀 and 👍🏽 here')).toContain(unk);
    expect(byText.get('the [MASK] sat on the mat.')).toContain(mask);
    // Composed and decomposed accents read the same once accents are stripped.
    const [cafe, , , , dash, nai, ve] = byText.get('Café déjà vu — naïve résumé') ?? [];
    expect(dash).toBe(unk);
    expect(byText.get('nai\u0308ve cafe\u0301')).toEqual([nai, ve, cafe]);
    const gpt2 = reference('gpt2-tiny').tokenization ?? [];
    const eos = JSON.parse(readFileSync(join(fixtureDir('gpt2-tiny'), 'vocab.json'), 'utf8'))['<|endoftext|>'] as number;
    expect(gpt2.find((t) => t.text.startsWith('<|endoftext|>'))?.ids[0]).toBe(eos);
  });

  it('decodes GPT-2 byte-level ids back to the text', async () => {
    const tokenizer = imported('gpt2-tiny');
    for (const text of ['Hello, world!', 'Café déjà vu — naïve résumé', 'emoji 😀 and 👍🏽 here']) {
      expect(await tokenizer.decode((await tokenizer.encode(text)).ids)).toBe(text);
    }
  });
});
