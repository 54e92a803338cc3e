/**
 * Sends a pipeline answer in a protocol's terms: a local model's rows in the protocol's
 * own body, a remote model's document as it came, an upstream's refusal in the protocol's
 * envelope, a stream as server-sent events.
 */
import type { FastifyReply } from 'fastify';
import type { AnsweredContext } from '../pipeline/context.ts';
import type { RejectionAnswer, RowsAnswer, StreamAnswer } from '../pipeline/target.ts';
import { errorBody, type WireProtocol } from './envelopes.ts';
import { provenanceHeaders } from './provenance.ts';

export interface AnswerFormat {
  readonly protocol: WireProtocol;
  /** The response body for a local model's outputs; absent where no local model can answer (generation). */
  readonly rows?: (answer: RowsAnswer) => unknown;
  /** The upstream's error body when it already is this protocol's envelope (sent as it is); undefined otherwise. */
  passThroughError(text: string): unknown;
}

/** Only answers say how they were made: an error thrown after dispatch carries no provenance. */
export function sendAnswer(
  reply: FastifyReply,
  context: Pick<AnsweredContext, 'answer' | 'signal'>,
  format: AnswerFormat,
): FastifyReply | Promise<FastifyReply> {
  const { answer } = context;
  // The signal only when a stream needs it: a transport may make it on first use.
  if (answer.kind === 'stream') return relayStream(reply, answer, context.signal, format.protocol);
  void reply.headers(provenanceHeaders(answer.provenance, reply.elapsedTime));
  switch (answer.kind) {
    case 'rows':
      if (format.rows === undefined)
        throw new Error(`a local model answered a ${format.protocol} request it cannot take`);
      return reply.send(format.rows(answer));
    case 'document':
      return reply.code(answer.status).send(answer.document);
    case 'rejection':
      return sendRejection(reply, answer, format);
  }
}

/** The upstream's 4xx with its status and Retry-After, in the protocol's envelope. */
function sendRejection(reply: FastifyReply, answer: RejectionAnswer, format: AnswerFormat): FastifyReply {
  if (answer.retryAfter !== undefined) void reply.header('retry-after', answer.retryAfter);
  return reply
    .code(answer.status)
    .header('x-sluice-error-code', answer.failure.code)
    .header('content-type', 'application/json; charset=utf-8')
    .send(format.passThroughError(answer.text) ?? errorBody(format.protocol, answer.failure));
}

async function relayStream(
  reply: FastifyReply,
  answer: StreamAnswer,
  signal: AbortSignal,
  protocol: WireProtocol,
): Promise<FastifyReply> {
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
