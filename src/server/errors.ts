/**
 * The server's errors in OpenAI's shape, `{ error: { message, type, param, code } }`, so clients
 * written for OpenAI (and its SDKs) read them. Every failure reaches the client through `toApiError`:
 * one place maps errors to statuses, and no stack trace or internal message leaves the server.
 */
import { DuetError, StoreError } from '../errors.js';

export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error';

/** The body of an error response. */
export interface OpenAiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

/** An error meant for the client: its status, type, the request field at fault and a stable code. */
export class ApiError extends DuetError {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  /** Extra response headers (Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    type: ApiErrorType,
    code: string,
    message: string,
    options: { param?: string | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 naming the request field at fault. */
export const invalidRequest = (message: string, param: string | null, code = 'invalid_request') =>
  new ApiError(400, 'invalid_request_error', code, message, { param });

/** Fastify's own errors (body parsing, limits) by code: status, our code and a message a client can act on. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is empty; send a JSON object.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request', message: 'The Content-Length header does not match the body.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'request_too_large', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json.' },
};

/**
 * Maps anything thrown while serving a request to the response the client gets. `serverFault`
 * says whether it is ours (5xx: worth logging with its stack) rather than the client's.
 */
export function toApiError(err: unknown, limits?: { bodyLimitBytes: number }): { error: ApiError; serverFault: boolean } {
  if (err instanceof ApiError) return { error: err, serverFault: err.status >= 500 };
  const code = (err as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? FASTIFY_ERRORS[code] : undefined;
  if (known) {
    const message =
      code === 'FST_ERR_CTP_BODY_TOO_LARGE' && limits ? `The request body is larger than ${limits.bodyLimitBytes.toLocaleString('en')} bytes.` : known.message;
    return { error: new ApiError(known.status, 'invalid_request_error', known.code, message, { cause: err }), serverFault: false };
  }
  // Other client errors Fastify raises (a malformed URL, a bad header) carry a 4xx status.
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { error: new ApiError(status, 'invalid_request_error', 'invalid_request', 'The request is malformed.', { cause: err }), serverFault: false };
  }
  if (err instanceof StoreError && (err.code === 'STORE_LOCKED' || err.code === 'STORE_CLOSED')) {
    return {
      error: new ApiError(503, 'server_error', 'unavailable', 'The assistant is busy or restarting; try again shortly.', { headers: { 'Retry-After': '1' }, cause: err }),
      serverFault: true,
    };
  }
  return { error: new ApiError(500, 'server_error', 'internal_error', 'The server had an error while processing your request.', { cause: err }), serverFault: true };
}
