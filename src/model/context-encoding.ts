/**
 * The conversation as the NLU model (DuetModel) reads it in a context mode: an encoded utterance
 * with the earlier turns the mode reads appended after it (src/context/context-input.ts lays
 * them out). The current turn keeps positions 1.. in every mode, so the slot head's word
 * alignment and every other head read it unchanged; the earlier turns carry no sparse word
 * features (those describe the current turn).
 */
import { buildContextTokens, type ContextInputSettings, type TokenizedTurn } from '../context/context-input.js';
import type { TokenizedText, WordPieceTokenizer } from '../tokenizer/wordpiece.js';
import { contextSettings, type BackboneConfig, type ContextMode } from './config.js';
import type { EncodedUtterance } from './encode-utterance.js';

/** An earlier turn of the conversation. */
export interface ConversationTurn {
  speaker: 'user' | 'assistant';
  text: string;
}

/** What a context-mode model may read besides the message itself (mode "none" ignores it). */
export interface UnderstandContext {
  /** Earlier turns, oldest first: concat mode reads as many as fit, memory mode the assistant's reply just before. */
  history?: readonly ConversationTurn[];
  /** Memory mode: the memory the previous turn returned (k × C values); absent: the learned initial memory. */
  memory?: Float32Array;
}

/**
 * Longest utterance input (FeatureSettings.maxTokens): a context mode keeps one position free for
 * the [SEP] before the earlier turns, as buildContextTokens does, so both cut the current turn
 * at the same token. Mode "none" keeps today's limit.
 */
export function utteranceTokenLimit(backbone: BackboneConfig): number {
  return contextSettings(backbone).mode === 'none' ? backbone.maxPositions : backbone.maxPositions - 1;
}

/** How buildContextTokens lays out a turn for this backbone (the whole sequence fits its positions). */
export function contextInputSettings(backbone: BackboneConfig): ContextInputSettings {
  const { mode, maxTurnDistance } = contextSettings(backbone);
  return { mode, maxTokens: backbone.maxPositions, maxUtteranceTokens: backbone.maxPositions, maxTurnDistance };
}

/**
 * Tokenize the earlier turns a mode reads, newest first until `room` tokens are filled: a
 * conversation of any length costs at most one sequence's worth of tokenizing.
 */
export async function tokenizeHistory(
  tokenizer: WordPieceTokenizer,
  history: readonly ConversationTurn[],
  mode: ContextMode,
  room: number,
): Promise<TokenizedTurn[]> {
  if (mode === 'none' || history.length === 0) return [];
  const last = history[history.length - 1];
  const read = mode === 'concat' ? history : last.speaker === 'assistant' ? [last] : [];
  const out: TokenizedTurn[] = [];
  let used = 0;
  for (let i = read.length - 1; i >= 0 && used < room; i--) {
    const tokens = await tokenizer.encode(read[i].text);
    out.unshift({ speaker: read[i].speaker, tokens });
    used += tokens.ids.length + 1; // its [SEP]
  }
  return out;
}

/** `u` followed by the earlier turns (oldest first in `history`) its mode reads, cut to the sequence length. */
export function appendContext(u: EncodedUtterance, history: readonly TokenizedTurn[], settings: ContextInputSettings): EncodedUtterance {
  // Only the current turn's ids are read here: its word offsets are already in `u`.
  const current: TokenizedText = { ids: Array.from(u.ids.subarray(1)), tokens: [], offsets: [], wordIds: [], words: [] };
  const built = buildContextTokens(current, history, settings);
  const currentTokens = 1 + built.utteranceTokens;
  if (currentTokens !== u.ids.length) throw new Error(`context layout kept ${currentTokens} of the utterance's ${u.ids.length} tokens`);
  const tokenFeatures = [...u.tokenFeatures, ...new Array<undefined>(built.ids.length - u.ids.length).fill(undefined)];
  return { ...u, ids: built.ids, tokenFeatures, speakers: built.speakers, distances: built.distances, currentTokens };
}
