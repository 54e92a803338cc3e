/**
 * Everything an inference route shares, done once for every protocol and model: who calls
 * (the tenant of its API key), a signal that aborts when the client goes away, the
 * pipeline run, the in-flight count shutdown waits on, the request counted with its final
 * status (499 for a client that left), and the headers that say how the answer was made.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../observe/metrics.ts';
import { createContext, type RequestContext } from '../pipeline/context.ts';
import type { InferencePipeline } from '../pipeline/pipeline.ts';
import type { Infer } from '../protocols/deps.ts';
import { provenanceHeaders } from '../protocols/provenance.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';
import type { InflightRequests } from './inflight-requests.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Inference routes are counted in sluice_requests_total with their final status. */
    inference?: boolean;
  }
  interface FastifyRequest {
    /** The request's pipeline context, once its route has built it. */
    inference: RequestContext | null;
  }
}

export interface InferenceEdgeDeps {
  readonly pipeline: InferencePipeline;
  readonly tenants: TenantDirectory;
  readonly metrics: Metrics;
  readonly inflight: InflightRequests;
}

/** nginx's "client closed request": the client left before its answer was complete. */
const CLIENT_CLOSED_REQUEST = 499;

export function registerInferenceEdge(app: FastifyInstance, deps: InferenceEdgeDeps): Infer {
  const { metrics, inflight } = deps;
  app.decorateRequest('inference', null);
  const counted = new WeakSet<FastifyReply>();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.inference !== true) return;
    inflight.add(reply);
    // A client that goes away before its answer never reaches onResponse.
    reply.raw.once('close', () => {
      if (!reply.raw.writableEnded) finish(request, reply);
    });
  });
  // Also for requests refused before the hook above ran (the admission gate's hook).
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config.inference === true) finish(request, reply);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const answer = request.inference?.answer;
    if (answer !== undefined) reply.headers(provenanceHeaders(answer.provenance, reply.elapsedTime));
  });

  /** Counted once: a response cut off (the client left mid-answer, a stream included) is a 499. */
  function finish(request: FastifyRequest, reply: FastifyReply): void {
    if (counted.has(reply)) return;
    counted.add(reply);
    inflight.delete(reply);
    const protocol = request.routeOptions.config.protocol;
    if (protocol === undefined || protocol === 'admin') return;
    const status = reply.raw.writableEnded ? reply.statusCode : CLIENT_CLOSED_REQUEST;
    const context = request.inference;
    const provenance = context?.answer?.provenance;
    const served = provenance === undefined ? context?.target : { name: provenance.model, version: provenance.version };
    metrics.recordRequest(protocol, status, reply.elapsedTime / 1000, served);
  }

  return (request, reply, protocol, inference) => {
    const tenant = deps.tenants.identify(request.headers);
    const controller = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    const call = {
      requestId: request.id,
      protocol,
      receivedAt: performance.now() - reply.elapsedTime,
      signal: controller.signal,
      log: request.log,
    };
    const context = createContext(call, inference, tenant);
    request.inference = context;
    return deps.pipeline.run(context);
  };
}
