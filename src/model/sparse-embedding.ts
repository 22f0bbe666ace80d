/**
 * An embedding bag over hashed sparse features, kept outside the tensor library: each step touches
 * a few thousand of its rows, so a lazy Adam update in plain TypeScript costs a few milliseconds,
 * where a dense tfjs gradient and update over the whole table would cost more than the transformer.
 */
import { fillNormal } from '../util/random.js';
import type { SparseVector } from './sparse-features.js';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export class SparseEmbeddingBag {
  readonly table: Float32Array;
  private m?: Float32Array;
  private v?: Float32Array;
  private step = 0;

  constructor(
    readonly buckets: number,
    readonly dim: number,
    rng: () => number,
    table?: Float32Array,
  ) {
    if (table && table.length !== buckets * dim) {
      throw new Error(`sparse table has ${table.length} values, expected ${buckets}×${dim}`);
    }
    this.table = table ?? fillNormal(new Float32Array(buckets * dim), 0.02, rng);
  }

  /** Weighted sum of rows for each vector: [rows.length, dim], row-major. */
  forward(rows: (SparseVector | undefined)[]): Float32Array {
    const { dim, table } = this;
    const out = new Float32Array(rows.length * dim);
    rows.forEach((row, r) => {
      if (!row) return;
      const base = r * dim;
      for (let k = 0; k < row.ids.length; k++) {
        const src = row.ids[k] * dim;
        const w = row.weights[k];
        for (let j = 0; j < dim; j++) out[base + j] += w * table[src + j];
      }
    });
    return out;
  }

  /** Apply one lazy Adam step from the gradient of the loss with respect to `forward`'s output. */
  backward(rows: (SparseVector | undefined)[], outputGrad: Float32Array, adam: AdamSettings): void {
    const { dim, table } = this;
    const grads = new Map<number, Float32Array>();
    rows.forEach((row, r) => {
      if (!row) return;
      const base = r * dim;
      for (let k = 0; k < row.ids.length; k++) {
        let g = grads.get(row.ids[k]);
        if (!g) {
          g = new Float32Array(dim);
          grads.set(row.ids[k], g);
        }
        const w = row.weights[k];
        for (let j = 0; j < dim; j++) g[j] += w * outputGrad[base + j];
      }
    });
    this.m ??= new Float32Array(table.length);
    this.v ??= new Float32Array(table.length);
    const { m, v } = this;
    this.step++;
    const { learningRate, beta1, beta2, epsilon, weightDecay } = adam;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const [bucket, g] of grads) {
      const base = bucket * dim;
      for (let j = 0; j < dim; j++) {
        const i = base + j;
        m[i] = beta1 * m[i] + (1 - beta1) * g[j];
        v[i] = beta2 * v[i] + (1 - beta2) * g[j] * g[j];
        const update = m[i] / correction1 / (Math.sqrt(v[i] / correction2) + epsilon);
        table[i] -= learningRate * (update + weightDecay * table[i]);
      }
    }
  }

  /** Drop optimiser state (after training) to free memory. */
  releaseOptimizerState(): void {
    this.m = undefined;
    this.v = undefined;
  }
}
