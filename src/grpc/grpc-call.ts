/**
 * One gRPC call at the edge, for every method: its metadata read as request headers, its
 * request id, an abort signal for a client that cancels or a deadline that passes, and
 * the one way it ends (`settle`): the response or a status, with x-request-id and the
 * provenance metadata, counted and logged once.
 *
 *   call ─► scope (headers, deadline, signal) ─► handler ─► response | error
 *                                                  │ infer: pipeline.run (the edge authenticated the call)
 *        settle: client cancelled → 499, nothing sent · deadline passed → DEADLINE_EXCEEDED (504)
 *                · error → its status (status.ts) · response → OK
 */
import { Metadata, type ServerUnaryCall, type sendUnaryData, type StatusObject } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { SluiceError, toSluiceError } from '../core/errors.ts';
import { logFailure } from '../observe/log-failure.ts';
import type { Protocol } from '../pipeline/context.ts';
import { createContext, type RequestContext } from '../pipeline/context.ts';
import type { InferencePipeline } from '../pipeline/pipeline.ts';
import type { CallScope } from '../protocols/grpc/service.ts';
import { CallFailure, errorStatus } from '../protocols/grpc/status.ts';
import { provenanceHeaders } from '../protocols/provenance.ts';
import { ANONYMOUS, type Caller } from '../tenancy/tenant-directory.ts';

export const GRPC_PROTOCOL: Protocol = 'kserve-v2-grpc';

/** nginx's "client closed request", as the HTTP edge counts a client that left. */
const CLIENT_CLOSED_REQUEST = 499;

/** Timers cannot wait longer (Node fires them at once beyond it). */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Headers = Record<string, string | string[]>;

export interface CallDeps {
  readonly pipeline: InferencePipeline;
  readonly logger: Logger;
}

/** How a call ended: its HTTP-equivalent status and, for an error, its registry code. */
export interface CallEnd {
  readonly status: number;
  readonly code: string | undefined;
  readonly seconds: number;
  readonly context: RequestContext | undefined;
  readonly caller: Caller;
  readonly log: Logger;
}

export class GrpcCall<Request, Response> {
  readonly headers: Headers;
  readonly requestId: string;
  readonly log: Logger;
  /** Who called, once the edge has authenticated the call. */
  caller: Caller = ANONYMOUS;
  private readonly receivedAt = performance.now();
  private readonly deadline: number | undefined;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private context: RequestContext | undefined;
  private settled = false;

  constructor(
    private readonly call: ServerUnaryCall<Request, Response>,
    private readonly callback: sendUnaryData<Response>,
    private readonly deps: CallDeps,
    private readonly onEnd: (end: CallEnd) => void,
  ) {
    this.headers = metadataHeaders(call.metadata);
    const given = this.headers['x-request-id'];
    this.requestId = typeof given === 'string' && given !== '' ? given : randomUUID();
    this.log = deps.logger.child({ reqId: this.requestId });
    const deadline = Number(call.getDeadline());
    this.deadline = Number.isFinite(deadline) ? deadline : undefined;
    const abort = () => this.controller.abort();
    call.once('cancelled', abort);
    const wait = this.deadline === undefined ? MAX_TIMER_MS : this.deadline - Date.now();
    this.timer = wait < MAX_TIMER_MS ? setTimeout(abort, Math.max(0, wait)) : undefined;
    this.timer?.unref();
  }

  get request(): Request {
    return this.call.request;
  }

  scope(): CallScope {
    const { signal } = this.controller;
    const { requestId, log, receivedAt } = this;
    return {
      headers: this.headers,
      deadlineMs: this.deadline === undefined ? undefined : this.deadline - Date.now(),
      probe: { signal, requestId, log },
      infer: (inference) => {
        this.context = createContext(
          { requestId, protocol: GRPC_PROTOCOL, receivedAt, signal, log, headers: this.headers },
          inference,
          this.caller,
        );
        return this.deps.pipeline.run(this.context);
      },
    };
  }

  /** Ends the call once; later outcomes (a pipeline finishing after shutdown answered it) are ignored. */
  settle(outcome: { readonly response: Response } | { readonly error: unknown }): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const end = (status: number, code?: string) =>
      this.onEnd({
        status,
        code,
        seconds: (performance.now() - this.receivedAt) / 1000,
        context: this.context,
        caller: this.caller,
        log: this.log,
      });
    // A client gives up at its deadline too: a call past it is counted as its deadline, not a cancel.
    if (this.deadline !== undefined && Date.now() >= this.deadline) {
      const late = new SluiceError('ERR_DEADLINE_EXCEEDED', "the call's deadline passed before its answer was ready");
      this.log.info({ code: late.code, status: late.status }, late.message);
      this.call.sendMetadata(this.responseMetadata());
      this.callback(errorStatus(late));
      return end(late.status, late.code);
    }
    if (this.call.cancelled) {
      this.log.debug({ code: 'ERR_CLIENT_CLOSED_REQUEST' }, 'the client cancelled the call');
      return end(CLIENT_CLOSED_REQUEST, 'ERR_CLIENT_CLOSED_REQUEST');
    }
    this.call.sendMetadata(this.responseMetadata());
    if ('response' in outcome) {
      this.callback(null, outcome.response);
      return end(200);
    }
    const { status, httpStatus, code } = this.failure(outcome.error);
    this.callback(status);
    end(httpStatus, code);
  }

  private failure(error: unknown): { status: StatusObject; httpStatus: number; code: string } {
    if (error instanceof CallFailure) {
      const code = error.status.metadata?.get('x-sluice-error-code')[0];
      return { status: error.status, httpStatus: error.httpStatus, code: String(code ?? 'ERR_UPSTREAM_REJECTED') };
    }
    const failure = toSluiceError(error);
    logFailure(this.log, failure);
    return { status: errorStatus(failure), httpStatus: failure.status, code: failure.code };
  }

  /** x-request-id on every call; the provenance of an answer (docs/api.md#how-an-answer-was-made); a budget's warning. */
  private responseMetadata(): Metadata {
    const metadata = new Metadata();
    metadata.set('x-request-id', this.requestId);
    const warning = this.context?.budgetWarning;
    if (warning !== undefined) metadata.set('x-sluice-budget-warning', warning);
    const answer = this.context?.answer;
    if (answer !== undefined) {
      const elapsedMs = performance.now() - this.receivedAt;
      for (const [key, value] of Object.entries(provenanceHeaders(answer.provenance, elapsedMs)))
        metadata.set(key, value);
    }
    return metadata;
  }
}

/** Text metadata as request headers (binary `-bin` entries are not headers sluice reads). */
export function metadataHeaders(metadata: Metadata): Headers {
  const headers: Headers = {};
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    if (key.endsWith('-bin')) continue;
    const text = values.map(String);
    if (text.length > 0) headers[key] = text.length === 1 ? (text[0] as string) : text;
  }
  return headers;
}
