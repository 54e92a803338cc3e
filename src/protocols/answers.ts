/**
 * Sends a pipeline answer in a protocol's terms: a local model's rows in the protocol's
 * own body, a remote model's document as it came, an upstream's refusal in the protocol's
 * envelope, a stream as server-sent events.
 */
import type { FastifyReply } from 'fastify';
import type { Answer, RejectionAnswer, RowsAnswer, StreamAnswer } from '../pipeline/target.ts';
import { errorBody, type WireProtocol } from './envelopes.ts';
import { provenanceHeaders } from './provenance.ts';

export interface AnswerFormat<Body> {
  readonly protocol: WireProtocol;
  /** The response body for a local model's outputs. */
  rows(answer: RowsAnswer): Body;
  /** The upstream's error body when it already is this protocol's envelope (sent as it is); undefined otherwise. */
  ownError(text: string): unknown;
}

export async function sendAnswer<Body>(
  reply: FastifyReply,
  answer: Answer,
  format: AnswerFormat<Body>,
): Promise<FastifyReply> {
  switch (answer.kind) {
    case 'rows':
      return reply.send(format.rows(answer));
    case 'document':
      return reply.code(answer.status).send(answer.document);
    case 'rejection':
      return sendRejection(reply, answer, format);
    case 'stream':
      return relayStream(reply, answer, format.protocol);
  }
}

/** The upstream's 4xx with its status and Retry-After, in the protocol's envelope. */
function sendRejection<Body>(reply: FastifyReply, answer: RejectionAnswer, format: AnswerFormat<Body>): FastifyReply {
  if (answer.retryAfter !== undefined) void reply.header('retry-after', answer.retryAfter);
  return reply
    .code(answer.status)
    .header('x-sluice-error-code', answer.failure.code)
    .header('content-type', 'application/json; charset=utf-8')
    .send(format.ownError(answer.text) ?? errorBody(format.protocol, answer.failure));
}

async function relayStream(reply: FastifyReply, answer: StreamAnswer, protocol: WireProtocol): Promise<FastifyReply> {
  const signal = reply.request.inference?.signal ?? new AbortController().signal;
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': reply.request.id,
    ...provenanceHeaders(answer.provenance, reply.elapsedTime),
  });
  reply.raw.flushHeaders();
  await answer.relay(reply.raw, { signal, errorEvent: (failure) => errorBody(protocol, failure) });
  return reply;
}
