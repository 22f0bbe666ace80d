/**
 * Tensor backend setup. Duet trains and runs on tfjs with the WebAssembly backend; this module
 * patches the two things that make it slow or broken for transformer training (see DESIGN.md):
 * the matMul gradient (rewritten with explicit transposes) and the missing UnsortedSegmentSum
 * kernel that embedding-lookup gradients need.
 */
// The union package registers every op's gradient and the cpu backend; wasm is added beside it.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

let ready: Promise<string> | undefined;

/** Initialise the fastest available backend once per process; returns its name. */
export function initTensorBackend(preferred?: 'wasm' | 'cpu'): Promise<string> {
  ready ??= setUp(preferred ?? (process.env.DUET_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
  return ready;
}

async function setUp(preferred: 'wasm' | 'cpu'): Promise<string> {
  registerFastMatMulGradient();
  registerSegmentSumKernel('wasm');
  const ok = await tf.setBackend(preferred);
  if (!ok) await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}

/** Bytes and count of live tensors (benchmarks read it; only model/ and train/ import tfjs). */
export function tensorMemory(): { numTensors: number; numBytes: number } {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, numBytes };
}

/** Swap the last two axes: an explicit transpose, which wasm runs far faster than matMul's transpose flags. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(x, perm);
}

/** Reduce a broadcast gradient back to the shape of the input it belongs to. */
function sumToShape(grad: tf.Tensor, shape: number[]): tf.Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  return tf.reshape(tf.sum(grad, axes), shape);
}

function registerFastMatMulGradient(): void {
  tf.registerGradient({
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      // y = A' @ B' with A' = op(a), B' = op(b): dA' = dy @ B'^T, dB' = A'^T @ dy.
      const aPrime = () => (transposeA ? swapLast(a) : a);
      const bPrime = () => (transposeB ? swapLast(b) : b);
      return {
        a: () => {
          const dAPrime = tf.matMul(g, swapLast(bPrime()));
          return sumToShape(transposeA ? swapLast(dAPrime) : dAPrime, a.shape);
        },
        b: () => {
          const dBPrime = tf.matMul(swapLast(aPrime()), g);
          return sumToShape(transposeB ? swapLast(dBPrime) : dBPrime, b.shape);
        },
      };
    },
  });
}

interface WasmLikeBackend {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/** UnsortedSegmentSum for wasm, written in JS: the gradient of `gather` (embedding lookups) needs it. */
function registerSegmentSumKernel(backendName: string): void {
  const existing = tf.getKernel(tf.UnsortedSegmentSum, backendName);
  if (existing) return;
  tf.registerKernel({
    kernelName: tf.UnsortedSegmentSum,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const be = backend as unknown as WasmLikeBackend;
      const xs = be.readSync(x.dataId) as Float32Array;
      const ids = be.readSync(segmentIds.dataId) as Int32Array;
      const rowSize = x.shape.slice(segmentIds.shape.length).reduce((p, d) => p * d, 1);
      const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
      const out = be.makeOutput(outShape, x.dtype);
      const outVals = be.typedArrayFromHeap(out) as Float32Array;
      outVals.fill(0);
      for (let i = 0; i < ids.length; i++) {
        const seg = ids[i];
        if (seg < 0 || seg >= numSegments) continue;
        const src = i * rowSize;
        const dst = seg * rowSize;
        for (let j = 0; j < rowSize; j++) outVals[dst + j] += xs[src + j];
      }
      return out;
    },
  });
}
