/**
 * WordPiece tokenizer trained on the assistant's own training text with Hugging Face `tokenizers`,
 * saved beside the weights as `tokenizer.json`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const dir = mkdtempSync(join(tmpdir(), 'duet-tok-'));
    try {
      const file = join(dir, 'corpus.txt');
      writeFileSync(file, texts.join('\n'));
      const trainer = configure(new Tokenizer(WordPiece.empty()));
      trainer.train([file]);
      // The trainer lists the alphabet first, then merges by frequency: keep the most useful prefix.
      const learned = Object.entries(trainer.getVocab(false)).sort((a, b) => a[1] - b[1]);
      const vocab: Record<string, number> = {};
      let next = 0;
      for (const token of SPECIAL_TOKENS) vocab[token] = next++;
      for (const [token] of learned) {
        if (next >= vocabSize) break;
        if (!(token in vocab)) vocab[token] = next++;
      }
      const tokenizer = configure(new Tokenizer(WordPiece.init(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##' })));
      tokenizer.addSpecialTokens([...SPECIAL_TOKENS]);
      return new WordPieceTokenizer(tokenizer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    const offsets = encoding.getOffsets().map(([s, e]) => [toUtf16(s), toUtf16(e)] as [number, number]);
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
    return { ids: encoding.getIds(), tokens: encoding.getTokens(), offsets, wordIds, words };
  }

  async decode(ids: number[]): Promise<string> {
    return this.inner.decode(ids, true);
  }
}

function configure(tokenizer: Tokenizer): Tokenizer {
  tokenizer.setNormalizer(bertNormalizer({ lowercase: true, stripAccents: true, cleanText: true, handleChineseChars: true }));
  tokenizer.setPreTokenizer(bertPreTokenizer());
  tokenizer.setDecoder(wordPieceDecoder());
  return tokenizer;
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
