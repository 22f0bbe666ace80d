/**
 * Duet's response rankers for `duet bench chat`: the cosine of context and response vectors, from a
 * `duet pretrain` folder's backbone or a `duet train-ranker` folder's towers.
 */
import { basename, resolve } from 'node:path';
import type { TextEncoder } from '../dialogue/chatter.js';
import { ResponseEncoder } from '../model/response-encoder.js';
import type { ResponseRanker } from './chat-bench.js';

export async function loadDuetRanker(dir: string): Promise<ResponseRanker & { dispose(): void }> {
  const encoder = await ResponseEncoder.load(dir);
  return { ...cosineRanker(`duet (${basename(resolve(dir))})`, encoder), dispose: () => encoder.dispose() };
}

/** A ranker scoring candidates by the dot product of an encoder's unit vectors. */
export function cosineRanker(name: string, encoder: TextEncoder): ResponseRanker {
  // Candidates recur across examples (negatives are drawn from one pool): encode each text once.
  const responses = new Map<string, Float32Array>();
  return {
    name,
    async score(context, candidates) {
      const missing = [...new Set(candidates.filter((c) => !responses.has(c)))];
      if (missing.length > 0) (await encoder.encodeResponses(missing)).forEach((v, i) => responses.set(missing[i], v));
      const [c] = await encoder.encodeContexts([context]);
      return candidates.map((text) => {
        const r = responses.get(text) as Float32Array;
        let dot = 0;
        for (let j = 0; j < c.length; j++) dot += c[j] * r[j];
        return dot;
      });
    },
  };
}
