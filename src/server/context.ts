/** What the server's route plugins share: the assistant, limits, the turn queue, and who is calling. */
import type { FastifyRequest } from 'fastify';
import type { Assistant, TurnResult } from '../dialogue/assistant.js';
import { USER_ID_PATTERN } from '../store/api-keys.js';
import { ApiError, invalidRequest } from './errors.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { SseStream } from './sse.js';

/** The assistant as the server uses it: an `Assistant`, or a wrapper around one in tests. */
export type ServedAssistant = Pick<Assistant, 'handle' | 'claimDue'> & Partial<Pick<Assistant, 'forgetConversations'>>;

/** Sizes and timings of the server. */
export interface ServerLimits {
  /** Largest request body; larger ones get 413. */
  bodyLimitBytes: number;
  /** Longest user message (the turn) in characters; longer ones get 400 naming the field. */
  maxMessageChars: number;
  /** Requests per key (or per IP address without keys); `requests: 0` turns limiting off. */
  rateLimit: RateLimitOptions;
  /** How often the events feed looks for due reminders and timers. */
  eventsPollMs: number;
  /** How often an idle events feed sends a comment, so proxies keep the connection. */
  heartbeatMs: number;
  /** How long a shutdown waits for turns in flight before closing anyway. */
  shutdownGraceMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  bodyLimitBytes: 1024 * 1024,
  maxMessageChars: 4000,
  rateLimit: Object.freeze({ requests: 120, windowMs: 60_000 }),
  eventsPollMs: 1000,
  heartbeatMs: 15_000,
  shutdownGraceMs: 10_000,
});

/** The user a request acts for, and the key that says so. */
export interface Caller {
  /** The API key's id, or null when the server runs without keys. */
  keyId: string | null;
  /** The API key's user: the only user this caller may act for. */
  keyUser: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Served without a key and without rate limiting (the page, the health check). */
    public?: boolean;
  }
}

/** The user of an unauthenticated request that names none, as in `duet chat`. */
export const DEFAULT_USER = 'local';

export interface ServerContext {
  assistant: ServedAssistant;
  limits: ServerLimits;
  modelId: string;
  now: () => Date;
  /** Open events feeds: ended when the server shuts down. */
  feeds: Set<SseStream>;
  /**
   * Runs one turn of `user`'s conversation after the turns queued before it; skipped if `signal`
   * aborted meanwhile. Resolves once the turn's writes are committed (`durable`). `onReplyText`
   * receives the start of a reply while it is generated (see `Assistant.handle`).
   */
  runTurn(user: string, text: string, options?: { signal?: AbortSignal; onReplyText?: (part: string) => void }): Promise<TurnResult>;
  /** Resolves once every store write so far is committed (see `Store.durable`): wait for it before acknowledging one. */
  durable(): Promise<void>;
}

/**
 * The user a request acts for: the one it names (`named`, else the X-Duet-User header), checked
 * against the caller's key. With keys a request may only name its key's user (403); without keys
 * it names any user, or gets `DEFAULT_USER`.
 */
export function resolveUser(request: FastifyRequest, named: string | undefined, param: string): string {
  const header = request.headers['x-duet-user'];
  const fromHeader = typeof header === 'string' && header !== '' ? header : undefined;
  if (named && fromHeader !== undefined && named !== fromHeader) {
    throw invalidRequest(`'${param}' (${named}) and the X-Duet-User header (${fromHeader}) name different users.`, param);
  }
  // Some OpenAI clients send `user: ""` when they have none: that names no one.
  const wanted = (named === '' ? undefined : named) ?? fromHeader;
  if (wanted !== undefined && !USER_ID_PATTERN.test(wanted)) {
    throw invalidRequest(`Invalid '${param}': a user id is 1 to 128 letters, digits or . _ @ : + -.`, param, 'invalid_value');
  }
  const { keyUser } = request.caller;
  if (keyUser === null) return wanted ?? DEFAULT_USER;
  if (wanted !== undefined && wanted !== keyUser) {
    throw new ApiError(403, 'permission_error', 'user_mismatch', `This API key belongs to another user; it cannot act for '${wanted}'.`, { param });
  }
  return keyUser;
}

/** 400 naming `param` when a message is longer than the server takes. */
export function checkMessageLength(text: string, param: string, limits: ServerLimits): void {
  if (text.length > limits.maxMessageChars) {
    throw invalidRequest(
      `'${param}' is ${text.length.toLocaleString('en')} characters long; the limit is ${limits.maxMessageChars.toLocaleString('en')}.`,
      param,
      'string_above_max_length',
    );
  }
}
