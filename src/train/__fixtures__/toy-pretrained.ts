/** A tiny `duet pretrain` folder for tests: two kinds of exchange (weather, flight bookings) over a few cities, trained in seconds. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PretrainingCorpus } from '../../data/corpora/pretraining.js';
import { initTensorBackend } from '../../model/backend.js';
import { runPretraining, type PretrainOptions } from '../pretrain.js';

export const TOY_CITIES = ['paris', 'london', 'rome', 'oslo', 'tokyo', 'berlin'];

/** Dialogues in stream order: a weather question and its answer; a booking and its confirmation. `greeting` opens the weather exchanges. */
export function toyDialogueCorpus(greeting?: string): PretrainingCorpus {
  return {
    texts: TOY_CITIES.flatMap((c) => [`what is the weather in ${c} ?`, `it is sunny in ${c} .`, `book a flight to ${c}`, `your flight to ${c} is booked .`]),
    pairs: TOY_CITIES.flatMap((c) => [
      { context: [...(greeting ? [greeting] : []), `what is the weather in ${c} ?`], response: `it is sunny in ${c} .`, source: 'toy' },
      { context: [`book a flight to ${c}`], response: `your flight to ${c} is booked .`, source: 'toy' },
    ]),
    sources: [{ name: 'toy', licence: 'test data', texts: 24, pairs: 12 }],
  };
}

/** Pretrains a width-32 model on `corpus` into a new temp folder and returns the folder. */
export async function pretrainToy(corpus: PretrainingCorpus, options: Partial<PretrainOptions>): Promise<string> {
  await initTensorBackend();
  const dir = mkdtempSync(join(tmpdir(), 'duet-toy-pretrained-'));
  await runPretraining({
    outDir: dir,
    options: { batchSize: 8, maxTokens: 24, dModel: 32, heads: 2, ff: 64, vocabSize: 200, learningRate: 1e-2, warmupSteps: 2, dropout: 0, seed: 3, ...options },
    loadCorpus: () => corpus,
    machine: 'test machine',
  });
  return dir;
}

/** Two personas a toy assistant may have, each with its own answer to the same questions. */
export const TOY_PERSONAS = [
  { fact: 'i am a weather bot .', answer: 'i can tell you the weather .' },
  { fact: 'i am a travel agent .', answer: 'i can book your flights .' },
] as const;
export const TOY_PERSONA_QUESTIONS = ['what can you do ?', 'how can you help ?', 'what do you do ?'];

/**
 * Persona-conditioned dialogues, as PersonaChat lays them out: the persona's fact, then the
 * exchange. The questions alone do not tell the answers apart; only the fact before them does.
 */
export function toyPersonaCorpus(): PretrainingCorpus {
  const dialogues = TOY_PERSONAS.flatMap((p) => TOY_PERSONA_QUESTIONS.flatMap((q) => [p.fact, q, p.answer]));
  return {
    texts: Array.from({ length: 4 }, () => dialogues).flat(),
    pairs: TOY_PERSONAS.flatMap((p) => TOY_PERSONA_QUESTIONS.map((q) => ({ context: [p.fact, q], response: p.answer, source: 'toy' }))),
    sources: [{ name: 'toy', licence: 'test data', texts: dialogues.length, pairs: TOY_PERSONAS.length * TOY_PERSONA_QUESTIONS.length }],
  };
}
