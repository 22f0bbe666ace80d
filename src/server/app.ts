/**
 * The HTTP server: `buildApp(deps)` assembles a Fastify app around an assistant and its store; the
 * caller decides where it listens (`duet serve`, or a test on an ephemeral port). Every request
 * passes the same gates in order: shutting down (503), API key (401), rate limit (429); then its
 * route validates the body (400, 404, 413) and runs the turn.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TurnResult } from '../dialogue/assistant.js';
import type { ApiKeyStore } from '../store/api-keys.js';
import type { Store } from '../store/types.js';
import { webChatPage, type ChatPage } from './chat-page.js';
import { DEFAULT_LIMITS, type ServedAssistant, type ServerContext, type ServerLimits } from './context.js';
import { connectionDrainer } from './connections.js';
import { ApiError, toApiError } from './errors.js';
import { eventsRoutes } from './events-routes.js';
import { openAiRoutes } from './openai-routes.js';
import { rasaRoutes } from './rasa-routes.js';
import { RateLimiter } from './rate-limit.js';
import type { SseStream } from './sse.js';
import { TurnQueue } from './turn-queue.js';

export interface AppDeps {
  assistant: ServedAssistant;
  /** The assistant's store: closed when the server shuts down. */
  store: Store;
  /** API keys. While one is active every request needs one; without (or with none active) the server is open. */
  keys?: ApiKeyStore;
  /** The id `/v1/models` lists and requests may name. */
  modelId: string;
  /** Shown on the page (default: the model id). */
  assistantName?: string;
  /** The clock for `created` timestamps; give the assistant the same one. */
  now?: () => Date;
  limits?: Partial<ServerLimits>;
  /** The page at `/` (default: the web chat page). */
  page?: ChatPage;
  /** Fastify's logger (pino) options; default off, as tests want. */
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Stops gracefully: new requests get 503, open event feeds end, turns in flight finish (up to
     * `shutdownGraceMs`), then the server closes and the store (and keys) with it.
     */
    shutdown(): Promise<void>;
  }
}

/** The server as a Fastify app, not yet listening. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const now = deps.now ?? (() => new Date());
  const turns = new TurnQueue();
  const feeds = new Set<SseStream>();
  const limiter = new RateLimiter(limits.rateLimit);
  let draining = false;
  // Once a key has been seen the server stays locked, even if every key is later revoked.
  let locked = false;
  const authRequired = () => (locked ||= deps.keys?.hasActive() ?? false);

  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: limits.bodyLimitBytes,
    // Our onRequest hook answers 503 in the API's error shape instead of Fastify's own.
    return503OnClosing: false,
  });

  // JSON only: a text/plain body would reach the routes as a string and fail as a confusing 400.
  app.removeContentTypeParser('text/plain');

  const ctx: ServerContext = {
    assistant: deps.assistant,
    limits,
    modelId: deps.modelId,
    now,
    feeds,
    runTurn(user, text, { signal, onReplyText } = {}) {
      return turns.run(user, async (): Promise<TurnResult> => {
        if (signal?.aborted) throw new ApiError(499, 'invalid_request_error', 'client_closed', 'The client closed the request.');
        const result = await deps.assistant.handle({ user, text, ...(onReplyText && { onReplyText }) });
        try {
          await ctx.durable();
        } catch (error) {
          // The commit failed and rolled back this turn (and those grouped with it): states the
          // assistant cached after them would now be ahead of the store.
          deps.assistant.forgetConversations?.();
          throw error;
        }
        return result;
      });
    },
    durable: () => deps.store.durable?.() ?? Promise.resolve(),
  };

  app.decorateRequest('caller', null as never);

  app.addHook('onRequest', async (request, reply) => {
    if (draining) {
      reply.header('connection', 'close');
      throw new ApiError(503, 'server_error', 'shutting_down', 'The server is shutting down; retry on another instance or in a moment.', {
        headers: { 'Retry-After': '1' },
      });
    }
    request.caller = { keyId: null, keyUser: null };
  });

  app.addHook('preHandler', async (request) => {
    if (request.is404 || request.routeOptions.config.public) return;
    if (authRequired()) {
      const key = bearerToken(request.headers.authorization);
      if (key === null) {
        throw new ApiError(401, 'authentication_error', 'missing_api_key', "This server needs an API key: send 'Authorization: Bearer <key>' (keys are made with `duet keys create <user>`).");
      }
      const info = deps.keys?.verify(key) ?? null;
      if (!info) throw new ApiError(401, 'authentication_error', 'invalid_api_key', 'The API key is not valid (unknown or revoked).');
      request.caller = { keyId: info.id, keyUser: info.user };
    }
    const waitMs = limiter.take(request.caller.keyId ? `key:${request.caller.keyId}` : `ip:${request.ip}`);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new ApiError(429, 'rate_limit_error', 'rate_limit_exceeded', `Too many requests; retry in ${seconds} s.`, { headers: { 'Retry-After': String(seconds) } });
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const { error, serverFault } = toApiError(err, limits);
    if (serverFault) request.log.error({ err }, 'request failed');
    else request.log.info({ code: error.code, status: error.status }, error.message);
    return reply.status(error.status).headers(error.headers).send(error.body());
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0].slice(0, 200);
    const error = new ApiError(404, 'not_found_error', 'not_found', `There is no ${request.method} ${path} here; see /v1/models, /v1/chat/completions, /v1/events.`);
    return reply.status(404).send(error.body());
  });

  const page = deps.page ?? webChatPage;
  const html = page.render({ assistantName: deps.assistantName ?? deps.modelId, modelId: deps.modelId });
  app.get('/', { config: { public: true } }, async (_request, reply) => reply.type(page.contentType).headers({ ...page.headers }).send(html));
  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok' }));

  void app.register(openAiRoutes, { ctx });
  void app.register(rasaRoutes, { ctx });
  void app.register(eventsRoutes, { ctx });

  const endFeeds = () => {
    for (const feed of feeds) feed.end();
  };
  // Responses sent while draining tell the client not to reuse the connection.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  const connections = connectionDrainer(app.server);
  // app.close() without shutdown() still ends the feeds: open feeds would keep the server from closing.
  app.addHook('preClose', async () => {
    draining = true;
    endFeeds();
    connections.drain();
  });
  app.addHook('onClose', async () => {
    deps.store.close();
    deps.keys?.close();
  });

  let closing: Promise<void> | undefined;
  app.decorate('shutdown', function shutdown(): Promise<void> {
    closing ??= (async () => {
      draining = true;
      // Event feeds end now (their clients reconnect elsewhere); streamed completions finish with their turns.
      endFeeds();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, limits.shutdownGraceMs);
      });
      await Promise.race([turns.idle(), grace]);
      clearTimeout(timer);
      await app.close();
    })();
    return closing;
  });

  return app;
}

/** The key of an `Authorization: Bearer <key>` header, or null. */
function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match ? match[1] : null;
}
