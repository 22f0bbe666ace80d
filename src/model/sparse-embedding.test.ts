import { describe, expect, it } from 'vitest';
import { createRng } from '../util/random.js';
import { SparseEmbeddingBag, type AdamSettings } from './sparse-embedding.js';
import type { SparseVector } from './sparse-features.js';

const ADAM: AdamSettings = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.01 };

/** Lazy Adam written out plainly: the gradient of each touched bucket, then Adam on those rows only. */
function referenceStep(table: Float32Array, m: Float32Array, v: Float32Array, step: number, dim: number, rows: (SparseVector | undefined)[], grad: Float32Array): void {
  const grads = new Map<number, Float32Array>();
  rows.forEach((row, r) => {
    row?.ids.forEach((bucket, k) => {
      const g = grads.get(bucket) ?? new Float32Array(dim);
      grads.set(bucket, g);
      for (let j = 0; j < dim; j++) g[j] += row.weights[k] * grad[r * dim + j];
    });
  });
  const { learningRate, beta1, beta2, epsilon, weightDecay } = ADAM;
  for (const [bucket, g] of grads) {
    for (let j = 0; j < dim; j++) {
      const i = bucket * dim + j;
      m[i] = beta1 * m[i] + (1 - beta1) * g[j];
      v[i] = beta2 * v[i] + (1 - beta2) * g[j] * g[j];
      table[i] -= learningRate * (m[i] / (1 - beta1 ** step) / (Math.sqrt(v[i] / (1 - beta2 ** step)) + epsilon) + weightDecay * table[i]);
    }
  }
}

function randomRows(rng: () => number, count: number, buckets: number, features: number): (SparseVector | undefined)[] {
  return Array.from({ length: count }, (_, r) =>
    r % 7 === 3
      ? undefined
      : { ids: Int32Array.from({ length: features }, () => Math.floor(rng() * buckets)), weights: Float32Array.from({ length: features }, () => rng() - 0.5) },
  );
}

describe('SparseEmbeddingBag', () => {
  it('sums weighted rows forward, and its lazy Adam step equals the plain one, bucket repeats and growth included', () => {
    const buckets = 5000;
    const dim = 4;
    const rng = createRng(11);
    const bag = new SparseEmbeddingBag(buckets, dim, createRng(5));
    const table = bag.table.slice();
    const m = new Float32Array(table.length);
    const v = new Float32Array(table.length);
    // Three steps: the first touches more buckets than the scratch buffer starts with; the later
    // ones share some buckets with it and leave others alone (those must not move).
    const steps = [randomRows(rng, 300, buckets, 12), randomRows(rng, 40, 200, 6), randomRows(rng, 40, 200, 6)];
    steps.forEach((rows, s) => {
      const out = bag.forward(rows);
      rows.forEach((row, r) => {
        for (let j = 0; j < dim; j++) {
          let sum = 0;
          row?.ids.forEach((bucket, k) => (sum += row.weights[k] * bag.table[bucket * dim + j]));
          expect(out[r * dim + j]).toBeCloseTo(sum, 5);
        }
      });
      const grad = Float32Array.from({ length: rows.length * dim }, () => rng() - 0.5);
      bag.backward(rows, grad, ADAM);
      referenceStep(table, m, v, s + 1, dim, rows, grad);
      expect(bag.table).toEqual(table);
    });
    expect(new Set(steps[0].flatMap((row) => (row ? [...row.ids] : []))).size).toBeGreaterThan(1024);
  });
});
