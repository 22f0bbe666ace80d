/**
 * The body of the model thread (see worker-understander.ts): loads a model folder and answers
 * batches of utterances. Every request carries an id; the answer carries it back, with the result
 * or the error's message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel, type DuetModel } from './duet-model.js';

export type ModelRequest = { id: number; op: 'understand'; texts: string[] } | { id: number; op: 'require'; text: string; slot: string };

export type ModelReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

export type WorkerStatus = { ready: true } | { ready: false; message: string };

const port = parentPort;
if (!port) throw new Error('model-worker.ts runs as a worker thread (see WorkerUnderstander)');

let model: DuetModel;
try {
  model = await loadModel((workerData as { modelDir: string }).modelDir);
  port.postMessage({ ready: true } satisfies WorkerStatus);
} catch (error) {
  port.postMessage({ ready: false, message: error instanceof Error ? error.message : String(error) } satisfies WorkerStatus);
  process.exit(1);
}

port.on('message', (request: ModelRequest) => {
  const work = request.op === 'understand' ? model.understandBatch(request.texts) : model.understandRequiring(request.text, request.slot);
  work.then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies ModelReply),
    (error: unknown) => port.postMessage({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies ModelReply),
  );
});
