import { describe, expect, it } from 'vitest';
import { encodeUtterance } from '../model/encode-utterance.js';
import { MASK_ID, WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { createRng } from '../util/random.js';
import { WordVectors } from '../model/word-vectors.js';
import { withWordDropout, type Labeled } from './train-nlu.js';

describe('withWordDropout', () => {
  const texts = ['remind me to call the dentist tomorrow', 'wake me up at seven', 'what is the weather in lisbon'];
  const tokenizer = WordPieceTokenizer.train(texts, 60); // small: words split into several pieces
  const settings = { maxTokens: 64, tokenFeatureBuckets: 1024, neighbourFeatures: true, idf: new Float32Array(8).fill(1) };
  const labeled = async (): Promise<Labeled[]> =>
    Promise.all(texts.map(async (text, i) => ({ utterance: await encodeUtterance(text, tokenizer, settings), intent: i, wordTags: [] })));

  it('hides whole words (every piece, no features) and keeps the labels and the original', async () => {
    const items = await labeled();
    const before = items.map((i) => Int32Array.from(i.utterance.ids));
    const out = withWordDropout(items, 0.5, createRng(7));
    let hidden = 0;
    out.forEach((item, n) => {
      expect(item.intent).toBe(items[n].intent);
      expect(items[n].utterance.ids).toEqual(before[n]);
      const u = item.utterance;
      const starts = u.firstTokenOfWord;
      starts.forEach((first, w) => {
        const end = w + 1 < starts.length ? starts[w + 1] : u.ids.length;
        const pieces = Array.from(u.ids.slice(first, end));
        if (pieces[0] !== MASK_ID) {
          expect(pieces).not.toContain(MASK_ID);
          return;
        }
        hidden++;
        expect(pieces.every((id) => id === MASK_ID)).toBe(true);
        for (let t = first; t < end; t++) expect(u.tokenFeatures[t]).toBeUndefined();
      });
      expect(u.ids[0]).toBe(items[n].utterance.ids[0]); // [CLS] stays
    });
    expect(hidden).toBeGreaterThan(0);
  });

  it('changes nothing at rate 0 and draws the same words from the same seed', async () => {
    const items = await labeled();
    expect(withWordDropout(items, 0, createRng(1))).toEqual(items);
    const a = withWordDropout(items, 0.3, createRng(3)).map((i) => Array.from(i.utterance.ids));
    const b = withWordDropout(items, 0.3, createRng(3)).map((i) => Array.from(i.utterance.ids));
    expect(a).toEqual(b);
  });

  it('hides a hidden word\'s vector too, and keeps the others\' rows', async () => {
    const words = [...new Set(texts.flatMap((t) => t.split(' ')))];
    const wordVectors = WordVectors.fromFloat(words, 2, Float32Array.from(words.flatMap((_, i) => [i + 1, 1])));
    const items = await Promise.all(
      texts.map(async (text, i) => ({ utterance: await encodeUtterance(text, tokenizer, { ...settings, wordVectors }), intent: i, wordTags: [] })),
    );
    const before = items.map((i) => Int32Array.from(i.utterance.wordVectorRows!));
    const out = withWordDropout(items, 0.5, createRng(7));
    let hidden = 0;
    out.forEach((item, n) => {
      const u = item.utterance;
      expect(items[n].utterance.wordVectorRows).toEqual(before[n]);
      u.ids.forEach((id, t) => {
        if (id === MASK_ID) {
          hidden++;
          expect(u.wordVectorRows![t]).toBe(-1);
        } else {
          expect(u.wordVectorRows![t]).toBe(before[n][t]);
          if (t > 0) expect(u.wordVectorRows![t]).toBeGreaterThanOrEqual(0);
        }
      });
    });
    expect(hidden).toBeGreaterThan(0);
  });
});
