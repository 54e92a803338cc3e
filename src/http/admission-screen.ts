/**
 * The admission gate in front of fastify: the HTTP server's request listener asks it
 * before fastify routes the request. Under overload most requests are refused, and a
 * refusal made here costs far less than one made in a fastify hook (no routing, no hook
 * chain, no reply object; docs/design-notes.md): that CPU is what the admitted requests need.
 *
 *   request ─► inference URL? ─no─► fastify
 *                   │yes
 *                   ▼
 *              tenant of its API key (before authentication; gateTenant)
 *                   ▼
 *              gate.admit(tenant) ─refused─► 429 written here (same envelope and headers
 *                   │                        as the error handler's), counted in the metrics
 *                   ▼ admitted
 *              ticket kept for the request; released on the response's finish/close
 *              ─► fastify (its admission hook takes the ticket instead of asking again)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../observe/metrics.ts';
import type { Protocol } from '../pipeline/context.ts';
import { errorBody, refusalHeaders } from '../protocols/envelopes.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';
import type { AdmissionGate, AdmissionTicket } from '../control/gate/admission-gate.ts';
import { gateTenant, refusedModel, type ModelResolver } from '../control/gate/refusal-labels.ts';

/** The inference routes, as the protocol adapters register them (POST only). */
const INFERENCE_URL =
  /^\/(?:v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer|v1\/models\/([^/?:]+):predict|v1\/embeddings)(?:\?|$)/;

export interface RawAdmissionDeps {
  /** Names the refused request's model in the metrics, when it is served. */
  readonly models: ModelResolver;
  readonly tenants: TenantDirectory;
  readonly metrics: Metrics;
}

export class RawAdmission {
  private readonly tickets = new WeakMap<IncomingMessage, AdmissionTicket>();

  constructor(
    private readonly gate: AdmissionGate,
    private readonly deps: RawAdmissionDeps,
  ) {}

  /** True when the request was answered here (refused); false: hand it to fastify. */
  screen(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST') return false;
    const match = INFERENCE_URL.exec(request.url ?? '');
    if (match === null) return false;
    const tenant = gateTenant(this.deps.tenants, request.headers);
    const verdict = this.gate.admit(tenant);
    if (verdict.admitted) {
      this.keep(request, response, verdict.ticket);
      return false;
    }
    // The match already says which route: no second look at the URL.
    const protocol: Protocol = match[1] !== undefined ? 'kserve-v2' : match[3] !== undefined ? 'kserve-v1' : 'openai';
    const model = refusedModel(this.deps.models, match[1] ?? match[3], match[2], decodeURIComponent);
    const requestId =
      typeof request.headers['x-request-id'] === 'string' ? request.headers['x-request-id'] : randomUUID();
    response.writeHead(verdict.error.status, refusalHeaders(verdict.error, requestId));
    response.end(JSON.stringify(errorBody(protocol, verdict.error)));
    this.deps.metrics.countAdmissionRefusal({ protocol, ...model, tenant: tenant.name });
    return true;
  }

  /** The ticket the request was admitted with here, if it came through the HTTP server. */
  ticketOf(request: IncomingMessage): AdmissionTicket | undefined {
    return this.tickets.get(request);
  }

  private keep(request: IncomingMessage, response: ServerResponse, ticket: AdmissionTicket): void {
    this.tickets.set(request, ticket);
    // 'close' follows every response, sent or not: one listener instead of a 'finish' one too.
    response.once('close', () => {
      if (response.writableFinished) ticket.finish(response.statusCode);
      else ticket.abandon();
    });
  }
}
