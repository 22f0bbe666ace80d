/**
 * Hashed sparse features (DIET-style): word and character n-grams that a small transformer trained
 * from scratch cannot learn from a few thousand examples, but that a linear model exploits well.
 * Pure functions: no tensor library.
 */

/** A sparse feature vector: bucket ids and their weights (same length). */
export interface SparseVector {
  ids: Int32Array;
  weights: Float32Array;
}

/** FNV-1a, 32-bit: a stable string hash so saved models keep their feature layout. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const WORD_PATTERN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}]/gu;

/** Lower-cased words and punctuation marks of a text. */
export function featureWords(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(WORD_PATTERN) ?? [];
}

function addCharNgrams(counts: Map<number, number>, word: string, minN: number, maxN: number, buckets: number): void {
  const padded = ` ${word} `;
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= padded.length; i++) {
      const bucket = hashString(`c${n}:${padded.slice(i, i + n)}`) % buckets;
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
  }
}

/** Raw counts of a sentence's word 1–2-grams and in-word character 2–5-grams, hashed into `buckets`. */
export function sentenceFeatureCounts(text: string, buckets: number): Map<number, number> {
  const words = featureWords(text);
  const counts = new Map<number, number>();
  const bump = (key: string) => {
    const bucket = hashString(key) % buckets;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  };
  for (let i = 0; i < words.length; i++) {
    bump(`w:${words[i]}`);
    if (i + 1 < words.length) bump(`b:${words[i]} ${words[i + 1]}`);
    addCharNgrams(counts, words[i], 2, 5, buckets);
  }
  return counts;
}

/** Inverse document frequency per bucket, from training texts (smoothed, as scikit-learn does). */
export function computeIdf(texts: string[], buckets: number): Float32Array {
  const df = new Uint32Array(buckets);
  for (const text of texts) for (const bucket of sentenceFeatureCounts(text, buckets).keys()) df[bucket]++;
  const idf = new Float32Array(buckets);
  const n = texts.length;
  for (let b = 0; b < buckets; b++) idf[b] = Math.log((1 + n) / (1 + df[b])) + 1;
  return idf;
}

/** TF-IDF vector with sublinear term frequency, L2-normalised. */
export function sentenceFeatures(text: string, idf: Float32Array): SparseVector {
  const counts = sentenceFeatureCounts(text, idf.length);
  const ids = new Int32Array(counts.size);
  const weights = new Float32Array(counts.size);
  let i = 0;
  let norm = 0;
  for (const [bucket, count] of counts) {
    const w = (1 + Math.log(count)) * idf[bucket];
    ids[i] = bucket;
    weights[i] = w;
    norm += w * w;
    i++;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let j = 0; j < weights.length; j++) weights[j] *= scale;
  return { ids, weights };
}

/** Marks the sentence edge in neighbour features. */
const SENTENCE_EDGE = '<edge>';

/**
 * Features of one word, shared by all of its word pieces: the word itself and its character
 * 3–5-grams, and with `neighbours` the two words before and the two after it (the sentence edge
 * where there is none).
 */
export function wordFeatures(
  word: string,
  buckets: number,
  neighbours?: { previous?: string; next?: string; beforePrevious?: string; afterNext?: string },
): SparseVector {
  const counts = new Map<number, number>();
  counts.set(hashString(`w:${word.toLowerCase()}`) % buckets, 1);
  addCharNgrams(counts, word.toLowerCase(), 3, 5, buckets);
  if (neighbours) {
    const near = (word: string | undefined) => word?.toLowerCase() ?? SENTENCE_EDGE;
    const keys = [`p:${near(neighbours.previous)}`, `n:${near(neighbours.next)}`, `p2:${near(neighbours.beforePrevious)}`, `n2:${near(neighbours.afterNext)}`];
    for (const key of keys) {
      const bucket = hashString(key) % buckets;
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
  }
  const ids = Int32Array.from(counts.keys());
  const scale = 1 / Math.sqrt(ids.length);
  const weights = new Float32Array(ids.length).fill(scale);
  return { ids, weights };
}

/** What `pieceWordFeatures` needs of a tokenization: the word of each piece and each word's offsets. */
export interface WordAlignment {
  wordIds: number[];
  words: [number, number][];
}

/**
 * `wordFeatures` for each of the first `count` pieces of a tokenized text: the features of the
 * word the piece belongs to (pieces of one word share one vector), with the two words on each side
 * when `neighbours` is set.
 */
export function pieceWordFeatures(text: string, tokenized: WordAlignment, count: number, buckets: number, neighbours: boolean): SparseVector[] {
  const wordText = (w: number) => (w >= 0 && w < tokenized.words.length ? text.slice(...tokenized.words[w]) : undefined);
  const byWord = new Map<number, SparseVector>();
  const out: SparseVector[] = [];
  for (let i = 0; i < count; i++) {
    const word = tokenized.wordIds[i];
    let features = byWord.get(word);
    if (!features) {
      const around = neighbours ? { previous: wordText(word - 1), next: wordText(word + 1), beforePrevious: wordText(word - 2), afterNext: wordText(word + 2) } : undefined;
      features = wordFeatures(wordText(word) ?? '', buckets, around);
      byWord.set(word, features);
    }
    out.push(features);
  }
  return out;
}
