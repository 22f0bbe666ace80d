import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from './backend.js';
import { createRng } from '../util/random.js';

/** A row-major stack of matrices: data of shape [batch, rows, cols]. */
interface Stack {
  batch: number;
  rows: number;
  cols: number;
  data: Float64Array;
}

const at = (s: Stack, b: number, r: number, c: number) => s.data[(b * s.rows + r) * s.cols + c];

function transposeStack(s: Stack): Stack {
  const out: Stack = { batch: s.batch, rows: s.cols, cols: s.rows, data: new Float64Array(s.data.length) };
  for (let b = 0; b < s.batch; b++) for (let r = 0; r < s.rows; r++) for (let c = 0; c < s.cols; c++) out.data[(b * out.rows + c) * out.cols + r] = at(s, b, r, c);
  return out;
}

/** Batched matrix product in float64; a batch of 1 broadcasts against any batch. */
function matMulStack(x: Stack, y: Stack): Stack {
  if (x.cols !== y.rows) throw new Error('inner dimensions differ');
  const batch = Math.max(x.batch, y.batch);
  const out: Stack = { batch, rows: x.rows, cols: y.cols, data: new Float64Array(batch * x.rows * y.cols) };
  for (let b = 0; b < batch; b++) {
    const bx = x.batch === 1 ? 0 : b;
    const by = y.batch === 1 ? 0 : b;
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < y.cols; j++) {
        let sum = 0;
        for (let k = 0; k < x.cols; k++) sum += at(x, bx, i, k) * at(y, by, k, j);
        out.data[(b * out.rows + i) * out.cols + j] = sum;
      }
    }
  }
  return out;
}

/** Sum a stack over its batch down to `batch` (1 when the input was broadcast). */
function reduceBatch(s: Stack, batch: number): Stack {
  if (s.batch === batch) return s;
  const size = s.rows * s.cols;
  const out: Stack = { batch: 1, rows: s.rows, cols: s.cols, data: new Float64Array(size) };
  for (let b = 0; b < s.batch; b++) for (let i = 0; i < size; i++) out.data[i] += s.data[b * size + i];
  return out;
}

function randomValues(n: number, rng: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

/** Shape [batch?, rows, cols] as a tensor shape; batch undefined = a plain matrix. */
function tensorShape(batch: number | undefined, rows: number, cols: number): number[] {
  return batch === undefined ? [rows, cols] : [batch, rows, cols];
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tolerance) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

interface MatMulCase {
  name: string;
  /** Batch of a and b (undefined = rank 2). */
  batchA?: number;
  batchB?: number;
}

const matMulCases: MatMulCase[] = [
  { name: '2-D' },
  { name: 'batched 3-D', batchA: 3, batchB: 3 },
  { name: '3-D with b broadcast over the batch', batchA: 3, batchB: 1 },
  { name: '3-D with a broadcast over the batch', batchA: 1, batchB: 2 },
];

beforeAll(async () => {
  expect(await initTensorBackend()).toBe('wasm');
});

describe('patched BatchMatMul gradient (wasm)', () => {
  for (const c of matMulCases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`matches W·Bᵀ and Aᵀ·W for ${c.name}, transposeA=${transposeA}, transposeB=${transposeB}`, () => {
          const rng = createRng(7);
          const [m, k, n] = [4, 5, 3];
          const batch = Math.max(c.batchA ?? 1, c.batchB ?? 1);
          // Stored shapes: a is [m, k] (or [k, m] when transposed), b is [k, n] (or [n, k]).
          const aRows = transposeA ? k : m;
          const aCols = transposeA ? m : k;
          const bRows = transposeB ? n : k;
          const bCols = transposeB ? k : n;
          const aValues = randomValues((c.batchA ?? 1) * aRows * aCols, rng);
          const bValues = randomValues((c.batchB ?? 1) * bRows * bCols, rng);
          const wValues = randomValues(batch * m * n, rng);
          const outBatch = c.batchA === undefined && c.batchB === undefined ? undefined : batch;

          const before = tf.memory().numTensors;
          const [gradA, gradB, y] = tf.tidy(() => {
            const a = tf.tensor(aValues, tensorShape(c.batchA, aRows, aCols));
            const b = tf.tensor(bValues, tensorShape(c.batchB, bRows, bCols));
            const w = tf.tensor(wValues, tensorShape(outBatch, m, n));
            const f = (x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(w, tf.matMul(x, z, transposeA, transposeB)));
            const [ga, gb] = tf.grads(f)([a, b]);
            return [ga.dataSync(), gb.dataSync(), tf.matMul(a, b, transposeA, transposeB).dataSync()];
          });
          expect(tf.memory().numTensors).toBe(before);

          const A: Stack = { batch: c.batchA ?? 1, rows: aRows, cols: aCols, data: Float64Array.from(aValues) };
          const B: Stack = { batch: c.batchB ?? 1, rows: bRows, cols: bCols, data: Float64Array.from(bValues) };
          const W: Stack = { batch, rows: m, cols: n, data: Float64Array.from(wValues) };
          const aPrime = transposeA ? transposeStack(A) : A; // [m, k]
          const bPrime = transposeB ? transposeStack(B) : B; // [k, n]
          expectClose(y, matMulStack(aPrime, bPrime).data);
          // y = Σ W ⊙ (A'·B'): dA' = W·B'ᵀ, dB' = A'ᵀ·W, then undo the transpose and the broadcast.
          const dAPrime = reduceBatch(matMulStack(W, transposeStack(bPrime)), A.batch);
          const dBPrime = reduceBatch(matMulStack(transposeStack(aPrime), W), B.batch);
          expectClose(gradA, (transposeA ? transposeStack(dAPrime) : dAPrime).data);
          expectClose(gradB, (transposeB ? transposeStack(dBPrime) : dBPrime).data);
        });
      }
    }
  }

  it('agrees with a finite difference through a nonlinearity', () => {
    const rng = createRng(11);
    const aValues = randomValues(2 * 3 * 4, rng);
    const bValues = randomValues(2 * 2 * 4, rng);
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(a, b, false, true)));
    const grads = tf.tidy(() => tf.grads(loss)([tf.tensor(aValues, [2, 3, 4]), tf.tensor(bValues, [2, 2, 4])]).map((g) => g.dataSync()));
    const evalAt = (a: Float32Array, b: Float32Array) => tf.tidy(() => loss(tf.tensor(a, [2, 3, 4]), tf.tensor(b, [2, 2, 4])).dataSync()[0]);
    const eps = 1e-2;
    for (const [which, values] of [
      [0, aValues],
      [1, bValues],
    ] as const) {
      for (const i of [0, 5, values.length - 1]) {
        const plus = Float32Array.from(values);
        const minus = Float32Array.from(values);
        plus[i] += eps;
        minus[i] -= eps;
        const numeric =
          which === 0 ? (evalAt(plus, bValues) - evalAt(minus, bValues)) / (2 * eps) : (evalAt(aValues, plus) - evalAt(aValues, minus)) / (2 * eps);
        expect(grads[which][i]).toBeCloseTo(numeric, 2);
      }
    }
  });
});

describe('UnsortedSegmentSum kernel (wasm)', () => {
  it('is registered for the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined();
  });

  it('sums rows per segment, leaving empty segments at zero', () => {
    const out = tf.tidy(() =>
      tf
        .unsortedSegmentSum(
          tf.tensor2d([
            [1, 2],
            [3, 4],
            [5, 6],
            [7, 8],
          ]),
          tf.tensor1d([2, 0, 2, 2], 'int32'),
          4,
        )
        .arraySync(),
    );
    expect(out).toEqual([
      [3, 4],
      [0, 0],
      [13, 16],
      [0, 0],
    ]);
  });

  it('gives tf.gather the embedding gradient, accumulating repeated ids', () => {
    const rng = createRng(3);
    const [rows, dim] = [6, 3];
    const ids = [0, 2, 2, 5, 2, 0];
    const table = randomValues(rows * dim, rng);
    const wValues = randomValues(ids.length * dim, rng);
    const before = tf.memory().numTensors;
    const grad = tf.tidy(() => {
      const w = tf.tensor2d(wValues, [ids.length, dim]);
      const idsT = tf.tensor1d(ids, 'int32');
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, tf.gather(x, idsT))))(tf.tensor2d(table, [rows, dim])).dataSync();
    });
    expect(tf.memory().numTensors).toBe(before);
    const expected = new Float64Array(rows * dim);
    ids.forEach((id, i) => {
      for (let j = 0; j < dim; j++) expected[id * dim + j] += wValues[i * dim + j];
    });
    expectClose(grad, expected, 1e-6);
    // Rows 1, 3 and 4 were never looked up.
    for (const r of [1, 3, 4]) expect(Array.from(grad.subarray(r * dim, (r + 1) * dim))).toEqual([0, 0, 0]);
  });

  it('handles a [batch, time] id matrix as an embedding lookup does', () => {
    const rng = createRng(5);
    const [rows, dim] = [4, 2];
    const ids = [
      [1, 1, 3],
      [0, 1, 1],
    ];
    const table = randomValues(rows * dim, rng);
    const wValues = randomValues(6 * dim, rng);
    const grad = tf.tidy(() => {
      const w = tf.tensor3d(wValues, [2, 3, dim]);
      const idsT = tf.tensor2d(ids, [2, 3], 'int32');
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, tf.gather(x, idsT))))(tf.tensor2d(table, [rows, dim])).dataSync();
    });
    const expected = new Float64Array(rows * dim);
    ids.flat().forEach((id, i) => {
      for (let j = 0; j < dim; j++) expected[id * dim + j] += wValues[i * dim + j];
    });
    expectClose(grad, expected, 1e-6);
  });
});
