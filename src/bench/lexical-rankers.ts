/**
 * Lexical baselines for response selection: BM25 (the wink-bm25-text-search implementation) and
 * TF-IDF cosine similarity, each scoring a candidate response against the conversation context.
 * Both take their document frequencies from a pool of responses (the evaluation set's responses),
 * so a candidate's score does not depend on which other candidates it is shown with.
 */
import bm25 from 'wink-bm25-text-search';
import { DuetError } from '../errors.js';

/** Scores candidate responses for a context; higher is better. */
export interface ResponseRanker {
  name: string;
  /**
   * One score per candidate, in the candidates' order. A candidate's score must not depend on
   * the other candidates: the benchmark reads the 1-of-10 result off the same call as 1-of-100.
   */
  score(context: string[], candidates: string[]): Promise<number[]>;
}

/** Lower-cased words (letters and digits, with inner apostrophes: "don't"); no stop-word list, IDF weighs common words down. */
export function tokenizeWords(text: string): string[] {
  return text.toLowerCase().replace(/[’‘`]/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
}

function uniqueTexts(pool: string[]): string[] {
  return [...new Set(pool)];
}

/** BM25 parameters (Robertson et al.); the defaults are wink's and Lucene's. */
export interface Bm25Params {
  k1?: number;
  b?: number;
}

/**
 * BM25 of the context (all its turns, as one query) against each candidate, with IDF and the
 * average length from `pool`. Every candidate must be in the pool; one that shares no word with
 * the context scores 0.
 */
export function createBm25Ranker(pool: string[], params: Bm25Params = {}): ResponseRanker {
  const texts = uniqueTexts(pool);
  if (texts.length < 3) throw new DuetError('BENCH_INVALID', `BM25 needs a pool of at least 3 distinct responses, got ${texts.length}.`);
  const ids = new Map(texts.map((text, i) => [text, String(i)]));
  const engine = bm25();
  engine.defineConfig({ fldWeights: { text: 1 }, ovFldNames: ['id'], bm25Params: { k1: params.k1 ?? 1.2, b: params.b ?? 0.75, k: 1 } });
  engine.definePrepTasks([tokenizeWords]);
  texts.forEach((text, i) => engine.addDoc({ text, id: String(i) }, String(i)));
  engine.consolidate();
  return {
    name: 'BM25',
    async score(context, candidates) {
      const wanted = new Set<string>();
      for (const candidate of candidates) {
        const id = ids.get(candidate);
        if (id === undefined) throw new DuetError('BENCH_INVALID', `BM25 ranker: candidate is not in the pool it was built on: ${JSON.stringify(candidate.slice(0, 80))}`);
        wanted.add(id);
      }
      // wink returns the matching documents only; the filter keeps this call's candidates.
      const hits = engine.search(context.join(' '), wanted.size, (fields, keep: Set<string>) => keep.has(fields.id), wanted);
      const byId = new Map(hits);
      return candidates.map((candidate) => byId.get(ids.get(candidate) as string) ?? 0);
    },
  };
}

/**
 * TF-IDF cosine similarity between the context (all its turns as one text) and each candidate.
 * Written here rather than taken from a library: natural's TfIdf sums the query terms' weights
 * instead of a cosine and brings database clients as dependencies, and tiny-tfidf keeps a dense
 * vector over the whole vocabulary per document. Weights are raw term counts times the smoothed
 * IDF ln((1 + N) / (1 + df)) + 1 (scikit-learn's default), vectors L2-normalised.
 */
export function createTfidfRanker(pool: string[]): ResponseRanker {
  const texts = uniqueTexts(pool);
  const df = new Map<string, number>();
  for (const text of texts) for (const term of new Set(tokenizeWords(text))) df.set(term, (df.get(term) ?? 0) + 1);
  const n = texts.length;
  const idf = (term: string) => Math.log((1 + n) / (1 + (df.get(term) ?? 0))) + 1;
  const vectorOf = (text: string): Map<string, number> => {
    const vector = new Map<string, number>();
    for (const term of tokenizeWords(text)) vector.set(term, (vector.get(term) ?? 0) + 1);
    let norm = 0;
    for (const [term, count] of vector) {
      const weight = count * idf(term);
      vector.set(term, weight);
      norm += weight * weight;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [term, weight] of vector) vector.set(term, weight / norm);
    return vector;
  };
  const cache = new Map<string, Map<string, number>>();
  const cached = (text: string) => {
    let vector = cache.get(text);
    if (!vector) cache.set(text, (vector = vectorOf(text)));
    return vector;
  };
  return {
    name: 'TF-IDF',
    async score(context, candidates) {
      const query = vectorOf(context.join(' '));
      return candidates.map((candidate) => {
        const vector = cached(candidate);
        let dot = 0;
        for (const [term, weight] of query) dot += weight * (vector.get(term) ?? 0);
        return dot;
      });
    },
  };
}
