/**
 * Replies to a conversation with the next-token head of a `duet pretrain` folder, and the
 * likelihood it gives a reply. The prompt is the dialogue framed exactly as the next-token
 * objective read dialogue text (src/train/pretrain-batches.ts): every turn followed by [SEP],
 * no [CLS], so a prompt ending in [SEP] asks for the next turn and a reply ends at the next [SEP].
 * The prompt also starts with [SEP], as every text after the first does in the training stream:
 * it tells the model the first turn starts a text rather than continuing one.
 */
import { ModelLoadError, ModelInputError } from '../errors.js';
import { SEP_ID } from '../tokenizer/wordpiece.js';
import { loadPretrainedModel, type PretrainedModel } from './pretrained-model.js';
import type { PickOptions } from './sequence-input.js';

/** How `reply` samples. */
export interface ReplyOptions extends PickOptions {
  /** Tokens generated at most, a closing [SEP] included (default 30): a reply not ended by then is cut. */
  maxTokens?: number;
  seed?: number;
  /**
   * Called with the reply's text so far after every token (the whole text, not the new part: a
   * piece can join the word before it). Between tokens the reply waits for pending I/O, so a
   * server can send each part to its client while the rest is generated.
   */
  onText?: (textSoFar: string) => void;
}

/** A generated reply. */
export interface Reply {
  text: string;
  /** Tokens of the reply (the model's own tokenizer), the closing [SEP] not counted. */
  tokens: number;
  ids: number[];
  /** Whether the model ended the turn with [SEP] (false: cut at maxTokens or at the position limit). */
  ended: boolean;
}

/** A reply's log-likelihood under the language-model head. */
export interface ReplyScore {
  /** Σ ln p over the response's tokens and the closing [SEP]. */
  logProbSum: number;
  /** Tokens scored: the response's pieces plus the closing [SEP]. */
  tokens: number;
}

export const DEFAULT_REPLY_TOKENS = 30;

export class ReplyGenerator {
  private constructor(
    readonly model: PretrainedModel,
    /** The token that ends a turn in the training stream. */
    readonly separator: number,
  ) {}

  /** Load a folder with a next-token head (`duet pretrain`). */
  static async load(dir: string): Promise<ReplyGenerator> {
    const model = await loadPretrainedModel(dir);
    if (!model.heads?.config.causalLm) {
      model.dispose();
      throw new ModelLoadError(`${model.folder} has no language-model head: replies need a \`duet pretrain\` folder`);
    }
    return new ReplyGenerator(model, model.specialTokens.end ?? SEP_ID);
  }

  /** What the tokenizer is, for reports: perplexities per token depend on it. */
  get tokenizerDescription(): string {
    const family = this.model.metadata.pretrained?.family ?? 'duet';
    return `${family} WordPiece, ${this.model.tokenizer.vocabSize} pieces`;
  }

  /** Token ids of the dialogue as the next-token objective saw it: [SEP] t1 [SEP] t2 [SEP] … tn [SEP]. */
  async promptIds(context: string[]): Promise<number[]> {
    const ids = [this.separator];
    for (const turn of context) ids.push(...(await this.pieces(turn)), this.separator);
    return ids;
  }

  /**
   * Σ ln p(response tokens, then [SEP] | context) under the language-model head. A dialogue
   * longer than the model's positions is read in windows (PretrainedModel.tokenLogProbs), as
   * training cut its stream into windows.
   */
  async logProbOf(context: string[], response: string): Promise<ReplyScore> {
    const prompt = await this.promptIds(context);
    const target = [...(await this.pieces(response)), this.separator];
    const logProbs = this.model.tokenLogProbs([...prompt, ...target], prompt.length);
    return { logProbSum: logProbs.reduce((a, b) => a + b, 0), tokens: target.length };
  }

  /** The next turn: sampled (or greedy) until [SEP] or `maxTokens`, detokenised. */
  async reply(context: string[], options: ReplyOptions = {}): Promise<Reply> {
    const maxTokens = options.maxTokens ?? DEFAULT_REPLY_TOKENS;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new ModelInputError(`a reply needs maxTokens of at least 1, got ${maxTokens}`);
    const positions = this.model.config.maxPositions;
    // Keep the most recent part of the dialogue that leaves room for the reply
    // (training windows, too, start anywhere in the stream).
    const room = Math.max(1, positions - maxTokens + 1);
    const prompt = (await this.promptIds(context)).slice(-room);
    // [SEP] ends every turn of the prompt: the repetition penalty must not hold it back.
    const { onText, ...pick } = options;
    const settings = { ...pick, maxNewTokens: maxTokens, stopIds: [this.separator], unpenalized: [this.separator], stopAtEndOfText: false };
    let ids: number[];
    if (onText) {
      ids = [];
      for (const id of this.model.generateTokens(prompt, settings)) {
        ids.push(id);
        onText(await this.model.tokenizer.decode(ids));
        // Generation never awaits otherwise: without this the text would reach no socket until the end.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } else {
      ids = this.model.generateIds(prompt, settings);
    }
    // Generation ends at [SEP] (left out, so fewer than maxTokens ids), at maxTokens, or when the
    // positions run out (prompt.length + ids.length > positions); only the first ends the turn.
    const ended = ids.length < maxTokens && prompt.length + ids.length <= positions;
    return { text: await this.model.tokenizer.decode(ids), tokens: ids.length, ids, ended };
  }

  dispose(): void {
    this.model.dispose();
  }

  private async pieces(text: string): Promise<number[]> {
    return (await this.model.tokenizer.encode(text)).ids;
  }
}
