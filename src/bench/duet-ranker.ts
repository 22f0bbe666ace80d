/** Duet's response ranker for `duet bench chat`: the cosine of context and response vectors of a `duet pretrain` folder. */
import { basename, resolve } from 'node:path';
import { ResponseEncoder } from '../model/response-encoder.js';
import type { ResponseRanker } from './chat-bench.js';

export async function loadDuetRanker(dir: string): Promise<ResponseRanker & { dispose(): void }> {
  const encoder = await ResponseEncoder.load(dir);
  // Candidates recur across examples (negatives are drawn from one pool): encode each text once.
  const responses = new Map<string, Float32Array>();
  return {
    name: `duet (${basename(resolve(dir))})`,
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
    dispose: () => encoder.dispose(),
  };
}
