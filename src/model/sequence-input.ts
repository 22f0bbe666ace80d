/** Checks on the token and segment ids a backbone is given, and next-token picking: shared by the tfjs and ONNX engines (no tensor library here). */
import { ModelInputError } from '../errors.js';
import { CLS_ID, MASK_ID, PAD_ID, type WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { backboneVariant, type BackboneConfig } from './config.js';
import type { SpecialTokenIds } from './model-folder.js';

/** Framing and padding tokens: the imported tokenizer's, or Duet's own. */
export function specialTokensOf(stored: SpecialTokenIds | undefined): SpecialTokenIds {
  return stored ?? { start: CLS_ID, pad: PAD_ID, mask: MASK_ID };
}

/** Token ids of a text framed as the model reads an utterance ([CLS] … [SEP] for BERT). */
export async function encodeFramed(tokenizer: WordPieceTokenizer, special: SpecialTokenIds, text: string): Promise<number[]> {
  const { ids } = await tokenizer.encode(text);
  return [special.start, ...ids, ...(special.end === undefined ? [] : [special.end])];
}

/** Generation settings shared by the engines. */
export interface PickOptions {
  /** Sample among the k likeliest tokens; 0 or 1 = greedy. */
  topK?: number;
  temperature?: number;
}

/** Refuse token ids a backbone cannot take: none, more than its positions, outside its vocabulary. */
export function checkTokenIds(config: BackboneConfig, ids: number[]): void {
  if (ids.length === 0) throw new ModelInputError('give at least one token id');
  if (ids.length > config.maxPositions) throw new ModelInputError(`${ids.length} tokens exceed this model's ${config.maxPositions} positions`);
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= config.vocabSize);
  if (bad !== undefined) throw new ModelInputError(`token id ${bad} is outside this model's vocabulary (0..${config.vocabSize - 1})`);
}

/** Segment ids for `ids` (all 0 when not given), checked against the backbone's segment vocabulary. */
export function checkSegmentIds(config: BackboneConfig, ids: number[], segments?: number[]): number[] {
  const types = segments ?? ids.map(() => 0);
  const segmentCount = backboneVariant(config).segmentEmbeddings ? config.segmentVocabSize : 1;
  if (types.length !== ids.length) throw new ModelInputError(`got ${types.length} segment ids for ${ids.length} token ids`);
  if (types.some((s) => !Number.isInteger(s) || s < 0 || s >= segmentCount)) throw new ModelInputError(`segment ids must be integers below ${segmentCount}`);
  return types;
}

/** Greedy, or top-k sampling with temperature. */
export function pickToken(logits: Float32Array, options: PickOptions, rng: () => number): number {
  const k = Math.min(options.topK ?? 0, logits.length);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (k <= 1 || options.temperature === 0) return best;
  const temperature = options.temperature ?? 1;
  const top = Array.from(logits.keys())
    .sort((a, b) => logits[b] - logits[a])
    .slice(0, k);
  const weights = top.map((i) => Math.exp((logits[i] - logits[best]) / temperature));
  let r = rng() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < top.length; j++) {
    r -= weights[j];
    if (r <= 0) return top[j];
  }
  return top[top.length - 1];
}
