/**
 * A model that runs on its own thread, for `duet serve`. The server's thread then only parses
 * requests, runs the dialogue manager and writes the store, while the network reads utterances on
 * another core. Utterances that arrive while the thread is busy wait and go over together as one
 * batch, so the busier the server, the larger the batches and the cheaper each utterance.
 *
 * Answers are handed back a few per turn of the event loop rather than all at once: each answer
 * resumes a turn (dialogue, skills, store, reply), and between slices Node reads new requests and
 * accepts new connections (it accepts one per turn of the loop), which a long run of turns would
 * hold up.
 */
import { Worker } from 'node:worker_threads';
import type { ContextMode } from './config.js';
import type { ExtractedSlot, UnderstandContext, Understanding } from './duet-model.js';
import type { ModelReply, ModelRequest, WorkerStatus } from './model-worker.js';
import { workerEntry } from '../util/worker-entry.js';

export interface WorkerUnderstanderOptions {
  /** Most utterances sent to the thread in one batch (default 64). */
  maxBatch?: number;
  /** Answers handed back per turn of the event loop (default 4). */
  answersPerTick?: number;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

export class WorkerUnderstander {
  private readonly maxBatch: number;
  private readonly answersPerTick: number;
  private readonly queued: { text: string; context?: UnderstandContext; waiting: Waiting<Understanding> }[] = [];
  private readonly replies = new Map<number, Waiting<unknown>>();
  private readonly answers: (() => void)[] = [];
  private nextId = 0;
  private batchInFlight = false;
  private sendScheduled = false;
  private answering = false;
  private failure: Error | null = null;
  /** Batches sent to the thread and the utterances in them. */
  readonly stats = { batches: 0, utterances: 0 };
  /** The loaded model's context mode, memory shape and fingerprint (see DuetModel), for the runtime. */
  readonly contextMode: ContextMode;
  readonly memoryShape?: [number, number];
  readonly fingerprint?: string;

  private constructor(
    private readonly worker: Worker,
    options: WorkerUnderstanderOptions,
    model: Extract<WorkerStatus, { ready: true }>,
  ) {
    this.contextMode = model.contextMode;
    this.memoryShape = model.memoryShape;
    this.fingerprint = model.fingerprint;
    this.maxBatch = options.maxBatch ?? 64;
    this.answersPerTick = options.answersPerTick ?? 4;
    worker.on('message', (reply: ModelReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(new Error(`The model thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`The model thread stopped (exit code ${code}).`)));
  }

  /** Starts the thread and waits until it has loaded the model folder `modelDir`. */
  static async start(modelDir: string, options: WorkerUnderstanderOptions = {}): Promise<WorkerUnderstander> {
    // The compiled model-worker.js beside this file, or model-worker.ts through tsx in the tests.
    const entry = workerEntry(import.meta.url, 'model-worker');
    const worker = new Worker(entry.source, { eval: entry.eval, workerData: { modelDir } });
    const status = await new Promise<WorkerStatus>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`The model thread stopped while loading ${modelDir} (exit code ${code}).`)));
    });
    if (!status.ready) {
      await worker.terminate();
      throw new Error(status.message);
    }
    return new WorkerUnderstander(worker, options, status);
  }

  /** As DuetModel.understand: a context-mode model also reads `context`. */
  understand(text: string, context?: UnderstandContext): Promise<Understanding> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queued.push({ text, context, waiting: { resolve, reject } });
      this.scheduleSend();
    });
  }

  understandRequiring(text: string, slot: string, context?: UnderstandContext): Promise<ExtractedSlot[] | null> {
    return this.request<ExtractedSlot[] | null>({ op: 'require', text, slot, ...(context && { context }) });
  }

  /** Stops the thread; calls waiting for it fail. */
  async close(): Promise<void> {
    this.fail(new Error('The model thread was closed.'));
    await this.worker.terminate();
  }

  private request<T>(body: DistributiveOmit<ModelRequest, 'id'>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const id = this.nextId++;
      this.replies.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, ...body } satisfies ModelRequest);
    });
  }

  /** Sends the queued utterances once the thread is free; those that arrive meanwhile make the next batch. */
  private scheduleSend(): void {
    if (this.sendScheduled || this.batchInFlight || this.queued.length === 0) return;
    this.sendScheduled = true;
    // After the current turn of the loop, so the requests read in it go together.
    setImmediate(() => {
      this.sendScheduled = false;
      if (this.batchInFlight || this.queued.length === 0) return;
      const batch = this.queued.splice(0, this.maxBatch);
      this.batchInFlight = true;
      this.stats.batches += 1;
      this.stats.utterances += batch.length;
      // Contexts travel only when some utterance has one (mode "none" runtimes send none).
      const contexts = batch.some((q) => q.context) ? { contexts: batch.map((q) => q.context) } : {};
      this.request<Understanding[]>({ op: 'understand', texts: batch.map((q) => q.text), ...contexts }).then(
        (results) => {
          this.batchInFlight = false;
          batch.forEach((q, i) => this.answer(() => q.waiting.resolve(results[i])));
          this.scheduleSend();
        },
        (error: Error) => {
          this.batchInFlight = false;
          for (const q of batch) this.answer(() => q.waiting.reject(error));
          this.scheduleSend();
        },
      );
    });
  }

  private onReply(reply: ModelReply): void {
    const waiting = this.replies.get(reply.id);
    if (!waiting) return;
    this.replies.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(new Error(reply.message));
  }

  /** Queues one answer; they are handed back `answersPerTick` at a time, one slice per turn of the loop. */
  private answer(deliver: () => void): void {
    this.answers.push(deliver);
    if (this.answering) return;
    this.answering = true;
    const slice = () => {
      for (const deliver of this.answers.splice(0, this.answersPerTick)) deliver();
      if (this.answers.length > 0) setImmediate(slice);
      else this.answering = false;
    };
    setImmediate(slice);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const q of this.queued.splice(0)) q.waiting.reject(error);
    for (const waiting of this.replies.values()) waiting.reject(error);
    this.replies.clear();
  }
}
