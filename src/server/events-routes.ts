/**
 * `GET /v1/events`: a server-sent event feed of the caller's due reminders and finished timers.
 * The feed asks the assistant for them every `eventsPollMs`; the store claims each one once, so a
 * notice goes to exactly one feed (or one Rasa reply), even with several feeds or server processes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { DueNotice } from '../store/types.js';
import { resolveUser, type ServerContext } from './context.js';
import { SseStream } from './sse.js';
import { parseBody } from './validation.js';

/** The line a client shows for a notice. */
export function noticeText(notice: DueNotice): string {
  if (notice.kind === 'reminder') return `Reminder: ${notice.reminder.text}`;
  return notice.timer.name ? `Your ${notice.timer.name} timer is done.` : 'Your timer is done.';
}

/** A notice as the feed sends it: its kind, the text to show, and the reminder or timer. */
export function noticePayload(notice: DueNotice) {
  if (notice.kind === 'reminder') {
    const { id, text, due } = notice.reminder;
    return { kind: notice.kind, text: noticeText(notice), reminder: { id, text, due: due.toISOString() } };
  }
  const { id, name, durationMs, endsAt } = notice.timer;
  return { kind: notice.kind, text: noticeText(notice), timer: { id, name, duration_ms: durationMs, ends_at: endsAt.toISOString() } };
}

const eventsQuery = z.looseObject({ user: z.string().optional() });

export const eventsRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  // No HEAD twin: it would open a feed that nobody reads.
  app.get('/v1/events', { exposeHeadRoute: false }, async (request, reply) => {
    // Browsers' EventSource cannot set headers: without keys the user may come in the query string.
    const user = resolveUser(request, parseBody(eventsQuery, request.query).user, 'user');
    const sse = new SseStream(reply);
    ctx.feeds.add(sse);
    sse.send({ user }, { event: 'ready' });
    const deliver = async () => {
      if (!sse.open) return;
      let notices: DueNotice[];
      try {
        notices = ctx.assistant.claimDue(user);
        // Sent only once the claim is committed: a crash before then leaves them to be claimed again.
        await ctx.durable();
      } catch (err) {
        // A locked or closing store, or a failed commit: the notices stay unclaimed and the next poll tries again.
        request.log.warn({ err }, 'could not claim due notices');
        return;
      }
      for (const notice of notices) {
        const id = notice.kind === 'reminder' ? notice.reminder.id : notice.timer.id;
        sse.send(noticePayload(notice), { event: notice.kind, id: `${notice.kind}-${id}` });
      }
    };
    const poll = setInterval(() => void deliver(), ctx.limits.eventsPollMs);
    const heartbeat = setInterval(() => sse.comment('keep-alive'), ctx.limits.heartbeatMs);
    sse.onClose(() => {
      clearInterval(poll);
      clearInterval(heartbeat);
      ctx.feeds.delete(sse);
    });
    void deliver();
    return reply;
  });
};
