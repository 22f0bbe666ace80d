/**
 * Small talk beyond the assistant's own responses (issue #4): a reply retrieved from an index of
 * candidate responses by the pretrained ranker, never one already said in the conversation, and,
 * when nothing in the index fits well enough, a generated one (if a generator is given). The
 * assistant asks for one only on a turn that is not a task (see `Assistant`), so small talk never
 * runs a skill; and a message that reads as a request (a `requestGate`) gets none, so the
 * assistant declines it instead of chatting as if it would do it.
 *
 * With a persona (`persona:` in the definition), its facts come first: a question about the
 * assistant that a fact answers gets that fact, and otherwise the facts are read as earlier turns
 * of the conversation, as persona-conditioned dialogue models (PersonaChat and its successors)
 * read theirs, so that ranking and generation are conditioned on who is speaking.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors } from '../model/safetensors.js';
import { writeFileAtomically } from '../train/pretrain-checkpoint.js';
import type { ChatReply, Chatter } from './assistant.js';
import { factAnswering, factsFor, personaFacts } from './persona.js';

/** What the chatter needs from a model: unit vectors of contexts and of responses (a `ResponseEncoder`). */
export interface TextEncoder {
  encodeContexts(contexts: string[][]): Promise<Float32Array[]>;
  encodeResponses(texts: string[]): Promise<Float32Array[]>;
  /** A faster scorer of `index` than a JavaScript loop, where the encoder has one (null: none). */
  indexScorer?(index: ResponseIndex): Promise<IndexScorer | null>;
}

/** Dot products of a query with every vector of an index, in index order. */
export interface IndexScorer {
  scores(query: Float32Array): Promise<Float32Array>;
}

/** The plain loop over an index's rows. */
function loopScorer({ texts, vectors, dim }: ResponseIndex): IndexScorer {
  return {
    scores: async (query) => {
      const out = new Float32Array(texts.length);
      for (let i = 0; i < texts.length; i++) {
        let dot = 0;
        const base = i * dim;
        for (let j = 0; j < dim; j++) dot += query[j] * vectors[base + j];
        out[i] = dot;
      }
      return out;
    },
  };
}

/** What the chatter needs to generate: a reply to a dialogue (a `ReplyGenerator`). */
export interface ReplyWriter {
  /** `onText`, when given, is called with the whole text so far as the reply grows (ReplyGenerator streams it). */
  reply(context: string[], options: { seed?: number; onText?: (textSoFar: string) => void }): Promise<{ text: string }>;
}

/**
 * Passes a growing reply on to `onText` in parts, each once it is final: the text up to its last
 * space (the word being written may still grow, or be joined by the punctuation after it), and
 * never while an excluded reply starts with it (the reply could still turn out to be that one and
 * be dropped). So the parts passed on always begin the reply that is kept, and the caller sends
 * the rest of it when the turn ends.
 */
export function streamedParts(onText: (part: string) => void, exclude: ReadonlySet<string>): (textSoFar: string) => void {
  let passed = '';
  const excluded = [...exclude].map((text) => text.trim());
  return (textSoFar) => {
    const text = textSoFar.trimStart();
    const lastSpace = text.search(/\s+\S*$/);
    const final = lastSpace < 0 ? '' : text.slice(0, lastSpace);
    if (final.length <= passed.length || !final.startsWith(passed) || excluded.some((said) => said.startsWith(final))) return;
    onText(final.slice(passed.length));
    passed = final;
  };
}

/** Tells a request the assistant cannot run from small talk (a chat ranker's request gate). */
export interface RequestGate {
  isRequest(text: string): Promise<boolean>;
}

/** Candidate responses and their unit vectors, row-major [texts.length × dim]. */
export interface ResponseIndex {
  texts: string[];
  vectors: Float32Array;
  dim: number;
}

/** Encodes `texts` (duplicates and blanks dropped) into an index. */
export async function buildResponseIndex(encoder: TextEncoder, texts: string[], batchSize = 256): Promise<ResponseIndex> {
  const unique = [...new Set(texts.map((t) => t.trim()).filter(Boolean))];
  const rows: Float32Array[] = [];
  for (let i = 0; i < unique.length; i += batchSize) rows.push(...(await encoder.encodeResponses(unique.slice(i, i + batchSize))));
  const dim = rows[0]?.length ?? 0;
  const vectors = new Float32Array(unique.length * dim);
  rows.forEach((row, i) => vectors.set(row, i * dim));
  return { texts: unique, vectors, dim };
}

export interface RetrievalChatterOptions {
  /** Least cosine a retrieved reply needs; below it the generator answers (or nobody). */
  minScore: number;
  /** Turns of context read (default 3, as the ranker was trained). */
  contextTurns?: number;
  generator?: ReplyWriter;
  /** Persona facts read before the conversation (default 3): the ones the message is most about. */
  personaFacts?: number;
  /** Least share of a question's content words a fact must contain to be the answer (default 0.5). */
  factMinScore?: number;
  /**
   * Least share of the message's words that occur somewhere in the index (default 0.5): below it
   * the message is most likely another language or noise ("asdkjh qwpoeiru", "comment ça va ?"),
   * which the English sentence encoder cannot read, and any reply retrieved for it is a guess.
   * 0 turns the check off.
   */
  minKnownWords?: number;
  /**
   * Tells requests from small talk (a ranker's request gate): a request the assistant could not
   * run gets no small talk, so the assistant declines it rather than chat as if it would comply.
   */
  requestGate?: RequestGate;
}

export class RetrievalChatter implements Chatter {
  private turnsAnswered = 0;
  /** Every word of the index's replies, lowercased. */
  private readonly vocabulary: ReadonlySet<string>;
  private scorer?: Promise<IndexScorer>;

  constructor(
    private readonly encoder: TextEncoder,
    private readonly index: ResponseIndex,
    private readonly options: RetrievalChatterOptions,
  ) {
    this.vocabulary = new Set(index.texts.flatMap(words));
  }

  async reply(input: Parameters<Chatter['reply']>[0]): Promise<ChatReply | null> {
    const facts = input.persona ? personaFacts(input.persona) : [];
    // A fact is the true answer to a question about the assistant, better than anything a corpus
    // of strangers' replies holds; it may be said again (asked twice, it is still the answer).
    const known = factAnswering(facts, input.text, this.options.factMinScore ?? 0.5);
    if (known) return { text: known.fact, source: 'persona', score: known.score };
    const knownShare = this.options.minKnownWords ?? 0.5;
    const said = words(input.text);
    if (knownShare > 0 && said.filter((w) => this.vocabulary.has(w)).length < Math.max(1, knownShare * said.length)) return null;
    if (await this.options.requestGate?.isRequest(input.text)) return null;
    const window = this.options.contextTurns ?? 3;
    const conversation = [...input.context, input.text];
    const read = factsFor(facts, input.text, this.options.personaFacts ?? 3);
    // The ranker reads `window` turns (it was trained on 3): the facts, joined, take the oldest
    // place, so they condition the query without pushing the message itself out.
    const rankTurns = read.length > 0 ? [read.join(' '), ...conversation.slice(-Math.max(1, window - 1))] : conversation.slice(-window);
    const [query] = await this.encoder.encodeContexts([rankTurns]);
    const best = await this.bestUnsaid(query, input.exclude);
    if (best && best.score >= this.options.minScore) return { text: best.text, source: 'retrieval', score: best.score };
    if (this.options.generator) {
      // Each fact is a turn before the conversation; a prompt too long for the model loses its
      // oldest tokens first (ReplyGenerator.reply), so the facts give way before the dialogue does.
      const turns = [...read, ...conversation.slice(-window)];
      const onText = input.onText && streamedParts(input.onText, input.exclude);
      const generated = (await this.options.generator.reply(turns, { seed: this.turnsAnswered++, ...(onText && { onText }) })).text.trim();
      if (generated && !input.exclude.has(generated)) return { text: generated, source: 'generation', score: best?.score ?? 0 };
    }
    return null;
  }

  /** The highest-scoring candidate not in `exclude`. */
  private async bestUnsaid(query: Float32Array, exclude: ReadonlySet<string>): Promise<{ text: string; score: number } | null> {
    // The encoder's own scorer when it has one; the loop when it has none or it fails to start.
    this.scorer ??= (this.encoder.indexScorer?.(this.index) ?? Promise.resolve(null)).catch(() => null).then((s) => s ?? loopScorer(this.index));
    const scores = await (await this.scorer).scores(query);
    const { texts } = this.index;
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < texts.length; i++) {
      if (scores[i] > bestScore && !exclude.has(texts[i])) {
        best = i;
        bestScore = scores[i];
      }
    }
    return best < 0 ? null : { text: texts[best], score: bestScore };
  }
}

/** Lowercased words of `text` (letters of any script, with inner apostrophes). */
function words(text: string): string[] {
  return text.toLowerCase().match(/\p{L}+(?:'\p{L}+)*/gu) ?? [];
}

/** Files of a response index saved beside the model that made it. */
export const RESPONSE_INDEX_FILES = { texts: 'response-index.json', vectors: 'response-index.safetensors' } as const;

/** Saves `index` into `dir` (vectors in half precision), each file written whole or not at all. */
export function saveResponseIndex(dir: string, index: ResponseIndex, sources: string[]): void {
  const vectors = encodeSafetensors({ vectors: { shape: [index.texts.length, index.dim], data: index.vectors } }, 'F16');
  writeFileAtomically(join(dir, RESPONSE_INDEX_FILES.vectors), vectors);
  writeFileAtomically(join(dir, RESPONSE_INDEX_FILES.texts), `${JSON.stringify({ dim: index.dim, sources, texts: index.texts })}\n`);
}

/** The index saved in `dir`, or a ModelLoadError naming the file that is missing or does not match. */
export function loadResponseIndex(dir: string): ResponseIndex {
  const textsFile = join(dir, RESPONSE_INDEX_FILES.texts);
  const vectorsFile = join(dir, RESPONSE_INDEX_FILES.vectors);
  for (const file of [textsFile, vectorsFile]) {
    if (!existsSync(file)) throw new ModelLoadError(`${file} is missing: build the response index with \`duet index-responses ${dir}\`.`);
  }
  let texts: string[];
  try {
    texts = (JSON.parse(readFileSync(textsFile, 'utf8')) as { texts: string[] }).texts;
  } catch (error) {
    throw new ModelLoadError(`${textsFile} is not a response index (${error instanceof Error ? error.message : String(error)}); rebuild it with \`duet index-responses ${dir}\`.`);
  }
  let tensor: { shape: number[]; data: Float32Array } | undefined;
  try {
    tensor = decodeSafetensors(readFileSync(vectorsFile)).tensors.vectors;
  } catch (error) {
    throw new ModelLoadError(`${vectorsFile} is damaged (${error instanceof Error ? error.message : String(error)}); rebuild it with \`duet index-responses ${dir}\`.`);
  }
  if (!Array.isArray(texts) || !tensor || tensor.shape.length !== 2 || tensor.shape[0] !== texts.length) {
    throw new ModelLoadError(`${vectorsFile} does not match ${textsFile}; rebuild the index with \`duet index-responses ${dir}\`.`);
  }
  return { texts, vectors: tensor.data, dim: tensor.shape[1] };
}
