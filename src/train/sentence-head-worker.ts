/**
 * The body of the sentence head's training thread (see sentence-head-training.ts): its own tfjs
 * backend and sentence encoder (run here, not on a further thread), one job, one reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initTensorBackend } from '../model/backend.js';
import { engineFromEnvironment } from '../model/onnx/engine-choice.js';
import { SentenceEncoder } from '../model/sentence-encoder.js';
import { encodeAndTrainSentenceHead, type HeadWorkerReply, type SentenceHeadJob } from './sentence-head-training.js';

const port = parentPort;
if (!port) throw new Error('sentence-head-worker.ts runs as a worker thread (see trainSentenceHeadOnThread)');

try {
  await initTensorBackend();
  const encoder = SentenceEncoder.load(undefined, { engine: engineFromEnvironment(), thread: false });
  const trained = await encodeAndTrainSentenceHead(encoder, workerData as SentenceHeadJob);
  // Copied, not transferred: tfjs's arrays may be views on memory the backend keeps.
  port.postMessage({ ok: true, trained } satisfies HeadWorkerReply);
} catch (error) {
  port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies HeadWorkerReply);
}
