/**
 * WordPiece tokenizer trained on the assistant's own training text, run and saved (as
 * `tokenizer.json`, beside the weights) with Hugging Face `tokenizers`. `load` reads any
 * tokenizer.json, so the same class also runs an imported checkpoint's tokenizer (BERT's
 * WordPiece, GPT-2's byte-level BPE).
 */
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, wordPieceDecoder } from 'tokenizers';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;
export const MASK_ID = 4;

/** One encoded text: word pieces with UTF-16 offsets into the text, and the word each belongs to. */
export interface TokenizedText {
  ids: number[];
  tokens: string[];
  /** [start, end) UTF-16 offsets of each token in the original text. */
  offsets: [number, number][];
  /** Index of the word each token belongs to. */
  wordIds: number[];
  /** [start, end) UTF-16 offsets of each word. */
  words: [number, number][];
}

export class WordPieceTokenizer {
  private constructor(private readonly inner: Tokenizer) {}

  /** Train a lower-casing WordPiece vocabulary of at most `vocabSize` entries on `texts`. */
  static train(texts: string[], vocabSize: number): WordPieceTokenizer {
    const vocab: Record<string, number> = {};
    let next = 0;
    for (const token of SPECIAL_TOKENS) vocab[token] = next++;
    // Alphabet first, then merges by frequency: keep the most useful prefix.
    for (const token of learnWordPieces(texts, vocabSize - next)) {
      if (next >= vocabSize) break;
      if (!(token in vocab)) vocab[token] = next++;
    }
    const tokenizer = configure(new Tokenizer(WordPiece.init(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##' })));
    tokenizer.addSpecialTokens([...SPECIAL_TOKENS]);
    return new WordPieceTokenizer(tokenizer);
  }

  /** Load a tokenizer saved with `save`. */
  static load(path: string): WordPieceTokenizer {
    return new WordPieceTokenizer(Tokenizer.fromFile(path));
  }

  get vocabSize(): number {
    return this.inner.getVocabSize(true);
  }

  save(path: string): void {
    this.inner.save(path);
  }

  /** Encode one text (no special tokens added). */
  async encode(text: string): Promise<TokenizedText> {
    const encoding = await this.inner.encode(text, null, { addSpecialTokens: false });
    const toUtf16 = codePointToUtf16(text);
    const offsets = encoding.getOffsets().map(([s, e]) => {
      let start = toUtf16(s);
      const end = toUtf16(e);
      // Byte-level BPE (an imported GPT-2) counts a word's leading space into its first token; the word starts after it.
      while (start < end && /\s/.test(text[start])) start++;
      return [start, end] as [number, number];
    });
    const rawWordIds = encoding.getWordIds();
    const wordIds: number[] = [];
    const words: [number, number][] = [];
    let lastRaw: number | null | undefined = undefined;
    rawWordIds.forEach((raw, i) => {
      if (raw === null || raw === undefined || raw !== lastRaw || words.length === 0) {
        words.push([offsets[i][0], offsets[i][1]]);
      } else {
        words[words.length - 1][1] = offsets[i][1];
      }
      lastRaw = raw;
      wordIds.push(words.length - 1);
    });
    // Accent stripping leaves a combining mark after a word's last piece in no token: keep it in the word.
    for (const word of words) while (word[1] < text.length && /\p{M}/u.test(text[word[1]])) word[1]++;
    return { ids: encoding.getIds(), tokens: encoding.getTokens(), offsets, wordIds, words };
  }

  /** The vocabulary entry of an id (undefined outside the vocabulary). */
  idToToken(id: number): string | undefined {
    return this.inner.idToToken(id) ?? undefined;
  }

  async decode(ids: number[]): Promise<string> {
    return this.inner.decode(ids, true);
  }
}

const normalizerOptions = { lowercase: true, stripAccents: true, cleanText: true, handleChineseChars: true };

function configure(tokenizer: Tokenizer): Tokenizer {
  tokenizer.setNormalizer(bertNormalizer(normalizerOptions));
  tokenizer.setPreTokenizer(bertPreTokenizer());
  tokenizer.setDecoder(wordPieceDecoder());
  return tokenizer;
}

const PAIR_STRIDE = 2 ** 22;

/**
 * WordPiece vocabulary by BPE merges, as the Hugging Face WordPiece trainer builds it (alphabet,
 * `##` continuation characters, then merges by count), but deterministic: that trainer numbers
 * `##` tokens in hash-map order and breaks count ties by those numbers, so two runs on the same
 * text can learn different vocabularies (huggingface/tokenizers#1794). Here ties go to the pair of
 * lower token ids, and ids follow sorted order. Returns at most `maxTokens` tokens, in order.
 */
export function learnWordPieces(texts: string[], maxTokens: number): string[] {
  const normalizer = bertNormalizer(normalizerOptions);
  const preTokenizer = bertPreTokenizer();
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const [word] of preTokenizer.preTokenizeString(normalizer.normalizeString(text))) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const words = [...wordCounts.keys()].sort();
  const byCodePoint = (a: string, b: string) => (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0);
  const initial = new Set<string>();
  const continuing = new Set<string>();
  for (const word of words) {
    const chars = [...word];
    chars.forEach((ch) => initial.add(ch));
    chars.slice(1).forEach((ch) => continuing.add(ch));
  }
  const tokens: string[] = [];
  const tokenIds = new Map<string, number>();
  const intern = (token: string): number => {
    let id = tokenIds.get(token);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(token);
      tokenIds.set(token, id);
    }
    return id;
  };
  [...initial].sort(byCodePoint).forEach(intern);
  [...continuing].sort(byCodePoint).forEach((ch) => intern(`##${ch}`));
  const symbols = words.map((word) => [...word].map((ch, i) => tokenIds.get(i === 0 ? ch : `##${ch}`) ?? 0));
  const counts = words.map((word) => wordCounts.get(word) ?? 0);

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, touched?: Set<number>) => {
    const s = symbols[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * PAIR_STRIDE + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * counts[w]);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
        touched?.add(key);
      }
    }
  };
  symbols.forEach((_, w) => addPairs(w, 1));
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  while (tokens.length < maxTokens) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      // A stale entry: the pair's count fell since it was pushed.
      if (current > 0) heap.push(current, top.key);
      continue;
    }
    if (current <= 0) continue;
    const a = Math.floor(top.key / PAIR_STRIDE);
    const b = top.key % PAIR_STRIDE;
    const merged = intern(tokens[a] + tokens[b].replace(/^##/, ''));
    const touched = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      const s = symbols[w];
      const out: number[] = [];
      let changed = false;
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
          changed = true;
        } else {
          out.push(s[i]);
        }
      }
      if (!changed) continue;
      addPairs(w, -1);
      symbols[w] = out;
      addPairs(w, 1, touched);
    }
    pairWords.delete(top.key);
    for (const key of touched) {
      const count = pairCount.get(key) ?? 0;
      if (count > 0) heap.push(count, key);
    }
  }
  return tokens.slice(0, Math.max(0, maxTokens));
}

/** Max-heap of (count, pair key): higher count first, then the lower key (lower token ids). */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  private before(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } | undefined {
    if (this.counts.length === 0) return undefined;
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastCount = this.counts.pop() ?? 0;
    const lastKey = this.keys.pop() ?? 0;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.before(l, best)) best = l;
        if (r < this.counts.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** The tokenizer reports offsets in code points; JavaScript strings index UTF-16 units. */
function codePointToUtf16(text: string): (index: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (index) => index;
  const map: number[] = [];
  let unit = 0;
  for (const ch of text) {
    map.push(unit);
    unit += ch.length;
  }
  map.push(unit);
  return (index) => map[Math.min(index, map.length - 1)];
}
