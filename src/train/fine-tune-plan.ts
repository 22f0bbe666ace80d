/**
 * How much of a pretrained backbone to fine-tune. Every trained weight costs four copies in
 * tensor memory (the weight, its gradient, Adam's two moments), and the WebAssembly backend's
 * heap fails past about 2 GB, fragmentation and activations included. Measured with a
 * BERT-base-shaped backbone (110M parameters): training all 12 layers, or the top 10 or 11,
 * aborts in the first step; the top 9 run with tiny batches; the top 7 run with batches of
 * 16 twenty-token utterances. Training only the top layers keeps the rest at one copy.
 */
import { ConfigError } from '../errors.js';

/** Tensor memory (weights, gradients, Adam moments) a plan may use; the rest of the heap is for activations. */
export const TENSOR_MEMORY_BUDGET = 2 ** 30;

/** Whether parameter `name` is trained when the top `layers` of `nLayers` transformer layers are. */
export function isFineTuned(name: string, layers: number, nLayers: number): boolean {
  if (layers <= 0) return false;
  const layer = /^layers\.(\d+)\./.exec(name);
  if (layer) return Number(layer[1]) >= nLayers - layers;
  if (name.startsWith('final_norm.')) return true;
  // The embeddings sit below the first layer: trained only with all of them.
  return layers >= nLayers;
}

/** Bytes of tensor memory for training the top `layers` layers: 4 bytes × (all weights + 3 × trained weights). */
export function fineTuningBytes(sizes: ReadonlyMap<string, number>, layers: number, nLayers: number): number {
  let total = 0;
  let trained = 0;
  for (const [name, size] of sizes) {
    total += size;
    if (isFineTuned(name, layers, nLayers)) trained += size;
  }
  return 4 * (total + 3 * trained);
}

/**
 * The number of top layers to fine-tune: `requested` when it fits in memory (else an error saying
 * what does), or without a request as many as fit (`limited` tells that it is not all of them).
 */
export function planFineTuning(sizes: ReadonlyMap<string, number>, nLayers: number, requested?: number): { layers: number; limited: boolean } {
  const fits = (layers: number) => fineTuningBytes(sizes, layers, nLayers) <= TENSOR_MEMORY_BUDGET;
  let most = nLayers;
  while (most > 0 && !fits(most)) most--;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > nLayers) throw new ConfigError(`--train-layers must be between 1 and ${nLayers}, got ${requested}`);
    if (requested > most) {
      const gb = (fineTuningBytes(sizes, requested, nLayers) / 2 ** 30).toFixed(1);
      throw new ConfigError(
        `fine-tuning ${requested} of ${nLayers} layers needs about ${gb} GB of tensor memory, more than the WebAssembly backend holds: ` +
          (most > 0 ? `use --train-layers ${most} or fewer, or --freeze-backbone` : 'use --freeze-backbone'),
      );
    }
    return { layers: requested, limited: requested < nLayers };
  }
  if (most === 0) throw new ConfigError('even the top layer of this backbone does not fit in tensor memory for fine-tuning: use --freeze-backbone');
  return { layers: most, limited: most < nLayers };
}
