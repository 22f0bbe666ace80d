/**
 * Training the sentence-encoder intent head (model/sentence-head.ts) from texts: the encoder reads
 * them, the perceptron trains on the vectors. The head never reads the network, so `trainNluModel`
 * runs this on a thread of its own (sentence-head-worker.ts) while the network's epochs run here:
 * tfjs's wasm backend uses one core, and the head then costs the epochs no time on a 2-core machine.
 */
import { Worker } from 'node:worker_threads';
import { loadOnnxRuntime } from '../model/onnx/onnx-backbone.js';
import type { SentenceEncoder } from '../model/sentence-encoder.js';
import { stackVectors, trainSentenceHeadEnsemble, type SentenceHeadTrainOptions, type SentenceHeadWeights } from '../model/sentence-head.js';
import { workerEntry } from '../util/worker-entry.js';

export interface SentenceHeadJob {
  train: { texts: string[]; intents: number[] };
  validation: { texts: string[]; intents: number[] };
  nIntents: number;
  options: SentenceHeadTrainOptions;
  /**
   * Seconds from the job's start by which the head should be done: a further member of the
   * ensemble is trained only when the mean member's time still fits. Unbounded when absent.
   */
  secondsAvailable?: number;
}

export interface TrainedSentenceHead {
  weights: SentenceHeadWeights;
  /** Hidden units of the joined head (members × the options' hidden). */
  hidden: number;
  validationAccuracy: number;
  /** Each member's kept epoch. */
  epochs: number[];
  /** The validation texts' sentence vectors, one after another (what the mix weight is chosen on). */
  validationVectors: Float32Array;
  /** Reading the texts and training, on whichever thread ran it. */
  seconds: number;
}

export type SentenceHeadProgress = (stage: 'encode' | 'train', done: number, total: number) => void;

/** Read the job's texts with `encoder` (256 at a time) and train the head on their vectors. */
export async function encodeAndTrainSentenceHead(encoder: SentenceEncoder, job: SentenceHeadJob, onProgress?: SentenceHeadProgress): Promise<TrainedSentenceHead> {
  const started = performance.now();
  const texts = [...job.train.texts, ...job.validation.texts];
  const vectors: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 256) {
    vectors.push(...(await encoder.embedTexts(texts.slice(i, i + 256))));
    onProgress?.('encode', vectors.length, texts.length);
  }
  const n = job.train.texts.length;
  const validation = { vectors: vectors.slice(n), intents: job.validation.intents };
  onProgress?.('train', 0, 1);
  const encodedSeconds = (performance.now() - started) / 1000;
  const available = job.secondsAvailable ?? Infinity;
  const trained = trainSentenceHeadEnsemble(
    { vectors: vectors.slice(0, n), intents: job.train.intents },
    validation,
    job.nIntents,
    job.options,
    (done, seconds) => encodedSeconds + seconds + seconds / done <= available,
  );
  onProgress?.('train', 1, 1);
  return { ...trained, validationVectors: stackVectors(validation.vectors), seconds: (performance.now() - started) / 1000 };
}

export type HeadWorkerReply = { ok: true; trained: TrainedSentenceHead } | { ok: false; message: string };

/**
 * Start `encodeAndTrainSentenceHead` on a thread of its own (with its own encoder session and tfjs
 * backend; the same seed gives the same head as on this thread). Resolves once the thread exists,
 * so that it runs while this thread is busy with synchronous work (the epochs never yield);
 * `result` rejects when the thread fails to start or the training fails there. The thread does
 * not hold the process open.
 */
export async function startSentenceHeadThread(job: SentenceHeadJob): Promise<{ result: Promise<TrainedSentenceHead> }> {
  // onnxruntime's native library, first loaded by a thread that then ends, is unloaded with it and
  // cannot be loaded again in this process ("Module did not self-register"): this thread holds it.
  await loadOnnxRuntime().catch(() => undefined);
  const entry = workerEntry(import.meta.url, 'sentence-head-worker');
  const result = new Promise<TrainedSentenceHead>((resolve, reject) => {
    let settled = false;
    const worker = new Worker(entry.source, { eval: entry.eval, workerData: job });
    worker.unref();
    worker.once('message', (reply: HeadWorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.trained);
      else reject(new Error(`training the sentence head on its thread failed: ${reply.message}`));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the sentence head's thread stopped (exit code ${code})`));
      settled = true;
    });
  });
  // Awaited by the caller later; a failure is handled there.
  result.catch(() => undefined);
  return { result };
}
