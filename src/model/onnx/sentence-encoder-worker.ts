/**
 * The body of the sentence encoder's thread (see sentence-encoder-thread.ts): tokenizes texts and
 * runs the encoder's onnxruntime session. Every request carries an id; the answer carries it back,
 * with the vectors one after another or the error's message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SentenceEncoder } from '../sentence-encoder.js';

export interface EncoderRequest {
  id: number;
  texts: string[];
}

export type EncoderReply = { id: number; ok: true; vectors: Float32Array } | { id: number; ok: false; message: string };

export type EncoderStatus = { ready: true } | { ready: false; message: string; name: string };

const port = parentPort;
if (!port) throw new Error('sentence-encoder-worker.ts runs as a worker thread (see SentenceEncoderThread)');

const encoder = SentenceEncoder.load((workerData as { folder: string }).folder, { engine: 'onnx', thread: false });
try {
  // Building the session here, before "ready", keeps the first sentence as fast as the others.
  await encoder.engineInUse();
  port.postMessage({ ready: true } satisfies EncoderStatus);
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  port.postMessage({ ready: false, message: e.message, name: e.name } satisfies EncoderStatus);
  process.exit(1);
}

port.on('message', ({ id, texts }: EncoderRequest) => {
  encoder.embedTexts(texts).then(
    (rows) => {
      const vectors = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
      let offset = 0;
      for (const r of rows) vectors.set(r, (offset += r.length) - r.length);
      port.postMessage({ id, ok: true, vectors } satisfies EncoderReply, [vectors.buffer]);
    },
    (error: unknown) => port.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies EncoderReply),
  );
});
