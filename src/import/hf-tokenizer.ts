/**
 * The checkpoint's own tokenizer, as a `tokenizer.json` for the Hugging Face `tokenizers`
 * library: copied when the folder has one, else assembled from BERT's `vocab.txt` or GPT-2's
 * `vocab.json` + `merges.txt`. Those files only list the vocabulary and the merges; the library's
 * WordPiece and byte-level BPE models do the tokenising, configured as the original tokenizers are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { CheckpointImportError } from '../errors.js';
import type { SpecialTokenIds } from '../model/model-folder.js';
import { readJson } from './hf-checkpoint.js';

export interface ImportedTokenizer {
  /** tokenizer.json content to write into the Duet model folder. */
  json: string;
  /** The file it was built from. */
  source: string;
  specialTokens: SpecialTokenIds;
}

type Family = 'bert' | 'gpt2';

/** Find, convert and check the tokenizer of a checkpoint folder. */
export function importTokenizer(dir: string, family: Family, vocabSize: number, modelConfig: Record<string, unknown>): ImportedTokenizer {
  const settings = tokenizerSettings(dir);
  const names = specialTokenNames(family, settings);
  let doc: Record<string, unknown>;
  let source: string;
  if (existsSync(join(dir, 'tokenizer.json'))) {
    source = join(dir, 'tokenizer.json');
    doc = readJson(source);
    const type = (doc.model as { type?: unknown } | undefined)?.type;
    const expected = family === 'bert' ? 'WordPiece' : 'BPE';
    if (type !== expected) throw new CheckpointImportError(source, `has a ${String(type)} model; a ${family} checkpoint needs ${expected}`);
    // Duet frames, pads and truncates sequences itself; a padding rule here would pad every encode.
    doc = { ...doc, truncation: null, padding: null };
  } else if (family === 'bert') {
    source = join(dir, 'vocab.txt');
    if (!existsSync(source)) throw new CheckpointImportError(dir, 'has neither tokenizer.json nor vocab.txt: download the tokenizer files with the weights');
    doc = bertTokenizerJson(readVocabTxt(source), names, settings);
  } else {
    source = join(dir, 'vocab.json');
    const mergesFile = join(dir, 'merges.txt');
    if (!existsSync(source) || !existsSync(mergesFile)) {
      throw new CheckpointImportError(dir, 'has neither tokenizer.json nor vocab.json + merges.txt: download the tokenizer files with the weights');
    }
    doc = gpt2TokenizerJson(readJson(source) as Record<string, number>, readMerges(mergesFile), names, settings);
  }
  const json = JSON.stringify(doc);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromString(json);
  } catch (error) {
    throw new CheckpointImportError(source, `cannot be read by the tokenizers library: ${(error as Error).message}`, { cause: error });
  }
  const largest = Math.max(...Object.values(tokenizer.getVocab(true)));
  if (largest >= vocabSize) {
    throw new CheckpointImportError(source, `has token id ${largest}, beyond the model's vocab_size ${vocabSize}: the tokenizer belongs to another model`);
  }
  const id = (name: string | undefined, role: string, required: boolean): number | undefined => {
    const found = name === undefined ? null : tokenizer.tokenToId(name);
    if (found === null && required) throw new CheckpointImportError(source, `has no ${role} token ${name ?? ''}`.trim());
    return found ?? undefined;
  };
  let specialTokens: SpecialTokenIds;
  if (family === 'bert') {
    specialTokens = {
      start: id(names.cls, 'classification ([CLS])', true) as number,
      end: id(names.sep, 'separator ([SEP])', true),
      pad: id(names.pad, 'padding', false) ?? 0,
      mask: id(names.mask, 'mask', false),
    };
  } else {
    const configured = typeof modelConfig.eos_token_id === 'number' ? modelConfig.eos_token_id : undefined;
    const eos = id(names.eos, 'end-of-text', configured === undefined) ?? (configured as number);
    specialTokens = { start: eos, pad: eos, endOfText: eos };
  }
  return { json, source, specialTokens };
}

interface TokenizerSettings {
  [key: string]: unknown;
}

/** tokenizer_config.json and special_tokens_map.json merged (either may be absent). */
function tokenizerSettings(dir: string): TokenizerSettings {
  const merged: TokenizerSettings = {};
  for (const file of ['special_tokens_map.json', 'tokenizer_config.json']) {
    if (existsSync(join(dir, file))) Object.assign(merged, readJson(join(dir, file)));
  }
  return merged;
}

interface SpecialNames {
  cls?: string;
  sep?: string;
  pad?: string;
  mask?: string;
  unk?: string;
  eos?: string;
}

function specialTokenNames(family: Family, settings: TokenizerSettings): SpecialNames {
  // A special token is written either as a string or as an AddedToken object with `content`.
  const name = (key: string): string | undefined => {
    const value = settings[key];
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
    return undefined;
  };
  if (family === 'bert') {
    return {
      cls: name('cls_token') ?? '[CLS]',
      sep: name('sep_token') ?? '[SEP]',
      pad: name('pad_token') ?? '[PAD]',
      mask: name('mask_token') ?? '[MASK]',
      unk: name('unk_token') ?? '[UNK]',
    };
  }
  return { eos: name('eos_token') ?? '<|endoftext|>' };
}

function readVocabTxt(file: string): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // As BERT's own loader: one token per line, its line number is its id.
  lines.forEach((line, i) => (vocab[line.replace(/\r$/, '')] = i));
  if (lines.length === 0) throw new CheckpointImportError(file, 'is empty');
  return vocab;
}

function readMerges(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const merges = lines.filter((line, i) => line.trim() !== '' && !(i === 0 && line.startsWith('#version')));
  merges.forEach((line, i) => {
    if (line.split(' ').length !== 2) throw new CheckpointImportError(file, `line ${i + 2} is not a pair of symbols: ${JSON.stringify(line)}`);
  });
  return merges;
}

function addedToken(id: number, content: string, normalized: boolean) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized, special: true };
}

/** BERT's tokenizer: clean text, (optionally) lower-case and strip accents, split on whitespace and punctuation, WordPiece. */
function bertTokenizerJson(vocab: Record<string, number>, names: SpecialNames, settings: TokenizerSettings): Record<string, unknown> {
  const specials = [names.pad, names.unk, names.cls, names.sep, names.mask].filter((t): t is string => t !== undefined && t in vocab);
  const cls = names.cls as string;
  const sep = names.sep as string;
  const lowercase = settings.do_lower_case !== false;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => addedToken(vocab[t], t, false)),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: settings.tokenize_chinese_chars !== false,
      strip_accents: typeof settings.strip_accents === 'boolean' ? settings.strip_accents : null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: cls in vocab && sep in vocab ? { type: 'BertProcessing', sep: [sep, vocab[sep]], cls: [cls, vocab[cls]] } : null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: names.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** GPT-2's tokenizer: bytes mapped to printable characters, GPT-2's split pattern, BPE merges by rank. */
function gpt2TokenizerJson(vocab: Record<string, number>, merges: string[], names: SpecialNames, settings: TokenizerSettings): Record<string, unknown> {
  const eos = names.eos as string;
  const byteLevel = { add_prefix_space: settings.add_prefix_space === true, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: eos in vocab ? [addedToken(vocab[eos], eos, true)] : [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
