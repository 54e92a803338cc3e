/**
 * Assembles a sluice server: model registry, pipeline, metrics and the protocol
 * routes on one fastify instance. Listening and model loading are separate steps so
 * that liveness answers at once while readiness waits for warm-up.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { isServerFault, SluiceError } from '../core/errors.ts';
import type { ModelSpec } from '../engines/local/models/model-spec.ts';
import { defaultExecutionSlots, ExecutionSlots } from '../engines/local/models/execution-slots.ts';
import { ModelRegistry } from '../engines/local/models/registry.ts';
import type { ModelObserver, ServedModelOptions } from '../engines/local/models/served-model.ts';
import { Metrics } from '../observe/metrics.ts';
import type { RequestContext } from '../pipeline/context.ts';
import { InferencePipeline } from '../pipeline/pipeline.ts';
import { PreprocessPool } from '../engines/local/preprocess/preprocess-pool.ts';
import { errorBody, errorHeaders, fromFastifyError, protocolOfUrl, type WireProtocol } from '../protocols/envelopes.ts';
import { registerKServeV1 } from '../protocols/kserve-v1.ts';
import { registerKServeV2, type ProtocolDeps } from '../protocols/kserve-v2.ts';
import { registerOpenAI } from '../protocols/openai.ts';
import { registerOpenAIRemote, type RemoteRouteDeps } from '../protocols/openai-remote.ts';
import { RemoteModels } from '../engines/remote/remote-models.ts';
import { RemoteMetrics } from '../engines/remote/remote-metrics.ts';
import { healthLogLine } from '../engines/remote/backend-settings.ts';
import { TenantDirectory } from '../tenancy/tenant-directory.ts';
import { InflightRequests } from './inflight-requests.ts';
import { ConnectionDrain } from './connection-drain.ts';
import { RealClock } from '../core/clock.ts';
import { createServer } from 'node:http';
import { registerAdmissionGate } from './admission-plugin.ts';
import type { RawAdmission } from './admission-screen.ts';
import { SLUICE_VERSION } from '../core/version.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    protocol?: WireProtocol;
    /** Inference routes are counted in sluice_requests_total with their final status. */
    inference?: boolean;
    /**
     * Routes served only by remote backends: the admission gate's loop lag guard applies,
     * its concurrency limit does not (each replica has its own, docs/backends.md).
     */
    remoteOnly?: boolean;
  }
  interface FastifyRequest {
    inference: RequestContext | null;
  }
}

export interface Sluice {
  readonly app: FastifyInstance;
  readonly models: ModelRegistry;
  readonly metrics: Metrics;
  /** The remote backends' models (docs/backends.md). */
  readonly remote: RemoteModels;
  /** Ready to take traffic: every model warmed up and not shutting down. */
  ready(): boolean;
  /**
   * Graceful shutdown: readiness turns false and new requests get 503 at once, every
   * response closing its keep-alive connection; accepted requests get up to `graceMs` to
   * finish, and any still open then are answered 503. The server closes once no request has
   * arrived for `server.shutdown_quiet_ms` (within `graceMs`): see lifecycle/connection-drain.ts.
   */
  shutdown(graceMs: number): Promise<{ unfinished: number }>;
  close(): Promise<void>;
}

export const MAX_ITEMS_PER_REQUEST = 2048;
const CLIENT_CLOSED_REQUEST = 499;

export interface SluiceOverrides {
  /** Wraps how model instances open their sessions (tests use it to hold batches). */
  readonly openSession?: ServedModelOptions['openSession'];
  /** Waits between attempts to replace a lost instance (tests shorten them). */
  readonly replaceBackoffMs?: ServedModelOptions['replaceBackoffMs'];
}

export function createSluice(config: Readonly<Config>, logger: Logger, overrides: SluiceOverrides = {}): Sluice {
  const metricsRef: { current?: Metrics } = {};
  const preprocessPool = new PreprocessPool();
  const models = new ModelRegistry({
    preprocessPool,
    executionSlots: new ExecutionSlots(
      config.models.execution_slots === 0
        ? defaultExecutionSlots({ execution: config.models.execution, intraOpThreads: config.models.intra_op_threads })
        : config.models.execution_slots,
    ),
    execution: config.models.execution,
    intraOpThreads: config.models.intra_op_threads,
    maxItemsPerRequest: MAX_ITEMS_PER_REQUEST,
    loadControl: config.load_control.enabled,
    observer: modelObserver(() => metricsRef.current, logger),
    ...(overrides.openSession === undefined ? {} : { openSession: overrides.openSession }),
    ...(overrides.replaceBackoffMs === undefined ? {} : { replaceBackoffMs: overrides.replaceBackoffMs }),
  });
  const metrics = new Metrics(models);
  metrics.watchPreprocessPool(preprocessPool);
  metricsRef.current = metrics;
  const drain = new ConnectionDrain(new RealClock(), config.server.shutdown_quiet_ms);
  const draining = () => drain.active;
  const pipeline = new InferencePipeline(models, metrics, { loadControl: config.load_control.enabled, draining });
  const tenants = new TenantDirectory(config);
  const inflight = new InflightRequests();
  // Remote backends (docs/backends.md): one connection pool per replica, closed with the server.
  const remoteMetrics = new RemoteMetrics(metrics.registry);
  const remote = RemoteModels.fromConfig(config, () => ({
    loadControl: config.load_control.enabled,
    onAttempt: (event) => remoteMetrics.attempt(event),
    onHealthChange: (event) => {
      const { level, message } = healthLogLine(event);
      logger[level](event, message);
    },
  }));
  remoteMetrics.watch(metrics.registry, remote);
  // The admission screen answers refusals before fastify routes a request; it is set once
  // the gate exists, and the server it sits in must exist before that.
  const admissionScreen: { current?: RawAdmission } = {};
  const app = Fastify({
    // Fastify applies its own keep-alive timeout only to a server it creates itself.
    serverFactory: (handler) =>
      createServer({ keepAliveTimeout: config.server.keep_alive_timeout_ms }, (request, response) => {
        drain.onRequest(response);
        if (admissionScreen.current?.screen(request, response) === true) return;
        handler(request, response);
      }),
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.server.body_limit_bytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Our onResponse hook writes one line per request with what operators need.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify coerces body types by default ("hi" → ["hi"]); a gateway must refuse, not guess.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  // JSON only: fastify's default text/plain parser would hand routes a string body.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.decorateRequest('inference', null);
  // Before the other hooks: a refused request costs no more, and a permit is returned the moment its response finishes.
  if (config.admission.enabled && config.load_control.enabled) {
    admissionScreen.current = registerAdmissionGate(app, config.admission, {
      models,
      tenants,
      metrics,
      onLimitChange: (limit, previous, reason) => logger.debug({ limit, previous, reason }, 'admission limit changed'),
    });
  }
  app.addHook('onRequest', async (request, reply) => {
    const { config } = request.routeOptions;
    if (config.inference !== true) return;
    inflight.add(reply);
    // A client that goes away before its answer never reaches onResponse: count it as
    // 499 (nginx's "client closed request") so shutdown does not wait on it.
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished || !inflight.has(reply)) return;
      inflight.delete(reply);
      if (config.protocol !== undefined && config.protocol !== 'admin') {
        metrics.recordRequest(
          config.protocol,
          CLIENT_CLOSED_REQUEST,
          reply.elapsedTime / 1000,
          request.inference?.model?.spec ?? request.remoteModel ?? undefined,
        );
      }
    });
  });
  app.addHook('onResponse', async (request, reply) => {
    const { config } = request.routeOptions;
    if (config.inference === true && config.protocol !== undefined && config.protocol !== 'admin') {
      inflight.delete(reply);
      metrics.recordRequest(
        config.protocol,
        reply.statusCode,
        reply.elapsedTime / 1000,
        request.inference?.model?.spec ?? request.remoteModel ?? undefined,
      );
    }
    // Checked first: the line's fields would be built for every request even with info off.
    if (logger.isLevelEnabled('info'))
      request.log.info(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Number(reply.elapsedTime.toFixed(2)),
        },
        'request',
      );
  });
  const ready = () => models.ready && !draining();
  const remoteDeps: RemoteRouteDeps = { remote, models, tenants, metrics: remoteMetrics, draining };
  const deps: ProtocolDeps = { models, pipeline, tenants, ready, serverVersion: SLUICE_VERSION, remote: remoteDeps };
  registerKServeV2(app, deps);
  registerKServeV1(app, deps);
  registerOpenAIRemote(app, remoteDeps);
  registerOpenAI(app, deps, remoteDeps);
  app.get('/metrics', { config: { protocol: 'admin' } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return {
    app,
    models,
    metrics,
    remote,
    ready,
    shutdown: async (graceMs) => {
      drain.begin();
      const finished = await inflight.idle(graceMs);
      const unfinished = finished
        ? 0
        : inflight.answerAll((reply) =>
            replyWithError(
              reply,
              new SluiceError(
                'ERR_SERVER_SHUTTING_DOWN',
                `the server shut down before this request finished (grace period ${graceMs} ms)`,
              ),
            ),
          );
      if ((await openConnections(app)) > 0) await drain.quiet(graceMs);
      await remote.close(); // streams still open end with an error event, so their connections can close
      await app.close();
      await models.close();
      await preprocessPool.close();
      return { unfinished };
    },
    close: async () => {
      await remote.close();
      await app.close();
      await models.close();
      await preprocessPool.close();
    },
  };
}

/** Connections the HTTP server holds open (0 for a server that never listened: tests inject). */
function openConnections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve, reject) =>
    app.server.getConnections((error, count) => (error === null ? resolve(count) : reject(error))),
  );
}

/** Model events to metrics and logs; metrics are created after the registry they read. */
function modelObserver(metrics: () => Metrics | undefined, logger: Logger): ModelObserver {
  const labelsOf = (spec: ModelSpec) => ({ model: spec.name, version: spec.version });
  return {
    batch: (spec, event) => {
      metrics()?.batchSize.observe(labelsOf(spec), event.size);
      metrics()?.inferenceDuration.observe(labelsOf(spec), event.inferenceMs / 1000);
    },
    shed: (spec, event) => metrics()?.shed.inc({ ...labelsOf(spec), reason: event.reason, tenant: event.tenant }),
    scale: (spec, event) => {
      metrics()?.scaleDecisions.inc({ ...labelsOf(spec), direction: event.to > event.from ? 'up' : 'down' });
      logger.info({ ...labelsOf(spec), from: event.from, to: event.to, reason: event.reason }, 'instances scaled');
    },
    limit: (spec, event) => logger.debug({ ...labelsOf(spec), ...event }, 'concurrency limit changed'),
    instanceLost: (spec, event) => {
      metrics()?.instancesLost.inc(labelsOf(spec));
      logger.error(
        { ...labelsOf(spec), replaced: event.replaced },
        event.replaced
          ? 'model instance lost (its worker thread stopped): replacing it'
          : 'model instance lost (its worker thread stopped)',
      );
    },
  };
}

function replyWithError(
  reply: FastifyReply,
  failure: SluiceError,
  protocol = reply.request.routeOptions.config.protocol ?? protocolOfUrl(reply.request.url),
): FastifyReply {
  return reply.code(failure.status).headers(errorHeaders(failure)).send(errorBody(protocol, failure));
}

function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = fromFastifyError(error);
    const protocol = request.routeOptions.config.protocol ?? protocolOfUrl(request.url);
    if (isServerFault(failure.code, failure.status))
      request.log.error({ err: error.cause ?? error, code: failure.code }, failure.message);
    else request.log.debug({ code: failure.code }, failure.message);
    return replyWithError(reply, failure, protocol);
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new SluiceError(
      'ERR_ROUTE_NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
    return replyWithError(reply, failure, protocolOfUrl(request.url));
  });
}
