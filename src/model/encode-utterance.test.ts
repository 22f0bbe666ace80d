import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { encodeUtterance } from './encode-utterance.js';
import { hashString, wordFeatures } from './sparse-features.js';

const BUCKETS = 1 << 20;

describe('encodeUtterance token features', () => {
  const tokenizer = WordPieceTokenizer.train(['fly from boston to denver', 'from montreal to las vegas'], 200);
  const settings = { maxTokens: 32, tokenFeatureBuckets: BUCKETS, idf: new Float32Array(16).fill(1) };

  it('gives each token its word alone in models without neighbour features', async () => {
    const u = await encodeUtterance('from montreal to las vegas', tokenizer, settings);
    expect(u.tokenFeatures[0]).toBeUndefined();
    const first = u.firstTokenOfWord[1];
    expect(u.tokenFeatures[first]).toEqual(wordFeatures('montreal', BUCKETS));
  });

  it('adds the words before and after, shared by every piece of a word', async () => {
    const u = await encodeUtterance('from montreal to las vegas', tokenizer, { ...settings, neighbourFeatures: true });
    const featuresOf = (w: number) => u.tokenFeatures[u.firstTokenOfWord[w]];
    expect(featuresOf(0)?.ids).toContain(hashString('p:<edge>') % BUCKETS);
    expect(featuresOf(1)).toEqual(wordFeatures('montreal', BUCKETS, { previous: 'from', next: 'to', afterNext: 'las' }));
    expect(featuresOf(4)?.ids).toContain(hashString('n:<edge>') % BUCKETS);
    // Every piece of "montreal" carries the same features as its first piece.
    const end = u.firstTokenOfWord[2];
    for (let t = u.firstTokenOfWord[1]; t < end; t++) expect(u.tokenFeatures[t]).toEqual(featuresOf(1));
  });
});
