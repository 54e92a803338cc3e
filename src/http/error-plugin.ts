/**
 * Errors on every route, in the envelope of the route's protocol, and one log line per
 * request. Faults are logged as errors with their stack; load shed by design (429s, queue
 * deadlines, no replica, shutting down) at info with its reason code; a client's own
 * mistakes at debug.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import { logFailure } from '../observe/log-failure.ts';
import { errorBody, errorHeaders, fromFastifyError, protocolOfUrl, type WireProtocol } from '../protocols/envelopes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Whose error envelope the route answers in. */
    protocol?: WireProtocol;
  }
}

export function registerErrorHandling(app: FastifyInstance, requestLines: boolean): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = fromFastifyError(error);
    // The client left: there is nobody to answer (the request is counted as 499).
    if (reply.raw.destroyed) {
      request.log.debug({ code: failure.code }, `the client went away: ${failure.message}`);
      return reply.hijack();
    }
    logFailure(request.log, failure, error.cause ?? error);
    return replyWithError(reply, failure);
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new SluiceError(
      'ERR_ROUTE_NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
    return replyWithError(reply, failure, protocolOfUrl(request.url));
  });
  if (!requestLines) return;
  app.addHook('onResponse', (request, reply, done) => {
    const code = reply.getHeader('x-sluice-error-code');
    // The route, not the URL: a path and its query are the client's input, which is never logged.
    const route = request.is404 ? '(no route)' : request.routeOptions.url;
    const line = { method: request.method, route, status: reply.statusCode, ms: round(reply.elapsedTime) };
    request.log.info(code === undefined ? line : { ...line, code }, 'request');
    done();
  });
}

export function replyWithError(
  reply: FastifyReply,
  failure: SluiceError,
  protocol = reply.request.routeOptions.config.protocol ?? protocolOfUrl(reply.request.url),
): FastifyReply {
  return reply.code(failure.status).headers(errorHeaders(failure)).send(errorBody(protocol, failure));
}

function round(ms: number): number {
  return Number(ms.toFixed(2));
}
