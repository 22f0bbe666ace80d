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
  /** Backward's scratch: each bucket's slot in `grads` during a step (-1: untouched), and the buckets by slot. */
  private slotOf?: Int32Array;
  private grads: Float32Array = new Float32Array(0);
  private touchedBuckets = new Int32Array(0);

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
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (!row) continue;
      const { ids, weights } = row;
      const base = r * dim;
      for (let k = 0; k < ids.length; k++) {
        const src = ids[k] * dim;
        const w = weights[k];
        for (let j = 0; j < dim; j++) out[base + j] += w * table[src + j];
      }
    }
    return out;
  }

  /** Apply one lazy Adam step from the gradient of the loss with respect to `forward`'s output. */
  backward(rows: (SparseVector | undefined)[], outputGrad: Float32Array, adam: AdamSettings): void {
    const { dim, table } = this;
    // Each touched bucket gets a slot in one reused gradient buffer, in the order first touched (a
    // Map of per-bucket arrays cost an allocation and a hash lookup per feature, and the collector).
    const slotOf = (this.slotOf ??= new Int32Array(this.buckets).fill(-1));
    let touched = 0;
    let gradBuffer: Float32Array = this.grads;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (!row) continue;
      const { ids, weights } = row;
      const base = r * dim;
      for (let k = 0; k < ids.length; k++) {
        const bucket = ids[k];
        let slot = slotOf[bucket];
        if (slot < 0) {
          slot = touched++;
          slotOf[bucket] = slot;
          if (this.touchedBuckets.length < touched) gradBuffer = this.grow(touched);
          this.touchedBuckets[slot] = bucket;
          gradBuffer.fill(0, slot * dim, slot * dim + dim);
        }
        const at = slot * dim;
        const w = weights[k];
        for (let j = 0; j < dim; j++) gradBuffer[at + j] += w * outputGrad[base + j];
      }
    }
    this.m ??= new Float32Array(table.length);
    this.v ??= new Float32Array(table.length);
    const { m, v, grads, touchedBuckets } = this;
    this.step++;
    const { learningRate, beta1, beta2, epsilon, weightDecay } = adam;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (let s = 0; s < touched; s++) {
      const bucket = touchedBuckets[s];
      slotOf[bucket] = -1;
      const base = bucket * dim;
      const at = s * dim;
      for (let j = 0; j < dim; j++) {
        const i = base + j;
        const g = grads[at + j];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        const update = m[i] / correction1 / (Math.sqrt(v[i] / correction2) + epsilon);
        table[i] -= learningRate * (update + weightDecay * table[i]);
      }
    }
  }

  /** Room for `slots` touched buckets in the gradient buffer (doubling, so a run allocates a few times). */
  private grow(slots: number): Float32Array {
    const capacity = Math.max(slots, this.touchedBuckets.length * 2, 1024);
    const grads = new Float32Array(capacity * this.dim);
    grads.set(this.grads);
    this.grads = grads;
    const buckets = new Int32Array(capacity);
    buckets.set(this.touchedBuckets);
    this.touchedBuckets = buckets;
    return grads;
  }

  /** Drop optimiser state (after training) to free memory. */
  releaseOptimizerState(): void {
    this.m = undefined;
    this.v = undefined;
    this.slotOf = undefined;
    this.grads = new Float32Array(0);
    this.touchedBuckets = new Int32Array(0);
  }
}
