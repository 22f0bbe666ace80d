/**
 * Made-up conversations for training a context-mode NLU model (`duet train --context`). An
 * assistant definition holds single utterances, so each training example is read after a short
 * seeded random history: 0–3 earlier turns, alternating, the last one the assistant's, drawn
 * from the other training utterances and the definition's response texts. The model learns to
 * read the current turn whatever precedes it; the labels stay those of the current turn.
 *
 * Memory mode also needs memories to read: about half the examples of a batch get the memory
 * the model leaves after reading another random example (computed without gradients, so
 * detached); the rest start from the learned initial memory.
 */
import type { TokenizedTurn } from '../context/context-input.js';
import type { DuetModel } from '../model/duet-model.js';
import { appendContext, contextInputSettings } from '../model/context-encoding.js';
import type { EncodedUtterance } from '../model/encode-utterance.js';
import type { TokenizedText } from '../tokenizer/wordpiece.js';
import { contextSettings } from '../model/config.js';

/** Most earlier turns in a made-up history. */
const MAX_HISTORY_TURNS = 3;
/** Share of memory-mode examples that read a memory left by another example. */
const MEMORY_SHARE = 0.5;

export class TrainingContexts {
  private constructor(
    private readonly model: DuetModel,
    private readonly userTurns: TokenizedText[],
    private readonly assistantTurns: TokenizedText[],
    /** Encoded training utterances: the "earlier" examples memories are taken from. */
    private readonly pool: EncodedUtterance[],
    private readonly rng: () => number,
  ) {}

  /** Tokenize the turns histories are drawn from, once. */
  static async create(model: DuetModel, userTexts: string[], assistantTexts: string[], pool: EncodedUtterance[], rng: () => number): Promise<TrainingContexts> {
    const tokenize = (texts: string[]) => Promise.all([...new Set(texts)].filter((t) => t.trim()).map((t) => model.tokenizer.encode(t)));
    return new TrainingContexts(model, await tokenize(userTexts), await tokenize(assistantTexts), pool, rng);
  }

  /** A random history, oldest first: alternating turns ending with the assistant's (all user turns when there are no replies to draw from). */
  history(): TokenizedTurn[] {
    const n = Math.floor(this.rng() * (MAX_HISTORY_TURNS + 1));
    const turns: TokenizedTurn[] = [];
    for (let back = 1; back <= n; back++) {
      const assistant = back % 2 === 1 && this.assistantTurns.length > 0;
      const from = assistant ? this.assistantTurns : this.userTurns;
      if (from.length === 0) break;
      turns.unshift({ speaker: assistant ? 'assistant' : 'user', tokens: from[Math.floor(this.rng() * from.length)] });
    }
    return turns;
  }

  /** `u` after a random history. */
  withHistory(u: EncodedUtterance): EncodedUtterance {
    const history = this.history();
    return history.length > 0 ? appendContext(u, history, contextInputSettings(this.model.config.backbone)) : u;
  }

  /** A training batch read in context: each utterance after its own history, some with an earlier example's memory (memory mode). */
  prepare(batch: EncodedUtterance[]): EncodedUtterance[] {
    const out = batch.map((u) => this.withHistory(u));
    if (contextSettings(this.model.config.backbone).mode !== 'memory' || this.pool.length === 0) return out;
    const chosen = out.map((_, i) => i).filter(() => this.rng() < MEMORY_SHARE);
    if (chosen.length === 0) return out;
    const earlier = chosen.map(() => this.withHistory(this.pool[Math.floor(this.rng() * this.pool.length)]));
    const raw = this.model.predictEncoded(earlier);
    chosen.forEach((i, j) => (out[i] = { ...out[i], memory: raw[j].memory }));
    return out;
  }
}
