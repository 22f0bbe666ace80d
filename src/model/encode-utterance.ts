/** Turn text into what the network reads: word-piece ids, word alignment and sparse features. */
import type { SlotSpan } from '../data/types.js';
import { CLS_ID, type WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import type { WordVectors } from './word-vectors.js';
import { pieceWordFeatures, sentenceFeatures, type SparseVector } from './sparse-features.js';

export interface EncodedUtterance {
  text: string;
  /** [CLS] followed by word pieces (then [SEP] for an imported BERT), truncated to the model's maximum length. */
  ids: Int32Array;
  /** Token index of each word's first piece (words cut by truncation are dropped). */
  firstTokenOfWord: number[];
  /** [start, end) UTF-16 offsets of each kept word. */
  words: [number, number][];
  /** Sparse features of the word each token belongs to (undefined for [CLS] and [SEP]). */
  tokenFeatures: (SparseVector | undefined)[];
  sentence: SparseVector;
  /** Row of each token's word in the word-vector table, -1 for none ([CLS], [SEP], unknown words); models with word vectors. */
  wordVectorRows?: Int32Array;
  /** Whether words were cut to fit the model's maximum length. */
  truncated?: boolean;
  // Context modes (see context-encoding.ts). Absent: the tokens are the current turn alone.
  /** Speaker of each token (SPEAKER_USER / SPEAKER_ASSISTANT). */
  speakers?: Int32Array;
  /** Turn distance of each token (0 = the current turn). */
  distances?: Int32Array;
  /** Tokens of the current turn, [CLS] included; the earlier turns follow them. */
  currentTokens?: number;
  /** Memory mode: the memory carried from the previous turn [k × C]; absent: the learned initial memory. */
  memory?: Float32Array;
  /** The pretrained sentence encoder's vector of the current turn (models with a sentence head). */
  sentenceVector?: Float32Array;
}

export interface FeatureSettings {
  maxTokens: number;
  tokenFeatureBuckets: number;
  /** Token features also name the neighbouring words (BackboneConfig.tokenNeighbourFeatures). */
  neighbourFeatures?: boolean;
  idf: Float32Array;
  /** Start (and end) token of an imported tokenizer; default Duet's own [CLS] and no end token. */
  frame?: { start: number; end?: number };
  /** The model's word vectors (BackboneConfig.wordVectors). */
  wordVectors?: WordVectors;
}

/** Encode one utterance for the network. */
export async function encodeUtterance(text: string, tokenizer: WordPieceTokenizer, settings: FeatureSettings): Promise<EncodedUtterance> {
  const tokenized = await tokenizer.encode(text);
  const start = settings.frame?.start ?? CLS_ID;
  const end = settings.frame?.end;
  const framing = end === undefined ? 1 : 2;
  const keep = Math.min(tokenized.ids.length, settings.maxTokens - framing);
  const ids = new Int32Array(keep + framing);
  ids[0] = start;
  if (end !== undefined) ids[keep + 1] = end;
  const firstTokenOfWord: number[] = [];
  const words: [number, number][] = [];
  for (let i = 0; i < keep; i++) {
    ids[i + 1] = tokenized.ids[i];
    const word = tokenized.wordIds[i];
    if (i === 0 || word !== tokenized.wordIds[i - 1]) {
      firstTokenOfWord.push(i + 1);
      words.push(tokenized.words[word]);
    }
  }
  const pieces: (SparseVector | undefined)[] =
    settings.tokenFeatureBuckets > 0
      ? pieceWordFeatures(text, tokenized, keep, settings.tokenFeatureBuckets, settings.neighbourFeatures === true)
      : new Array<undefined>(keep).fill(undefined);
  const tokenFeatures: (SparseVector | undefined)[] = [undefined, ...pieces];
  if (end !== undefined) tokenFeatures.push(undefined);
  let wordVectorRows: Int32Array | undefined;
  if (settings.wordVectors) {
    const vectors = settings.wordVectors;
    const rowOfWord = tokenized.words.map(([s, e]) => vectors.rowOf(text.slice(s, e)));
    wordVectorRows = new Int32Array(ids.length).fill(-1);
    for (let i = 0; i < keep; i++) wordVectorRows[i + 1] = rowOfWord[tokenized.wordIds[i]];
  }
  return {
    text,
    ids,
    firstTokenOfWord,
    words,
    tokenFeatures,
    sentence: sentenceFeatures(text, settings.idf),
    truncated: keep < tokenized.ids.length,
    ...(wordVectorRows && { wordVectorRows }),
  };
}

/**
 * BIO tag per word from character spans: the first word overlapping a span gets B-, later ones I-.
 * Words that overlap no span are O.
 */
export function spansToWordTags(words: [number, number][], spans: SlotSpan[], tagIndex: Map<string, number>): number[] {
  const tags = new Array<number>(words.length).fill(0);
  for (const span of spans) {
    let first = true;
    words.forEach(([start, end], w) => {
      if (end <= span.start || start >= span.end) return;
      const tag = tagIndex.get(`${first ? 'B' : 'I'}-${span.slot}`);
      if (tag !== undefined) tags[w] = tag;
      first = false;
    });
  }
  return tags;
}
