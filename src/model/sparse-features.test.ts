import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeIdf, featureWords, hashString, sentenceFeatureCounts, sentenceFeatures, wordFeatures, type SparseVector } from './sparse-features.js';

const BUCKETS = 1 << 20; // large enough that the few features below do not collide

function norm(v: SparseVector): number {
  return Math.sqrt(v.weights.reduce((s, w) => s + w * w, 0));
}

function weightOf(v: SparseVector, bucket: number): number {
  const i = v.ids.indexOf(bucket);
  return i < 0 ? 0 : v.weights[i];
}

describe('hashString', () => {
  it('is 32-bit FNV-1a (published test vectors), so saved models keep their feature layout', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('foobar')).toBe(0xbf9cf968);
  });

  it('maps a fixed feature to a fixed bucket', () => {
    expect(hashString('w:alarm') % 65536).toBe(55721);
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        const h = hashString(s);
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
        expect(hashString(s)).toBe(h);
      }),
    );
  });
});

describe('featureWords', () => {
  it('lower-cases, keeps apostrophes inside words, splits punctuation and symbols', () => {
    expect(featureWords("What's the weather in Zürich? 😀 ok")).toEqual(["what's", 'the', 'weather', 'in', 'zürich', '?', '😀', 'ok']);
  });
});

describe('sentenceFeatures', () => {
  const idf = computeIdf(['set an alarm', 'weather in paris', 'hello there'], BUCKETS);

  it('is L2-normalised for any text with at least one word', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (text) => {
        const v = sentenceFeatures(text, idf);
        if (featureWords(text).length === 0) {
          expect(v.ids.length).toBe(0);
          return;
        }
        expect(norm(v)).toBeCloseTo(1, 5);
        expect(v.ids.length).toBe(v.weights.length);
        for (const id of v.ids) expect(id >= 0 && id < BUCKETS).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives an empty vector for text without words', () => {
    expect(sentenceFeatures('   ', idf)).toEqual({ ids: new Int32Array(0), weights: new Float32Array(0) });
  });

  it('ignores case', () => {
    expect(sentenceFeatures('Set An ALARM', idf)).toEqual(sentenceFeatures('set an alarm', idf));
  });

  it('weights a feature seen in every training text less than a rare one', () => {
    const texts = ['the cat sleeps', 'the dog barks', 'the bird sings', 'the fish swims'];
    const idf4 = computeIdf(texts, BUCKETS);
    const the = hashString('w:the') % BUCKETS;
    const cat = hashString('w:cat') % BUCKETS;
    const unseen = hashString('w:zebra') % BUCKETS;
    // Smoothed idf: ln((1+n)/(1+df)) + 1.
    expect(idf4[the]).toBeCloseTo(Math.log(5 / 5) + 1, 6);
    expect(idf4[cat]).toBeCloseTo(Math.log(5 / 2) + 1, 6);
    expect(idf4[unseen]).toBeCloseTo(Math.log(5 / 1) + 1, 6);
    const v = sentenceFeatures('the cat', idf4);
    expect(weightOf(v, the)).toBeGreaterThan(0);
    expect(weightOf(v, the)).toBeLessThan(weightOf(v, cat));
  });

  it('counts a word once per document for idf, and repeats sublinearly in the vector', () => {
    const idf2 = computeIdf(['go go go', 'stop'], BUCKETS);
    const go = hashString('w:go') % BUCKETS;
    expect(idf2[go]).toBeCloseTo(Math.log(3 / 2) + 1, 6);
    expect(sentenceFeatureCounts('go go go', BUCKETS).get(go)).toBe(3);
  });

  it('includes word bigrams, so word order matters', () => {
    const a = sentenceFeatureCounts('alarm set', BUCKETS);
    const b = sentenceFeatureCounts('set alarm', BUCKETS);
    expect(a.has(hashString('b:set alarm') % BUCKETS)).toBe(false);
    expect(b.has(hashString('b:set alarm') % BUCKETS)).toBe(true);
  });
});

describe('wordFeatures', () => {
  it('is deterministic and case-insensitive', () => {
    const a = wordFeatures('Alarm', 1024);
    expect(wordFeatures('Alarm', 1024)).toEqual(a);
    expect(wordFeatures('ALARM', 1024)).toEqual(a);
  });

  it('holds the word and its character 3–5-grams with equal weights of unit norm', () => {
    const v = wordFeatures('alarm', BUCKETS);
    // " alarm " has 5 trigrams, 4 four-grams and 3 five-grams, plus the word itself.
    expect(v.ids.length).toBe(13);
    expect(v.ids).toContain(hashString('w:alarm') % BUCKETS);
    expect(v.ids).toContain(hashString('c3: al') % BUCKETS);
    expect(v.ids).toContain(hashString('c5:larm ') % BUCKETS);
    expect(norm(v)).toBeCloseTo(1, 6);
    expect(new Set(v.weights).size).toBe(1);
  });

  it('keeps a fixed layout for a fixed word (saved models depend on it)', () => {
    expect(Array.from(wordFeatures('Alarm', 1024).ids)).toEqual([425, 308, 277, 890, 43, 326, 460, 42, 134, 438, 409, 274, 649]);
  });

  it('names the neighbouring words when asked, the sentence edge where there is none', () => {
    const alone = wordFeatures('boston', BUCKETS);
    const v = wordFeatures('Boston', BUCKETS, { previous: 'From', next: undefined, beforePrevious: 'fly' });
    expect(v.ids).toContain(hashString('p:from') % BUCKETS);
    expect(v.ids).toContain(hashString('n:<edge>') % BUCKETS);
    expect(v.ids).toContain(hashString('p2:fly') % BUCKETS);
    expect(v.ids).toContain(hashString('n2:<edge>') % BUCKETS);
    expect(v.ids.length).toBe(alone.ids.length + 4);
    expect(norm(v)).toBeCloseTo(1, 6);
    // "from boston" and "to boston" differ only in the neighbour feature.
    const other = wordFeatures('boston', BUCKETS, { previous: 'to', beforePrevious: 'fly' });
    expect(Array.from(other.ids).filter((id) => !v.ids.includes(id))).toEqual([hashString('p:to') % BUCKETS]);
  });

  it('shares character n-grams between related words', () => {
    const a = new Set(wordFeatures('alarms', BUCKETS).ids);
    const shared = Array.from(wordFeatures('alarm', BUCKETS).ids).filter((id) => a.has(id));
    expect(shared.length).toBeGreaterThan(3);
  });
});
