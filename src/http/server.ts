/**
 * Assembles a sluice server: the engines (local models, remote backends), the pipeline
 * over their targets, and the HTTP edge (one fastify plugin per concern) with the protocol
 * routes. Listening and model loading are separate steps so that liveness answers at once
 * while readiness waits for warm-up.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { RealClock } from '../core/clock.ts';
import { SluiceError } from '../core/errors.ts';
import { SLUICE_VERSION } from '../core/version.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { RemoteModels } from '../engines/remote/remote-models.ts';
import type { AdmissionGate } from '../control/gate/admission-gate.ts';
import type { GrpcEdge } from '../grpc/grpc-server.ts';
import type { Metrics } from '../observe/metrics.ts';
import { EMPTY_SLOTS, InferencePipeline, type PipelineSlots } from '../pipeline/pipeline.ts';
import type { TargetDirectory } from '../pipeline/target-directory.ts';
import type { ProtocolDeps } from '../protocols/deps.ts';
import { registerKServeV1 } from '../protocols/kserve-v1.ts';
import { registerKServeV2 } from '../protocols/kserve-v2.ts';
import { registerOpenAI } from '../protocols/openai.ts';
import type { Store } from '../state/store.ts';
import { openSqliteStore } from '../state/sqlite-store.ts';
import { createCompliance, type Compliance } from './compliance-plugin.ts';
import { createQuarantine, registerQuarantineRoutes, withQuarantine } from './quarantine-plugin.ts';
import { registerReferenceRoutes } from './reference-plugin.ts';
import { createQualityMonitors, qualityExporter, registerQualityRoutes } from './quality-plugin.ts';
import type { QualityMonitors } from '../quality/quality-monitors.ts';
import type { TrafficMonitors } from '../quality/traffic-monitors.ts';
import { createTrafficMonitors, loadPins } from './traffic-quality-plugin.ts';
import type { StoredPins } from '../quality/remote/stored-pins.ts';
import { registerAdmissionGate, type Admission } from './admission-plugin.ts';
import { ConnectionDrain } from './connection-drain.ts';
import { createEngines, type EngineOverrides, type Engines } from './engines.ts';
import { registerErrorHandling, replyWithError } from './error-plugin.ts';
import { useJsonBodyParser } from './json-body.ts';
import { clientSignal, registerInferenceEdge } from './inference-plugin.ts';
import type { ProbeContext } from '../pipeline/target.ts';
import { Inflight } from '../core/inflight.ts';
import { createCaches, type Caches } from '../cost/cache/cache-setup.ts';
import { createLedger, type Ledger } from '../cost/ledger/ledger-setup.ts';
import { createLimits, withLimits } from '../cost/limits/limits-setup.ts';
import { registerUsageRoutes } from './usage-plugin.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Routes only remote models serve: the admission gate's loop lag guard applies, its
     * concurrency limit does not (each replica has its own, docs/backends.md).
     */
    remoteOnly?: boolean;
  }
}

export interface Sluice {
  readonly app: FastifyInstance;
  readonly models: ModelRegistry;
  readonly metrics: Metrics;
  /** The remote backends' models (docs/backends.md). */
  readonly remote: RemoteModels;
  /** Every model, local and remote, as the pipeline resolves them. */
  readonly targets: TargetDirectory;
  /** Tenants, keys and the audit log (src/http/compliance-plugin.ts). */
  readonly compliance: Compliance;
  /** Reads the API keys from the state store and starts watching it; before it, only the config file's keys are known. */
  openState(): Promise<void>;
  /** Ready to take traffic: every model warmed up and not shutting down. */
  ready(): boolean;
  /** Until the first models are loaded: what the server is doing (readiness says it). */
  setStartupStep(step: string | undefined): void;
  /**
   * Serves the Open Inference Protocol over gRPC on `server.host` and `port` (0: a free one)
   * beside HTTP, through the same pipeline, gate and auth (src/grpc); resolves the port bound.
   */
  startGrpc(port: number): Promise<number>;
  /**
   * Graceful shutdown: readiness turns false and new requests get 503 at once, every
   * response closing its keep-alive connection; accepted requests get up to `graceMs` to
   * finish, and any still open then are answered 503. The server closes once no request has
   * arrived for `server.shutdown_quiet_ms` (within `graceMs`): see http/connection-drain.ts.
   */
  shutdown(graceMs: number): Promise<{ unfinished: number }>;
  close(): Promise<void>;
}

export interface SluiceOverrides extends EngineOverrides {
  /** Platform stages in the pipeline's slots (none by default). */
  readonly slots?: PipelineSlots;
  /** Where tenants, keys and the audit log are kept; the server closes it. Default: an in-memory SQLite (`sluice serve` opens the configured one). */
  readonly store?: Store;
  /** The wall clock of the quarantine's times and expiry, and of captured references (tests move it). Default Date.now. */
  readonly wallClock?: () => number;
}

export function createSluice(config: Readonly<Config>, logger: Logger, overrides: SluiceOverrides = {}): Sluice {
  const engines = createEngines(config, logger, overrides);
  const { models, metrics, remote, targets } = engines;

  const drain = new ConnectionDrain(new RealClock(), config.server.shutdown_quiet_ms);
  const draining = () => drain.active;
  const store = overrides.store ?? openSqliteStore(':memory:');
  const now = overrides.wallClock ?? Date.now;
  const quarantine = config.quality.enabled
    ? createQuarantine(config, store, metrics.registry, logger, now)
    : undefined;
  const slots = withQuarantine(overrides.slots, quarantine, config.quality.quarantine.enabled);
  const quality = config.quality.enabled ? createQuality(config, engines, logger) : undefined;
  const caches = createCaches(config.cache, config.state.redis_url, metrics.registry, logger, {
    resolve: (name) => targets.resolve(name),
    loadControl: config.load_control.enabled,
  });
  const ledger = createLedger(config, store, metrics.registry, logger);
  const limits = createLimits(config, metrics.registry, logger, now);
  const withStages = withLimits(withLedger(withCache(withQuality(slots, quality), caches), ledger), limits);
  const pipeline = createPipeline(config, engines, draining, withStages);
  const inflight = new Inflight<FastifyReply>();

  // The admission screen answers refusals before fastify routes a request; it is set once
  // the gate exists, and the server it sits in must exist before that.
  let admission: Admission | undefined;
  const app = createFastify(config, logger, (request, response) => {
    drain.onRequest(response);
    return admission?.screen.screen(request, response) === true;
  });
  registerErrorHandling(app, logger.isLevelEnabled('info'));
  const compliance = createCompliance(config, store, logger);
  const { tenants } = compliance;
  // Before the inference hooks: a refused request costs no more, and a permit is returned the moment its response finishes.
  if (config.admission.enabled && config.load_control.enabled) {
    admission = registerAdmissionGate(app, config.admission, {
      models: targets,
      tenants,
      metrics,
      onLimitChange: (limit, previous, reason) => logger.debug({ limit, previous, reason }, 'admission limit changed'),
    });
  }
  compliance.register(app);
  if (quarantine !== undefined) {
    registerQuarantineRoutes(app, { quarantine, targets, audit: compliance.audit, config, now });
  }
  if (quality !== undefined) {
    registerQualityRoutes(app, quality.monitors, targets, quality.traffic);
  }
  if (quality !== undefined) {
    registerReferenceRoutes(app, {
      monitors: quality.monitors,
      traffic: quality.traffic,
      models,
      targets,
      audit: compliance.audit,
      references: store,
      now,
      vocabularySize: config.quality.vocabulary_size,
    });
  }
  registerUsageRoutes(app, ledger);
  const infer = registerInferenceEdge(app, {
    pipeline,
    metrics,
    inflight,
    targets,
    auditInference: compliance.auditInference,
  });

  let startupStep: string | undefined = 'loading models';
  const ready = () => models.ready && !draining();
  const readiness = () => {
    const ofModels = readinessOf(models, draining(), startupStep);
    return (ofModels.ready ? limits?.health() : undefined) ?? ofModels;
  };
  const startedAt = Math.floor(Date.now() / 1000);
  const deps: ProtocolDeps = { infer, targets, readiness, probeContext, serverVersion: SLUICE_VERSION, startedAt };
  registerKServeV2(app, deps);
  registerKServeV1(app, deps);
  registerOpenAI(app, deps);
  app.get('/metrics', { config: { protocol: 'admin' } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let grpc: GrpcEdge | undefined;
  const startGrpc = async (port: number) => {
    grpc ??= await createGrpcEdge({
      config,
      logger,
      engines,
      pipeline,
      compliance,
      readiness,
      gate: () => admission?.gate,
    });
    return grpc.listen(config.server.host, port);
  };

  let pins: StoredPins | undefined;
  const closeEngines = async () => {
    pins?.close();
    await remote.close(); // streams still open end with an error event, so their connections can close
    await grpc?.close();
    await app.close();
    await engines.close();
    // Audit records a failed database could not take are logged, and the store still closes.
    await quarantine?.close(); // its last rejections, before the store closes
    await caches?.close();
    await limits?.close();
    await ledger?.close().catch((error: unknown) => logger.error({ err: error }, 'cost ledger: sums lost at shutdown'));
    await compliance
      .close()
      .catch((error: unknown) => logger.error({ err: error }, 'audit log: records lost at shutdown'));
    await store.close();
  };
  return {
    app,
    models,
    metrics,
    remote,
    targets,
    compliance,
    openState: async () => {
      await compliance.start();
      if (quality !== undefined) pins = await loadPins(quality.traffic, store, logger, now);
      quarantine?.start();
      await caches?.start();
      await limits?.start();
      ledger?.start();
    },
    ready,
    setStartupStep: (step) => (startupStep = step),
    startGrpc,
    shutdown: async (graceMs) => {
      drain.begin();
      const unfinished = await answerUnfinished(inflight, grpc, graceMs);
      if ((await openConnections(app)) > 0) await drain.quiet(graceMs);
      await closeEngines();
      return { unfinished };
    },
    close: closeEngines,
  };
}

/** Waits up to `graceMs` for the calls in flight on both transports, then answers those left with 503. */
async function answerUnfinished(
  inflight: Inflight<FastifyReply>,
  grpc: GrpcEdge | undefined,
  graceMs: number,
): Promise<number> {
  const [finished, grpcFinished] = await Promise.all([inflight.idle(graceMs), grpc?.idle(graceMs) ?? true]);
  const late = new SluiceError(
    'ERR_SERVER_SHUTTING_DOWN',
    `the server shut down before this request finished (grace period ${graceMs} ms)`,
  );
  const http = finished ? 0 : inflight.answerAll((reply) => !reply.sent && (replyWithError(reply, late), true));
  return http + (grpcFinished ? 0 : (grpc?.answerAll(late) ?? 0));
}

interface GrpcEdgeDeps {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly engines: Engines;
  readonly pipeline: InferencePipeline;
  readonly compliance: Compliance;
  readonly readiness: () => { ready: boolean; reason?: string };
  readonly gate: () => AdmissionGate | undefined;
}

/** The gRPC edge over the same pipeline, gate and auth; loaded on first use (grpc-js and the proto take a few hundred ms HTTP's start need not wait for). */
async function createGrpcEdge(deps: GrpcEdgeDeps): Promise<GrpcEdge> {
  const [{ GrpcEdge }, { inferenceService }] = await Promise.all([
    import('../grpc/grpc-server.ts'),
    import('../protocols/grpc/service.ts'),
  ]);
  const { targets, metrics } = deps.engines;
  return new GrpcEdge({
    service: inferenceService({ targets, readiness: deps.readiness, serverVersion: SLUICE_VERSION }),
    pipeline: deps.pipeline,
    tenants: deps.compliance.tenants,
    access: deps.compliance.access,
    auditInference: deps.compliance.auditInference,
    metrics,
    targets,
    logger: deps.logger,
    maxMessageBytes: deps.config.server.body_limit_bytes,
    admission: deps.gate,
  });
}

interface Quality {
  readonly monitors: QualityMonitors;
  readonly traffic: TrafficMonitors;
}

/** Local models' data quality, and the traffic of remote models and declared segments, sharing their gauges. */
function createQuality(config: Readonly<Config>, engines: Engines, logger: Logger): Quality {
  const { models, remote, metrics } = engines;
  const exporter = qualityExporter(metrics.registry, logger);
  return {
    monitors: createQualityMonitors(config, models, metrics.registry, logger, exporter),
    traffic: createTrafficMonitors(config, remote, metrics.registry, exporter),
  };
}

/** The data quality stages after any observe stages given; the traffic stage only when it watches a model. */
function withQuality(slots: PipelineSlots | undefined, quality: Quality | undefined): PipelineSlots | undefined {
  if (quality === undefined) return slots;
  const base = slots ?? EMPTY_SLOTS;
  const traffic = quality.traffic.watching ? [quality.traffic.stage] : [];
  return { ...base, observe: [...base.observe, quality.monitors.stage, ...traffic] };
}

/** The cache stages in the cache slot, when a model is cached. */
function withCache(slots: PipelineSlots | undefined, caches: Caches | undefined): PipelineSlots | undefined {
  if (caches === undefined) return slots;
  const base = slots ?? EMPTY_SLOTS;
  return { ...base, cache: [...base.cache, ...caches.stages] };
}

/** The cost ledger's stage, last in the observe slot (it charges what the stages before let through). */
function withLedger(slots: PipelineSlots | undefined, ledger: Ledger | undefined): PipelineSlots | undefined {
  if (ledger === undefined) return slots;
  const base = slots ?? EMPTY_SLOTS;
  return { ...base, observe: [...base.observe, ledger.stage] };
}

/** The pipeline over the engines' targets, counting what it dispatches in `sluice_inflight_requests`. */
function createPipeline(
  config: Readonly<Config>,
  engines: Engines,
  draining: () => boolean,
  slots: PipelineSlots | undefined,
): InferencePipeline {
  const { targets, metrics } = engines;
  return new InferencePipeline(targets, {
    loadControl: config.load_control.enabled,
    draining,
    ...(slots === undefined ? {} : { slots }),
    onDispatch: (context) => {
      const served = targets.servedLabels(context);
      if (served === undefined) return undefined;
      const labels = { model: served.name, version: served.version, protocol: context.protocol };
      metrics.inFlight.inc(labels);
      return () => metrics.inFlight.dec(labels);
    },
  });
}

/** Fastify on a Node HTTP server whose requests `screen` may answer first (true: answered). */
function createFastify(
  config: Readonly<Config>,
  logger: Logger,
  screen: (request: IncomingMessage, response: ServerResponse) => boolean,
): FastifyInstance {
  const app = Fastify({
    // Fastify applies its own keep-alive timeout only to a server it creates itself.
    serverFactory: (handler) =>
      createServer({ keepAliveTimeout: config.server.keep_alive_timeout_ms }, (request, response) => {
        if (!screen(request, response)) handler(request, response);
      }),
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.server.body_limit_bytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // The error plugin writes one line per request with what operators need.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify coerces body types by default ("hi" → ["hi"]); a gateway must refuse, not guess.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  // JSON only: fastify's default text/plain parser would hand routes a string body.
  app.removeContentTypeParser('text/plain');
  useJsonBodyParser(app);
  return app;
}

/** Ready once every model is warmed up and the server is not shutting down; else why not. */
function readinessOf(
  models: ModelRegistry,
  draining: boolean,
  startupStep: string | undefined,
): { ready: boolean; reason?: string } {
  if (draining) return { ready: false, reason: 'shutting down' };
  if (models.ready) return { ready: true };
  const failed = models.all().find((model) => model.state === 'failed');
  if (failed !== undefined)
    return { ready: false, reason: `model "${failed.spec.name}" failed: ${failed.failureReason}` };
  return { ready: false, reason: startupStep ?? 'warming up models' };
}

/** A request to a model's server on a client's behalf (metadata, readiness) is cancelled when the client hangs up. */
function probeContext(request: FastifyRequest, reply: FastifyReply): ProbeContext {
  return { signal: clientSignal(reply), requestId: request.id, log: request.log };
}

/** Connections the HTTP server holds open (0 for a server that never listened: tests inject). */
function openConnections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve, reject) =>
    app.server.getConnections((error, count) => (error === null ? resolve(count) : reject(error))),
  );
}
