/**
 * The OpenAI-compatible API: `POST /v1/chat/completions` (plain and streamed) and `GET /v1/models`.
 * Duet keeps each conversation's state on the server, so of the messages a client sends only the
 * last user message is read: it is the turn. The reply carries what Duet understood in an extra
 * `duet` field, which OpenAI clients ignore.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TurnResult } from '../dialogue/assistant.js';
import { checkMessageLength, resolveUser, type ServerContext } from './context.js';
import { ApiError, invalidRequest, toApiError } from './errors.js';
import { SseStream } from './sse.js';
import { approximatePromptTokens, approximateTokens } from './tokens.js';
import { parseBody } from './validation.js';

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
});

/** The fields of OpenAI's request that Duet reads; the others (temperature, max_tokens...) are accepted and ignored. */
export const chatCompletionRequest = z.looseObject({
  model: z.string().min(1).optional(),
  messages: z.array(message).min(1, 'at least one message is required'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().optional(),
  // One reply per turn: a turn changes the conversation and runs skills, it cannot be sampled twice.
  n: z.literal(1).nullish(),
});

type ChatMessage = z.output<typeof message>;

/** A message's text: the string, or its text parts joined. */
function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  return (m.content ?? []).map((p) => p.text ?? '').join('\n');
}

/** The turn: the last user message, with its index for error messages. */
function lastUserMessage(messages: ChatMessage[]): { text: string; index: number } {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    const other = Array.isArray(m.content) ? m.content.findIndex((p) => p.type !== 'text') : -1;
    if (other >= 0) throw invalidRequest(`Only text content is supported; 'messages[${i}].content[${other}].type' is '${(m.content as { type: string }[])[other].type}'.`, `messages[${i}].content[${other}].type`, 'invalid_value');
    return { text: messageText(m), index: i };
  }
  throw invalidRequest("'messages' has no message with role 'user'; the last user message is the turn to answer.", 'messages');
}

/** What Duet understood, on the completion and on the final streamed chunk. */
function duetField(result: TurnResult) {
  // `chat` only on small talk from a chatter (duet serve --chat): where the reply came from.
  return { intent: result.intent, confidence: result.confidence, slots: result.slots, action: result.action, ...(result.chat && { chat: result.chat }) };
}

/** The reply cut into the pieces a streamed completion sends: words with their following space, so they join back exactly. */
export function contentPieces(reply: string): string[] {
  return reply.split(/(?<=\s)(?=\S)/).filter((piece) => piece !== '');
}

export const openAiRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const startedAt = Math.floor(ctx.now().getTime() / 1000);
  const model = { id: ctx.modelId, object: 'model', created: startedAt, owned_by: 'duet' } as const;

  app.get('/v1/models', async () => ({ object: 'list', data: [model] }));

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    if (request.params.id !== ctx.modelId) throw modelNotFound(request.params.id, ctx.modelId);
    return model;
  });

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseBody(chatCompletionRequest, request.body);
    if (body.model !== undefined && body.model !== ctx.modelId) throw modelNotFound(body.model, ctx.modelId);
    const user = resolveUser(request, body.user, 'user');
    const turn = lastUserMessage(body.messages);
    checkMessageLength(turn.text, `messages[${turn.index}].content`, ctx.limits);
    const completion = {
      id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
      created: Math.floor(ctx.now().getTime() / 1000),
      model: ctx.modelId,
      promptTokens: approximatePromptTokens(body.messages.map((m) => ({ text: messageText(m) }))),
    };
    if (body.stream) {
      await streamCompletion(ctx, request, reply, { ...completion, user, text: turn.text, includeUsage: body.stream_options?.include_usage === true });
      return reply;
    }
    const result = await ctx.runTurn(user, turn.text);
    const completionTokens = approximateTokens(result.reply);
    return {
      id: completion.id,
      object: 'chat.completion',
      created: completion.created,
      model: completion.model,
      system_fingerprint: null,
      choices: [{ index: 0, message: { role: 'assistant', content: result.reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: completion.promptTokens, completion_tokens: completionTokens, total_tokens: completion.promptTokens + completionTokens },
      duet: duetField(result),
    };
  });
};

function modelNotFound(asked: string, served: string): ApiError {
  return new ApiError(404, 'invalid_request_error', 'model_not_found', `The model '${asked}' does not exist; this server serves '${served}'.`, { param: 'model' });
}

interface StreamPlan {
  id: string;
  created: number;
  model: string;
  promptTokens: number;
  user: string;
  text: string;
  includeUsage: boolean;
}

/**
 * A streamed completion: the role chunk goes out at once, then the reply word by word, a last chunk
 * with `finish_reason` and `duet`, the usage chunk if asked, and `[DONE]`. A failure after the
 * stream began can no longer change the status, so it is sent as an `error` event (OpenAI's error
 * shape, which the OpenAI SDKs raise) and the stream closes.
 */
async function streamCompletion(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, plan: StreamPlan): Promise<void> {
  const sse = new SseStream(reply);
  const left = new AbortController();
  sse.onClose(() => left.abort());
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: plan.id,
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    system_fingerprint: null,
    choices,
    // With include_usage every chunk carries `usage: null` except the last, as OpenAI sends them.
    ...(plan.includeUsage && { usage: null }),
    ...extra,
  });
  const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ index: 0, delta: d, logprobs: null, finish_reason: finish });

  sse.send(chunk([delta({ role: 'assistant', content: '' })]));
  // A generated reply goes out as it is written; the rest of the reply (all of any other) when the turn ends.
  let streamed = '';
  const onReplyText = (part: string) => {
    streamed += part;
    sse.send(chunk([delta({ content: part })]));
  };
  let result: TurnResult;
  try {
    // A client that leaves while its turn waits in the queue cancels it; a turn already running completes and is stored.
    result = await ctx.runTurn(plan.user, plan.text, { signal: left.signal, onReplyText });
  } catch (err) {
    if (!sse.open) return;
    const { error, serverFault } = toApiError(err);
    if (serverFault) request.log.error({ err }, 'turn failed after the stream began');
    sse.send(error.body(), { event: 'error' });
    sse.end();
    return;
  }
  if (!sse.open) return;
  if (!result.reply.startsWith(streamed)) {
    // Assistant.handle streams only what begins the reply; text already sent cannot be taken back.
    request.log.error({ streamed, reply: result.reply }, 'the streamed start of a reply is not the start of the reply');
    sse.send(new ApiError(500, 'server_error', 'stream_mismatch', 'The reply differs from the text already streamed; read the conversation again.').body(), { event: 'error' });
    sse.end();
    return;
  }
  for (const piece of contentPieces(result.reply.slice(streamed.length))) sse.send(chunk([delta({ content: piece })]));
  sse.send(chunk([delta({}, 'stop')], { duet: duetField(result) }));
  if (plan.includeUsage) {
    const completionTokens = approximateTokens(result.reply);
    sse.send(chunk([], { usage: { prompt_tokens: plan.promptTokens, completion_tokens: completionTokens, total_tokens: plan.promptTokens + completionTokens } }));
  }
  sse.send('[DONE]');
  sse.end();
}
