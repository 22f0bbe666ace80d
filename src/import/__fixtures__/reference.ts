// Reference outputs written by tools/fixtures/make_hf_fixtures.py (an independent PyTorch
// implementation of BERT and GPT-2), and helpers to compare Duet's outputs with them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = import.meta.dirname;

export type Nested = number | Nested[];

export interface ReferenceInput {
  ids: number[];
  token_type_ids?: number[];
  last_hidden_state: number[][];
  pooled?: number[];
  /** All positions: masked-LM logits (BERT) or next-token logits (GPT-2). */
  logits?: number[][];
  /** Only the last position's logits (kept small for the half-precision fixture). */
  last_logits?: number[];
}

export interface Reference {
  family: 'bert' | 'gpt2';
  inputs: ReferenceInput[];
  generation?: { prompt_ids: number[]; greedy_ids: number[] };
  tokenization?: { text: string; ids: number[] }[];
}

export const FIXTURE_NAMES = ['bert-tiny', 'bert-tiny-bf16', 'gpt2-tiny', 'gpt2-tiny-f16'] as const;

export function fixtureDir(name: string): string {
  return join(FIXTURES, name);
}

export function reference(name: string): Reference {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.reference.json`), 'utf8')) as Reference;
}

/** Largest |a - b| over two nested arrays of the same shape (a shape mismatch throws). */
export function maxAbsDiff(a: Nested, b: Nested): number {
  if (Array.isArray(a) !== Array.isArray(b)) throw new Error('shape mismatch: array against number');
  if (!Array.isArray(a) || !Array.isArray(b)) return Math.abs((a as number) - (b as number));
  if (a.length !== b.length) throw new Error(`shape mismatch: ${a.length} against ${b.length}`);
  return a.reduce<number>((worst, x, i) => Math.max(worst, maxAbsDiff(x, b[i])), 0);
}

/** Largest |x| in a nested array: shows a tolerance is small against the values compared. */
export function maxAbs(a: Nested): number {
  return Array.isArray(a) ? a.reduce<number>((worst, x) => Math.max(worst, maxAbs(x)), 0) : Math.abs(a);
}
