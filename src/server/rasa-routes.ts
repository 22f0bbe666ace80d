/**
 * Rasa's REST channel, `POST /webhooks/rest/webhook`, so Rasa chat widgets and scripts talk to Duet
 * unchanged: `{ sender, message }` in, `[{ recipient_id, text }]` out. Such clients have no events
 * feed, so reminders and timers that fell due come back as extra messages after the reply.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { checkMessageLength, resolveUser, type ServerContext } from './context.js';
import { noticeText } from './events-routes.js';
import { parseBody } from './validation.js';

const rasaMessage = z.looseObject({
  sender: z.string().optional(),
  message: z.string(),
});

export const rasaRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.post('/webhooks/rest/webhook', async (request) => {
    const body = parseBody(rasaMessage, request.body);
    const user = resolveUser(request, body.sender, 'sender');
    checkMessageLength(body.message, 'message', ctx.limits);
    const result = await ctx.runTurn(user, body.message);
    const recipient_id = body.sender ?? user;
    const notices = ctx.assistant.claimDue(user);
    await ctx.durable();
    const texts = [result.reply, ...notices.map(noticeText)].filter((text) => text !== '');
    return texts.map((text) => ({ recipient_id, text }));
  });
};
