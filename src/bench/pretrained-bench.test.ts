import { describe, expect, it } from 'vitest';
import { runPretrainedBench } from './pretrained-bench.js';

// The real shapes take minutes and gigabytes (docs/benchmarks.md); the same code on tiny shapes.
describe('duet bench pretrained', () => {
  it('measures an encoder: sizes, load time, memory and per-utterance latency', async () => {
    const shape = { vocab: 300, hidden: 32, layers: 2, heads: 4, intermediate: 64, positions: 40 };
    const r = await runPretrainedBench({ model: 'bert', tokens: 12, newTokens: 4, runs: 3, shape });
    // Embeddings, positions, segments, 2 layers, pooler and MLM head of the random checkpoint.
    const perLayer = 4 * (32 * 32 + 32) + 2 * 32 * 64 + 64 + 32 + 4 * 32;
    expect(r.parameters).toBe(300 * 32 + 40 * 32 + 2 * 32 + 2 * 32 + 2 * perLayer + (32 * 32 + 32) + (32 * 32 + 32 + 2 * 32 + 300));
    expect(r.checkpoint_mb).toBeGreaterThanOrEqual(0);
    expect(r.tensor_mb).toBeGreaterThanOrEqual(0);
    expect(r.rss_mb).toBeGreaterThan(10);
    expect(r.utterance_tokens).toBe(12);
    expect(r.utterance_p50_ms).toBeGreaterThan(0);
    expect(r.per_token_ms).toBeUndefined();
  });

  it('measures a GPT-2: prefill and per-token latency with the KV cache', async () => {
    const shape = { vocab: 400, hidden: 32, layers: 2, heads: 4, positions: 64 };
    const r = await runPretrainedBench({ model: 'gpt2', tokens: 8, newTokens: 6, runs: 2, shape });
    expect(r.model).toBe('gpt2-small-shaped');
    expect(r.new_tokens).toBe(6);
    expect(r.per_token_ms).toBeGreaterThan(0);
    // Both from the same measurement; per_token_ms is rounded to 0.01 ms, so compare relatively.
    expect(Math.abs(((r.tokens_per_s as number) * (r.per_token_ms as number)) / 1000 - 1)).toBeLessThan(0.1);
  });

  it('measures both engines on the same model: onnx latency and generation, and no tfjs tensors', async () => {
    const shape = { vocab: 400, hidden: 32, layers: 2, heads: 4, positions: 64 };
    const r = await runPretrainedBench({ model: 'gpt2', engine: 'onnx', tokens: 8, newTokens: 6, runs: 2, shape });
    expect(r.engine).toBe('onnx');
    expect(r.utterance_p50_ms).toBeGreaterThan(0);
    expect(r.per_token_ms).toBeGreaterThan(0);
    expect(r.tensor_mb).toBe(0);
    const bert = await runPretrainedBench({ model: 'bert', engine: 'onnx', tokens: 12, newTokens: 4, runs: 3, shape: { ...shape, intermediate: 64, positions: 40 } });
    expect(bert.engine).toBe('onnx');
    expect(bert.per_token_ms).toBeUndefined();
  });
});
