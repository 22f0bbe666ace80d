/**
 * Per-client request rate limiting: a token bucket per key (or per IP address without keys). A
 * bucket holds up to `requests` tokens and refills at `requests` per `windowMs`, so a client may
 * burst a window's worth and then goes at the average rate; no client can starve another.
 */

export interface RateLimitOptions {
  /** Requests per window; 0 turns limiting off. */
  requests: number;
  windowMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle this long are full again and can be forgotten. */
const SWEEP_EVERY = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private takes = 0;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.perMs = options.requests / options.windowMs;
  }

  /** Takes one request's token for `client`: 0 when allowed, else the milliseconds until one is free. */
  take(client: string): number {
    if (this.options.requests <= 0) return 0;
    const now = this.clock();
    const bucket = this.buckets.get(client) ?? { tokens: this.options.requests, at: now };
    bucket.tokens = Math.min(this.options.requests, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(client, bucket);
    if (++this.takes % SWEEP_EVERY === 0) this.sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs);
  }

  /** Keeps memory bounded under many distinct clients (IP addresses): a full bucket carries no state. */
  private sweep(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.options.requests) this.buckets.delete(client);
    }
  }
}
