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
  /** Sample among the k likeliest tokens; 0 or 1 = greedy (unless topP samples). */
  topK?: number;
  /** Nucleus sampling (0 < p ≤ 1): sample among the fewest likeliest tokens whose probability reaches p; 1 = off. */
  topP?: number;
  /** Divides the logits before sampling; 0 = greedy. */
  temperature?: number;
  /** CTRL's repetition penalty (> 0; 1 = off) on every token already in the prompt or the output. */
  repetitionPenalty?: number;
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

/** Refuse generation settings outside their ranges, with a message naming the setting. */
export function checkPickOptions(options: PickOptions): void {
  const { topK, topP, temperature, repetitionPenalty } = options;
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 0)) throw new ModelInputError(`top-k must be a non-negative integer, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new ModelInputError(`top-p must be above 0 and at most 1, got ${topP}`);
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) throw new ModelInputError(`temperature must be a non-negative number, got ${temperature}`);
  if (repetitionPenalty !== undefined && !(Number.isFinite(repetitionPenalty) && repetitionPenalty > 0)) {
    throw new ModelInputError(`repetition penalty must be a positive number (1 = off), got ${repetitionPenalty}`);
  }
}

/**
 * CTRL's repetition penalty (Keskar et al. 2019, as Hugging Face applies it): the logit of every
 * token in `seen` is divided by `penalty` when positive and multiplied by it when negative, so a
 * penalty above 1 always makes a seen token less likely. Returns a new array.
 */
export function penalizeRepeats(logits: Float32Array, seen: Iterable<number>, penalty: number): Float32Array {
  const out = Float32Array.from(logits);
  if (penalty === 1) return out;
  for (const id of new Set(seen)) {
    if (id < 0 || id >= out.length) continue;
    out[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
  }
  return out;
}

/**
 * The tokens sampling draws from and their unnormalised probabilities, likeliest first:
 * softmax(logits / temperature) cut to the top k (when k > 1), then to the nucleus of
 * probability `topP` (the likeliest token always stays). A single candidate means greedy.
 */
export function samplingCandidates(logits: Float32Array, options: PickOptions): { ids: number[]; weights: number[] } {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  const k = Math.min(options.topK ?? 0, logits.length);
  const topP = options.topP ?? 1;
  if ((k <= 1 && topP >= 1) || options.temperature === 0) return { ids: [best], weights: [1] };
  const temperature = options.temperature ?? 1;
  // Stable sort: among equal logits the lower id comes first, so the first candidate is `best`.
  let ids = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  if (k > 1) ids = ids.slice(0, k);
  let weights = ids.map((i) => Math.exp((logits[i] - logits[best]) / temperature));
  if (topP < 1) {
    const total = weights.reduce((a, b) => a + b, 0);
    let kept = 0;
    let mass = 0;
    while (kept < ids.length && (kept === 0 || mass < topP * total)) mass += weights[kept++];
    ids = ids.slice(0, kept);
    weights = weights.slice(0, kept);
  }
  return { ids, weights };
}

/** Greedy, or sampling (top-k, nucleus, temperature), after the repetition penalty on the tokens in `seen`. */
export function pickToken(logits: Float32Array, options: PickOptions, rng: () => number, seen: Iterable<number> = []): number {
  const penalty = options.repetitionPenalty ?? 1;
  const { ids, weights } = samplingCandidates(penalty === 1 ? logits : penalizeRepeats(logits, seen, penalty), options);
  if (ids.length === 1) return ids[0];
  let r = rng() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < ids.length; j++) {
    r -= weights[j];
    if (r <= 0) return ids[j];
  }
  return ids[ids.length - 1];
}
