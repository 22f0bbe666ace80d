/**
 * The body of the model thread (see worker-understander.ts): loads a model folder and answers
 * batches of utterances. Every request carries an id; the answer carries it back, with the result
 * or the error's message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ContextMode } from './config.js';
import { loadModel, type DuetModel, type UnderstandContext } from './duet-model.js';

/** `contexts`/`context`: what a context-mode model reads besides each text (a memory crosses as a Float32Array copy). */
export type ModelRequest =
  | { id: number; op: 'understand'; texts: string[]; contexts?: (UnderstandContext | undefined)[] }
  | { id: number; op: 'require'; text: string; slot: string; context?: UnderstandContext };

export type ModelReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

/** Ready: with what the runtime needs to know of the model to give it context (see DuetModel). */
export type WorkerStatus =
  | { ready: true; contextMode: ContextMode; memoryShape?: [number, number]; fingerprint?: string }
  | { ready: false; message: string };

const port = parentPort;
if (!port) throw new Error('model-worker.ts runs as a worker thread (see WorkerUnderstander)');

let model: DuetModel;
try {
  model = await loadModel((workerData as { modelDir: string }).modelDir);
  // The fingerprint (a hash of every weight) is only needed to check stored memories.
  const memory = model.contextMode === 'memory' ? { memoryShape: model.memoryShape, fingerprint: model.fingerprint } : {};
  port.postMessage({ ready: true, contextMode: model.contextMode, ...memory } satisfies WorkerStatus);
} catch (error) {
  port.postMessage({ ready: false, message: error instanceof Error ? error.message : String(error) } satisfies WorkerStatus);
  process.exit(1);
}

port.on('message', (request: ModelRequest) => {
  const work =
    request.op === 'understand' ? model.understandBatch(request.texts, 64, request.contexts) : model.understandRequiring(request.text, request.slot, request.context);
  work.then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies ModelReply),
    (error: unknown) => port.postMessage({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies ModelReply),
  );
});
