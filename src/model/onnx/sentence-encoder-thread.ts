/**
 * The sentence encoder's onnxruntime session on a thread of its own. onnxruntime-node runs a
 * session synchronously on the calling thread, so on the model's thread the encoder (~2.5 ms for
 * a short message on the 2-core test machine) and the NLU network ran one after the other; here
 * the encoder reads the message while the model's thread tokenizes it and runs the network, and
 * a message costs about the slower of the two instead of their sum. The thread tokenizes too, so
 * the only traffic is the texts going and the 512-d vectors coming back.
 *
 * The thread holds the process open only while an answer is awaited.
 */
import { Worker } from 'node:worker_threads';
import { EngineUnavailableError, ModelLoadError } from '../../errors.js';
import { workerEntry } from '../../util/worker-entry.js';
import type { EncoderReply, EncoderRequest, EncoderStatus } from './sentence-encoder-worker.js';

interface Waiting {
  count: number;
  resolve(vectors: Float32Array[]): void;
  reject(error: Error): void;
}

export class SentenceEncoderThread {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly width: number,
  ) {
    worker.on('message', (reply: EncoderReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the sentence encoder's thread stopped (exit code ${code})`)));
    worker.unref();
  }

  /**
   * Start the thread on the encoder in `folder` and wait until its session is built. Rejects with
   * the thread's own error (onnxruntime missing, the weights unreadable) when it cannot start.
   */
  static async start(folder: string, width: number): Promise<SentenceEncoderThread> {
    const entry = workerEntry(import.meta.url, 'sentence-encoder-worker');
    const worker = new Worker(entry.source, { eval: entry.eval, workerData: { folder } });
    const listeners: { message?: (s: EncoderStatus) => void; error?: (e: Error) => void; exit?: (code: number) => void } = {};
    const status = await new Promise<EncoderStatus>((resolve, reject) => {
      listeners.message = resolve;
      listeners.error = reject;
      listeners.exit = (code) => reject(new Error(`the sentence encoder's thread stopped while starting (exit code ${code})`));
      worker.once('message', listeners.message).once('error', listeners.error).once('exit', listeners.exit);
    });
    // Only these: the worker keeps listeners of its own (they start its message port).
    worker.off('message', listeners.message!).off('error', listeners.error!).off('exit', listeners.exit!);
    if (!status.ready) {
      await worker.terminate();
      // Keep the kind of error, so `auto` and `onnx` treat a missing onnxruntime as before.
      throw status.name === 'EngineUnavailableError' ? new EngineUnavailableError(status.message) : new ModelLoadError(status.message);
    }
    return new SentenceEncoderThread(worker, width);
  }

  /** Unit-length sentence vectors of `texts`, as `SentenceEncoder.embedTexts` returns them. */
  embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { count: texts.length, resolve, reject });
      this.worker.postMessage({ id, texts: [...texts] } satisfies EncoderRequest);
    });
  }

  async dispose(): Promise<void> {
    this.fail(new Error('the sentence encoder was closed'));
    await this.worker.terminate();
  }

  private settle(reply: EncoderReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (!reply.ok) return waiting.reject(new Error(reply.message));
    const { vectors } = reply;
    if (vectors.length !== waiting.count * this.width) {
      return waiting.reject(new Error(`the sentence encoder's thread returned ${vectors.length} values for ${waiting.count} texts`));
    }
    waiting.resolve(Array.from({ length: waiting.count }, (_, i) => vectors.slice(i * this.width, (i + 1) * this.width)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.waiting.values()) waiting.reject(this.failure);
    this.waiting.clear();
    this.worker.unref();
  }
}
