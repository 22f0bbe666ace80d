/**
 * The request gate: whether a message the assistant's NLU heard as out of scope is a request (an
 * errand the assistant cannot run: "book me a flight to Paris") or small talk ("I love rainy
 * days"). A request must be declined, not chatted with: a reply retrieved from strangers'
 * dialogues may promise what the assistant never does ("Okay. I will book this flight."). It is a
 * one-hidden-layer perceptron on the frozen sentence vector the chat ranker already computes for
 * the message (src/model/chat-ranker.ts), trained by src/train/train-request-gate.ts; on
 * validation it beat a logistic regression on the same vectors (97.7% balanced accuracy to 95.3%).
 */
import { SENTENCE_VECTOR_SIZE } from './sentence-encoder.js';

/** Names of the gate's tensors inside the ranker's safetensors file. */
export const REQUEST_GATE_WEIGHT_NAMES = ['request.w1', 'request.b1', 'request.w2', 'request.b2'] as const;

export interface RequestGateWeights {
  /** [512 × hidden], row-major. */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden]. */
  w2: Float32Array;
  b2: number;
}

/** What a ranker folder's config says about its gate. */
export interface RequestGateConfig {
  hidden: number;
  /** Least probability at which a message counts as a request, chosen on validation. */
  threshold: number;
  /** How it was trained and how it did on validation (written by `duet train-ranker`). */
  training?: Record<string, unknown>;
}

/** Probability that the message whose sentence vector is `vector` is a request. */
export function requestProbability(gate: RequestGateWeights, vector: Float32Array): number {
  const hidden = gate.b1.length;
  if (vector.length !== SENTENCE_VECTOR_SIZE || gate.w1.length !== SENTENCE_VECTOR_SIZE * hidden || gate.w2.length !== hidden) {
    throw new Error(`request gate: expected a ${SENTENCE_VECTOR_SIZE}-d vector and a ${SENTENCE_VECTOR_SIZE}×${hidden} layer`);
  }
  const h = Float32Array.from(gate.b1);
  for (let i = 0; i < SENTENCE_VECTOR_SIZE; i++) {
    const x = vector[i];
    if (x === 0) continue;
    const row = i * hidden;
    for (let j = 0; j < hidden; j++) h[j] += x * gate.w1[row + j];
  }
  let z = gate.b2;
  for (let j = 0; j < hidden; j++) if (h[j] > 0) z += h[j] * gate.w2[j];
  return 1 / (1 + Math.exp(-z));
}
