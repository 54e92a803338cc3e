/**
 * Everything an inference route shares, done once for every protocol and model (who calls
 * is settled before, by the auth plugin): a signal that aborts when the client goes away, the
 * pipeline run, the in-flight count shutdown waits on, the request counted with its final
 * status (499 for a client that left), and the headers that say how the answer was made.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../observe/metrics.ts';
import {
  createContext,
  type CacheDirectives,
  type CallInfo,
  type Protocol,
  type RequestContext,
  type RequestHeaders,
} from '../pipeline/context.ts';
import type { TargetLog } from '../pipeline/target.ts';
import type { InferencePipeline } from '../pipeline/pipeline.ts';
import type { Infer } from '../protocols/deps.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { Inflight } from '../core/inflight.ts';
import { ANONYMOUS } from '../tenancy/tenant-directory.ts';
import type { FinishedInference } from '../observe/inference-audit.ts';
import { readCacheDirectives } from '../cost/cache/cache-control.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Inference routes are counted in sluice_requests_total with their final status. */
    inference?: boolean;
  }
  interface FastifyRequest {
    /** The request's pipeline context, once its route has built it. */
    pipelineContext: RequestContext | null;
  }
  interface FastifyReply {
    /** Set once the inference is counted in the metrics (and audited), which happens once whichever hook comes first. */
    inferenceCounted: boolean;
  }
}

export interface InferenceEdgeDeps {
  readonly pipeline: InferencePipeline;
  readonly metrics: Metrics;
  readonly inflight: Inflight<FastifyReply>;
  /** Where the request's model labels come from (bounded: see TargetDirectory.versionLabel). */
  readonly targets: Pick<TargetDirectory, 'servedLabels'>;
  /** Records a finished inference in the audit log, when audited. */
  readonly auditInference: ((finished: FinishedInference) => void) | undefined;
}

/** nginx's "client closed request": the client left before its answer was complete. */
const CLIENT_CLOSED_REQUEST = 499;

export function registerInferenceEdge(app: FastifyInstance, deps: InferenceEdgeDeps): Infer {
  const { metrics, inflight } = deps;
  app.decorateRequest('pipelineContext', null);
  app.decorateReply('inferenceCounted', false);
  // Callback style, not async: no promise and no extra microtask on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config.inference !== true) return done();
    inflight.add(reply);
    // A client that goes away before its answer never reaches onResponse.
    reply.raw.once('close', () => {
      if (cutOff(reply)) countOnce(request, reply);
    });
    done();
  });
  // Also for requests refused before the hook above ran (the admission gate's hook).
  app.addHook('onResponse', (request, reply, done) => {
    if (request.routeOptions.config.inference === true) countOnce(request, reply);
    done();
  });

  /** A response cut off (the client left mid-answer, a stream included) is a 499. */
  function countOnce(request: FastifyRequest, reply: FastifyReply): void {
    if (reply.inferenceCounted) return;
    reply.inferenceCounted = true;
    inflight.delete(reply);
    const protocol = request.routeOptions.config.protocol;
    if (protocol === undefined || protocol === 'admin') return;
    const status = cutOff(reply) ? CLIENT_CLOSED_REQUEST : reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    const context = request.pipelineContext;
    metrics.recordRequest(protocol, status, seconds, deps.targets.servedLabels(context));
    deps.auditInference?.({ protocol, status, seconds, caller: request.caller ?? ANONYMOUS, context });
  }

  return (request, reply, protocol, inference) => {
    const abort = new ClientAbort(reply);
    const context = createContext(
      new HttpCall(request, reply, protocol, abort),
      inference,
      request.caller ?? ANONYMOUS,
    );
    request.pipelineContext = context;
    // A failure after dispatch (a later stage) must not leave an upstream call or stream open.
    return deps.pipeline.run(context).then(
      (answered) => {
        if (answered.budgetWarning !== undefined) reply.header('x-sluice-budget-warning', answered.budgetWarning);
        return answered;
      },
      (error: unknown) => {
        if (context.answer !== undefined) abort.abort();
        throw error;
      },
    );
  };
}

/** What the HTTP edge knows of a call; the signal is read through, so it is made only when asked for. */
class HttpCall implements CallInfo {
  readonly requestId: string;
  readonly receivedAt: number;
  readonly log: TargetLog;
  readonly cacheDirectives: CacheDirectives | undefined;
  readonly headers: RequestHeaders;

  constructor(
    request: FastifyRequest,
    reply: FastifyReply,
    readonly protocol: Protocol,
    private readonly abort: ClientAbort,
  ) {
    this.requestId = request.id;
    this.receivedAt = performance.now() - reply.elapsedTime;
    this.log = request.log;
    this.cacheDirectives = readCacheDirectives(request.headers['cache-control'], request.headers['x-sluice-cache']);
    this.headers = request.headers;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }
}

/**
 * The request's abort signal, made when something first asks for it: local models never
 * do, and a controller with its listener on every request is a real share of a small one's CPU.
 */
class ClientAbort {
  private controller: AbortController | undefined;

  constructor(private readonly reply: FastifyReply) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = (this.controller = new AbortController());
      if (cutOff(this.reply)) controller.abort();
      else this.reply.raw.once('close', () => !this.reply.raw.writableFinished && controller.abort());
    }
    return this.controller.signal;
  }

  abort(): void {
    this.controller?.abort();
  }
}

/** Aborted when the client goes away before its answer is complete. */
export function clientSignal(reply: FastifyReply): AbortSignal {
  return new ClientAbort(reply).signal;
}

/** The client left before the whole answer was written. */
function cutOff(reply: FastifyReply): boolean {
  return reply.raw.destroyed && !reply.raw.writableFinished;
}
