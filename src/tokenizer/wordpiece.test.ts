import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS, UNK_ID, WordPieceTokenizer, learnWordPieces } from './wordpiece.js';

const CORPUS = [
  'set an alarm for seven am',
  'wake me up at six in the morning',
  'what is the weather in zurich',
  'will it rain in paris tomorrow',
  'is it sunny in são paulo',
  'café au lait please',
  'hello there my friend',
  'good morning to you',
  'set a timer for ten minutes',
  'what is the weather like today',
];

/** The surface text of each word, as a slot extractor would slice it. */
async function wordTexts(tokenizer: WordPieceTokenizer, text: string): Promise<string[]> {
  const { words } = await tokenizer.encode(text);
  return words.map(([start, end]) => text.slice(start, end));
}

describe('WordPieceTokenizer', () => {
  let tokenizer: WordPieceTokenizer;
  let dir: string;

  beforeAll(() => {
    tokenizer = WordPieceTokenizer.train(CORPUS, 120);
    dir = mkdtempSync(join(tmpdir(), 'duet-wordpiece-test-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the vocabulary within the requested size', () => {
    expect(tokenizer.vocabSize).toBe(120);
    for (const cap of [20, 50]) expect(WordPieceTokenizer.train(CORPUS, cap).vocabSize).toBe(cap);
    // A cap above what the corpus can fill is an upper bound, not a target.
    expect(WordPieceTokenizer.train(['ab ab'], 500).vocabSize).toBeLessThan(500);
  });

  it('puts the special tokens at ids 0–4', async () => {
    expect([PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID]).toEqual([0, 1, 2, 3, 4]);
    const encoded = await tokenizer.encode(SPECIAL_TOKENS.join(' '));
    expect(encoded.ids).toEqual([0, 1, 2, 3, 4]);
    expect(encoded.tokens).toEqual([...SPECIAL_TOKENS]);
  });

  it('splits known words into word pieces of one word and lower-cases', async () => {
    const encoded = await tokenizer.encode('Set an ALARM');
    expect(encoded.ids).not.toContain(UNK_ID);
    // Each word starts with a piece that has no continuation prefix.
    expect(encoded.tokens.filter((t) => !t.startsWith('##'))).toHaveLength(3);
    expect(await tokenizer.decode(encoded.ids)).toBe('set an alarm');
    expect(encoded.wordIds).toHaveLength(encoded.ids.length);
    expect(new Set(encoded.wordIds)).toEqual(new Set([0, 1, 2]));
  });

  it('maps word offsets back to the original text', async () => {
    expect(await wordTexts(tokenizer, 'Wake me up at SIX')).toEqual(['Wake', 'me', 'up', 'at', 'SIX']);
    expect(await wordTexts(tokenizer, '  weather   in  Zurich ')).toEqual(['weather', 'in', 'Zurich']);
    expect(await wordTexts(tokenizer, 'Hello, world!')).toEqual(['Hello', ',', 'world', '!']);
  });

  it('maps offsets of accented words (accents stripped by the normaliser) to the original text', async () => {
    const text = 'Café in São Paulo, Zürich';
    expect(await wordTexts(tokenizer, text)).toEqual(['Café', 'in', 'São', 'Paulo', ',', 'Zürich']);
    const encoded = await tokenizer.encode(text);
    for (const [start, end] of encoded.offsets) expect(start < end && end <= text.length).toBe(true);
  });

  it('keeps a trailing combining accent (decomposed text) inside its word', async () => {
    const text = 'cafe\u0301 in Zu\u0308rich';
    expect(await wordTexts(tokenizer, text)).toEqual(['cafe\u0301', 'in', 'Zu\u0308rich']);
  });

  it('maps offsets after an emoji (two UTF-16 units) to the original text', async () => {
    const text = '😀 weather in Zürich 🌧️ tomorrow';
    const texts = await wordTexts(tokenizer, text);
    expect(texts).toContain('weather');
    expect(texts).toContain('Zürich');
    expect(texts[texts.length - 1]).toBe('tomorrow');
    const encoded = await tokenizer.encode(text);
    const tomorrow = encoded.words[encoded.words.length - 1];
    expect(tomorrow).toEqual([text.indexOf('tomorrow'), text.indexOf('tomorrow') + 'tomorrow'.length]);
  });

  it('gives every token an offset inside its word', async () => {
    const text = '🙂 Set an alarm for 7:30 in Zürich, please!';
    const encoded = await tokenizer.encode(text);
    encoded.offsets.forEach(([start, end], i) => {
      const [ws, we] = encoded.words[encoded.wordIds[i]];
      expect(ws <= start && start < end && end <= we).toBe(true);
    });
    // Words do not overlap and come in text order.
    for (let w = 1; w < encoded.words.length; w++) expect(encoded.words[w][0]).toBeGreaterThanOrEqual(encoded.words[w - 1][1]);
  });

  it('encodes an empty text to nothing', async () => {
    expect(await tokenizer.encode('')).toEqual({ ids: [], tokens: [], offsets: [], wordIds: [], words: [] });
  });

  it('trains the same vocabulary every time from the same text (reproducible models)', () => {
    const saved = (t: WordPieceTokenizer, name: string) => {
      t.save(join(dir, name));
      return readFileSync(join(dir, name), 'utf8');
    };
    const first = saved(tokenizer, 'first.json');
    for (let run = 0; run < 5; run++) expect(saved(WordPieceTokenizer.train(CORPUS, 120), `again-${run}.json`)).toBe(first);
  });

  it('gives identical ids and offsets after save and load', async () => {
    const path = join(dir, 'tokenizer.json');
    tokenizer.save(path);
    const loaded = WordPieceTokenizer.load(path);
    expect(loaded.vocabSize).toBe(tokenizer.vocabSize);
    for (const text of [...CORPUS, 'Unseen wörds 😀 like xylophone', '[CLS] hi [SEP]']) {
      expect(await loaded.encode(text)).toEqual(await tokenizer.encode(text));
    }
  });
});

describe('learnWordPieces', () => {
  it('lists the alphabet, then ## continuation characters, then merges by frequency', () => {
    const pieces = learnWordPieces(['abab abab abab', 'ba'], 100);
    expect(pieces.slice(0, 4)).toEqual(['a', 'b', '##a', '##b']);
    // "a ##b", "##b ##a" and "##a ##b" each occur 3 times: the tie goes to the pair of lowest ids.
    expect(pieces[4]).toBe('ab');
    expect(pieces).toContain('abab');
    expect(new Set(pieces).size).toBe(pieces.length);
  });

  it('stops at the requested number of tokens', () => {
    expect(learnWordPieces(CORPUS, 30)).toHaveLength(30);
    expect(learnWordPieces(CORPUS, 30)).toEqual(learnWordPieces(CORPUS, 200).slice(0, 30));
  });

  it('learns whole frequent words', () => {
    expect(learnWordPieces(CORPUS, 1000)).toEqual(expect.arrayContaining(['weather', 'alarm', 'the', 'morning']));
  });
});
