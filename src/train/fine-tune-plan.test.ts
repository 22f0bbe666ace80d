import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { fineTuningBytes, isFineTuned, planFineTuning, TENSOR_MEMORY_BUDGET } from './fine-tune-plan.js';

/** Parameter sizes of a post-LN BERT backbone as Duet names them. */
function bertSizes(V: number, C: number, F: number, L: number, P: number): Map<string, number> {
  const sizes = new Map<string, number>([
    ['embeddings.token', V * C],
    ['embeddings.position', P * C],
    ['embeddings.segment', 2 * C],
    ['embeddings.norm.weight', C],
    ['embeddings.norm.bias', C],
  ]);
  for (let i = 0; i < L; i++) {
    sizes.set(`layers.${i}.attn.qkv.weight`, 3 * C * C);
    sizes.set(`layers.${i}.attn.out.weight`, C * C);
    sizes.set(`layers.${i}.mlp.up.weight`, C * F);
    sizes.set(`layers.${i}.mlp.down.weight`, F * C);
    sizes.set(`layers.${i}.attn_norm.weight`, C);
  }
  return sizes;
}

describe('fine-tuning plans', () => {
  it('trains the top layers, the final norm, and the embeddings only with every layer', () => {
    expect(isFineTuned('layers.11.mlp.up.weight', 2, 12)).toBe(true);
    expect(isFineTuned('layers.9.mlp.up.weight', 2, 12)).toBe(false);
    expect(isFineTuned('final_norm.weight', 1, 12)).toBe(true);
    expect(isFineTuned('embeddings.token', 11, 12)).toBe(false);
    expect(isFineTuned('embeddings.token', 12, 12)).toBe(true);
    expect(isFineTuned('layers.11.mlp.up.weight', 0, 12)).toBe(false);
  });

  it('counts a weight once when frozen and four times when trained', () => {
    const sizes = new Map([
      ['embeddings.token', 100],
      ['layers.0.w', 10],
      ['layers.1.w', 10],
    ]);
    expect(fineTuningBytes(sizes, 1, 2)).toBe(4 * (120 + 3 * 10));
    expect(fineTuningBytes(sizes, 2, 2)).toBe(4 * (120 + 3 * 120));
  });

  it('BERT-base does not fit whole: the top 7 of 12 layers do', () => {
    const sizes = bertSizes(30522, 768, 3072, 12, 512);
    expect(fineTuningBytes(sizes, 12, 12)).toBeGreaterThan(TENSOR_MEMORY_BUDGET);
    expect(planFineTuning(sizes, 12)).toEqual({ layers: 7, limited: true });
    expect(planFineTuning(sizes, 12, 3)).toEqual({ layers: 3, limited: true });
    expect(() => planFineTuning(sizes, 12, 12)).toThrow(ConfigError);
    expect(() => planFineTuning(sizes, 12, 12)).toThrow(/fine-tuning 12 of 12 layers needs about 1\.6 GB .* use --train-layers 7 or fewer, or --freeze-backbone/);
    expect(() => planFineTuning(sizes, 12, 13)).toThrow(/--train-layers must be between 1 and 12/);
  });

  it('a small backbone is fine-tuned whole', () => {
    expect(planFineTuning(bertSizes(8000, 128, 256, 2, 64), 2)).toEqual({ layers: 2, limited: false });
  });
});
