/**
 * Closing connections when the server stops. `server.close()` stops listening and closes the
 * connections idle at that moment, but not a connection whose response ends later (Fastify keeps
 * idle keep-alive connections 72 s) nor one opened without a request yet (clients open spare
 * connections; Node keeps those until its 60 s header timeout). Either would hold the close for a
 * minute. Once `drain()` is called, every connection is closed as soon as it carries no request.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function connectionDrainer(server: Server): { drain(): void } {
  /** Requests in progress per open connection. */
  const busy = new Map<Socket, number>();
  let draining = false;
  const closeIfIdle = (socket: Socket) => {
    if (draining && (busy.get(socket) ?? 0) === 0) socket.destroySoon();
  };
  server.on('connection', (socket: Socket) => {
    busy.set(socket, 0);
    socket.once('close', () => busy.delete(socket));
    closeIfIdle(socket);
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once('close', () => {
      busy.set(socket, (busy.get(socket) ?? 1) - 1);
      closeIfIdle(socket);
    });
  });
  return {
    drain() {
      draining = true;
      for (const socket of busy.keys()) closeIfIdle(socket);
    },
  };
}
