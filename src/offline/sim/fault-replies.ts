/**
 * How each injected fault looks to a client. `hang` and `reset` take the reply out of
 * fastify's hands (`hijack`) so nothing is sent on their behalf.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FaultKind } from './faults.ts';
import { errorEnvelope } from './responses.ts';

/** Answers the request for a fault that does not depend on streaming; false for streaming resets. */
export function replyWithFault(
  kind: FaultKind,
  request: FastifyRequest,
  reply: FastifyReply,
  streaming: boolean,
): boolean {
  switch (kind) {
    case 'rate_limit':
      void reply
        .code(429)
        .header('retry-after', '1')
        .send(errorEnvelope('Simulated rate limit: retry after 1 s.', 'rate_limit_error', null, 'rate_limit_exceeded'));
      return true;
    case 'error':
      void reply.code(500).send(errorEnvelope('Simulated server error.', 'server_error', null, 'simulated_error'));
      return true;
    case 'hang':
      // Accepted and never answered: the socket stays open until the client gives up.
      reply.hijack();
      return true;
    case 'reset':
      if (streaming) return false; // the stream resets after its headers; see generation-route.ts
      reply.hijack();
      request.raw.socket.destroy();
      return true;
  }
}
