/**
 * The token sequence a context mode reads for one user turn (docs/context-modes.md):
 *
 * - none:   [CLS] current user turn
 * - concat: [CLS] current user turn [SEP] previous turn [SEP] the one before [SEP] ... newest to
 *           oldest, cut to `maxTokens` (the oldest turns go first; a turn that only partly fits
 *           keeps its beginning);
 * - memory: [CLS] current user turn [SEP] the assistant's reply just before it [SEP], constant in
 *           length: everything older reaches the model through the memory vectors.
 *
 * The current turn always comes first, so its tokens sit at the same positions in every mode and
 * every head reads them the same way. Each token carries its speaker and its turn distance
 * (0 = current turn, 1 = the turn before...), capped at the model's last distance row.
 */
import { SPEAKER_ASSISTANT, SPEAKER_USER, type ContextMode } from '../model/config.js';
import { CLS_ID, SEP_ID, type TokenizedText } from '../tokenizer/wordpiece.js';

/** An earlier turn of the conversation, already tokenized. */
export interface TokenizedTurn {
  speaker: 'user' | 'assistant';
  tokens: TokenizedText;
}

export interface ContextInputSettings {
  mode: ContextMode;
  /** Longest sequence (tokens, [CLS] and [SEP]s included). */
  maxTokens: number;
  /** Longest current user turn in tokens; the rest of it is cut. */
  maxUtteranceTokens: number;
  /** Turn distances with their own embedding row. */
  maxTurnDistance: number;
}

export interface ContextTokens {
  ids: Int32Array;
  speakers: Int32Array;
  distances: Int32Array;
  /** Tokens of the current user turn: ids[1 .. 1 + utteranceTokens). */
  utteranceTokens: number;
  /** [start, end) UTF-16 offsets of each current-turn token in the user's text. */
  utteranceOffsets: [number, number][];
  /** Earlier turns that did not fit, wholly or in part (0 when nothing was cut). */
  turnsCut: number;
}

/**
 * Build the sequence of one user turn. `history` is every earlier turn, oldest first; modes that
 * do not read it ignore it, so callers can always pass the whole conversation.
 */
export function buildContextTokens(current: TokenizedText, history: readonly TokenizedTurn[], settings: ContextInputSettings): ContextTokens {
  const ids: number[] = [CLS_ID];
  const speakers: number[] = [SPEAKER_USER];
  const distances: number[] = [0];
  const utteranceTokens = Math.min(current.ids.length, settings.maxUtteranceTokens, settings.maxTokens - 2);
  for (let i = 0; i < utteranceTokens; i++) {
    ids.push(current.ids[i]);
    speakers.push(SPEAKER_USER);
    distances.push(0);
  }
  let turnsCut = 0;
  const earlier = earlierTurns(history, settings.mode);
  for (let back = 0; back < earlier.length; back++) {
    const turn = earlier[earlier.length - 1 - back];
    const room = settings.maxTokens - ids.length - 1; // the [SEP] before the turn
    if (room <= 0) {
      turnsCut = earlier.length - back;
      break;
    }
    const distance = Math.min(back + 1, settings.maxTurnDistance - 1);
    const speaker = turn.speaker === 'user' ? SPEAKER_USER : SPEAKER_ASSISTANT;
    ids.push(SEP_ID);
    speakers.push(speaker);
    distances.push(distance);
    const take = Math.min(turn.tokens.ids.length, room);
    for (let i = 0; i < take; i++) {
      ids.push(turn.tokens.ids[i]);
      speakers.push(speaker);
      distances.push(distance);
    }
    if (take < turn.tokens.ids.length) {
      turnsCut = earlier.length - back;
      break;
    }
  }
  return {
    ids: Int32Array.from(ids),
    speakers: Int32Array.from(speakers),
    distances: Int32Array.from(distances),
    utteranceTokens,
    utteranceOffsets: current.offsets.slice(0, utteranceTokens),
    turnsCut,
  };
}

/** The earlier turns a mode reads, oldest first. */
function earlierTurns(history: readonly TokenizedTurn[], mode: ContextMode): readonly TokenizedTurn[] {
  if (mode === 'none' || history.length === 0) return [];
  if (mode === 'concat') return history;
  const last = history[history.length - 1];
  return last.speaker === 'assistant' ? [last] : [];
}
