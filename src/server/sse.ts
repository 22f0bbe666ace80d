/** Server-sent events over a Fastify reply, for streamed completions and the events feed. */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** An open event stream to one client; writes after the client left are dropped. */
export class SseStream {
  private readonly body = new PassThrough();
  private ended = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(reply: FastifyReply) {
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      // Proxies such as nginx buffer responses unless told not to; events would arrive in bursts.
      .header('x-accel-buffering', 'no');
    reply.raw.on('close', () => this.finish());
    void reply.send(this.body);
  }

  /** Whether the stream is still open (the client is there and `end` was not called). */
  get open(): boolean {
    return !this.ended;
  }

  /** One event: `data` as JSON (or a raw string such as "[DONE]"), with an optional event name and id. */
  send(data: unknown, options: { event?: string; id?: string } = {}): boolean {
    if (this.ended) return false;
    const lines = [options.event && `event: ${options.event}`, options.id && `id: ${options.id}`, `data: ${typeof data === 'string' ? data : JSON.stringify(data)}`];
    this.body.write(`${lines.filter(Boolean).join('\n')}\n\n`);
    return true;
  }

  /** A comment line: keeps idle connections alive through proxies; clients ignore it. */
  comment(text: string): void {
    if (!this.ended) this.body.write(`: ${text}\n\n`);
  }

  /** Calls `listener` once when the stream ends, from either side. */
  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  end(): void {
    if (this.ended) return;
    this.body.end();
    this.finish();
  }

  private finish(): void {
    if (this.ended && this.closeListeners.length === 0) return;
    this.ended = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
