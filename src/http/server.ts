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
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { RealClock } from '../core/clock.ts';
import { SluiceError } from '../core/errors.ts';
import { SLUICE_VERSION } from '../core/version.ts';
import { AdmissionGate } from '../control/gate/admission-gate.ts';
import { LocalTargets } from '../engines/local/local-targets.ts';
import { defaultExecutionSlots, ExecutionSlots } from '../engines/local/models/execution-slots.ts';
import { ModelRegistry } from '../engines/local/models/registry.ts';
import type { ServedModelOptions } from '../engines/local/models/served-model.ts';
import { PreprocessPool } from '../engines/local/preprocess/preprocess-pool.ts';
import { healthLogLine } from '../engines/remote/backend-settings.ts';
import { RemoteMetrics } from '../engines/remote/remote-metrics.ts';
import { RemoteModels } from '../engines/remote/remote-models.ts';
import { RemoteTargets } from '../engines/remote/remote-targets.ts';
import type { GrpcEdge } from '../grpc/grpc-server.ts';
import { Metrics } from '../observe/metrics.ts';
import { modelObserver } from '../observe/model-observer.ts';
import { InferencePipeline, type PipelineSlots } from '../pipeline/pipeline.ts';
import { TargetDirectory } from '../pipeline/target-directory.ts';
import type { ProtocolDeps } from '../protocols/deps.ts';
import { registerKServeV1 } from '../protocols/kserve-v1.ts';
import { registerKServeV2 } from '../protocols/kserve-v2.ts';
import { registerOpenAI } from '../protocols/openai.ts';
import { TenantDirectory } from '../tenancy/tenant-directory.ts';
import { registerAdmissionGate } from './admission-plugin.ts';
import type { RawAdmission } from './admission-screen.ts';
import { ConnectionDrain } from './connection-drain.ts';
import { registerErrorHandling, replyWithError } from './error-plugin.ts';
import { clientSignal, registerInferenceEdge } from './inference-plugin.ts';
import type { ProbeContext } from '../pipeline/target.ts';
import { InflightRequests } from './inflight-requests.ts';

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

export const MAX_ITEMS_PER_REQUEST = 2048;

export interface SluiceOverrides {
  /** Wraps how model instances open their sessions (tests use it to hold batches). */
  readonly openSession?: ServedModelOptions['openSession'];
  /** Waits between attempts to replace a lost instance (tests shorten them). */
  readonly replaceBackoffMs?: ServedModelOptions['replaceBackoffMs'];
  /** Platform stages in the pipeline's slots (none by default). */
  readonly slots?: PipelineSlots;
}

export function createSluice(config: Readonly<Config>, logger: Logger, overrides: SluiceOverrides = {}): Sluice {
  const { models, metrics, preprocessPool } = localEngine(config, logger, overrides);
  const remoteMetrics = new RemoteMetrics(metrics.registry);
  const remote = remoteEngine(config, logger, remoteMetrics);
  remoteMetrics.watch(metrics.registry, remote);
  const localTargets = new LocalTargets(models, (spec, priority, queueMs) =>
    metrics.queueDuration.observe(
      { model: spec.name, version: spec.version, priority: String(priority) },
      queueMs / 1000,
    ),
  );
  const targets = new TargetDirectory([localTargets, new RemoteTargets(remote, remoteMetrics)]);

  const drain = new ConnectionDrain(new RealClock(), config.server.shutdown_quiet_ms);
  const draining = () => drain.active;
  const pipeline = new InferencePipeline(targets, {
    loadControl: config.load_control.enabled,
    draining,
    ...(overrides.slots === undefined ? {} : { slots: overrides.slots }),
    onDispatch: (context, delta) => {
      const { target } = context;
      if (target === undefined) return;
      const labels = { model: target.name, version: targets.versionLabel(target.name, target.version) };
      metrics.inFlight.inc({ ...labels, protocol: context.protocol }, delta);
    },
  });
  const tenants = new TenantDirectory(config);
  const inflight = new InflightRequests();

  // The admission screen answers refusals before fastify routes a request; it is set once
  // the gate exists, and the server it sits in must exist before that.
  const admissionScreen: { current?: RawAdmission } = {};
  const gate: { current?: AdmissionGate } = {};
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
    // The error plugin writes one line per request with what operators need.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify coerces body types by default ("hi" → ["hi"]); a gateway must refuse, not guess.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  // JSON only: fastify's default text/plain parser would hand routes a string body.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app, logger.isLevelEnabled('info'));
  // Before the inference hooks: a refused request costs no more, and a permit is returned the moment its response finishes.
  if (config.admission.enabled && config.load_control.enabled) {
    admissionScreen.current = registerAdmissionGate(app, config.admission, {
      models: {
        resolve: (name, version) => {
          const target = targets.resolve(name, version);
          return { name: target.name, version: targets.versionLabel(target.name, target.version) };
        },
      },
      tenants,
      metrics: tapAdmissionGate(metrics, (found) => (gate.current = found)),
      onLimitChange: (limit, previous, reason) => logger.debug({ limit, previous, reason }, 'admission limit changed'),
    });
  }
  const infer = registerInferenceEdge(app, {
    pipeline,
    tenants,
    metrics,
    inflight,
    versionLabel: (name, version) => targets.versionLabel(name, version),
  });

  let startupStep: string | undefined = 'loading models';
  const ready = () => models.ready && !draining();
  const readiness = () => {
    if (draining()) return { ready: false, reason: 'shutting down' };
    if (models.ready) return { ready: true };
    const failed = models.all().find((model) => model.state === 'failed');
    if (failed !== undefined)
      return { ready: false, reason: `model "${failed.spec.name}" failed: ${failed.failureReason}` };
    return { ready: false, reason: startupStep ?? 'warming up models' };
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
    // Loaded on first use: grpc-js and the proto take a few hundred ms that HTTP's start-up need not wait for.
    const [{ GrpcEdge }, { inferenceService }] = await Promise.all([
      import('../grpc/grpc-server.ts'),
      import('../protocols/grpc/service.ts'),
    ]);
    grpc ??= new GrpcEdge({
      service: inferenceService({ targets, readiness, serverVersion: SLUICE_VERSION }),
      pipeline,
      tenants,
      metrics,
      targets,
      logger,
      maxMessageBytes: config.server.body_limit_bytes,
      admission: () => gate.current,
    });
    return grpc.listen(config.server.host, port);
  };

  const closeEngines = async () => {
    await remote.close(); // streams still open end with an error event, so their connections can close
    await grpc?.close();
    await app.close();
    await models.close();
    await preprocessPool.close();
  };
  return {
    app,
    models,
    metrics,
    remote,
    targets,
    ready,
    setStartupStep: (step) => (startupStep = step),
    startGrpc,
    shutdown: async (graceMs) => {
      drain.begin();
      const [finished, grpcFinished] = await Promise.all([inflight.idle(graceMs), grpc?.idle(graceMs) ?? true]);
      const late = new SluiceError(
        'ERR_SERVER_SHUTTING_DOWN',
        `the server shut down before this request finished (grace period ${graceMs} ms)`,
      );
      const unfinished =
        (finished ? 0 : inflight.answerAll((reply) => replyWithError(reply, late))) +
        (grpcFinished ? 0 : (grpc?.answerAll(late) ?? 0));
      if ((await openConnections(app)) > 0) await drain.quiet(graceMs);
      await closeEngines();
      return { unfinished };
    },
    close: closeEngines,
  };
}

/** The local engine: the model registry, its preprocessing workers, and the metrics that read them. */
function localEngine(config: Readonly<Config>, logger: Logger, overrides: SluiceOverrides) {
  const metricsRef: { current?: Metrics } = {};
  const preprocessPool = new PreprocessPool();
  const { execution, intra_op_threads: intraOpThreads, execution_slots: slots } = config.models;
  const models = new ModelRegistry({
    preprocessPool,
    executionSlots: new ExecutionSlots(slots === 0 ? defaultExecutionSlots({ execution, intraOpThreads }) : slots),
    execution,
    intraOpThreads,
    maxItemsPerRequest: MAX_ITEMS_PER_REQUEST,
    loadControl: config.load_control.enabled,
    observer: modelObserver(() => metricsRef.current, logger),
    ...(overrides.openSession === undefined ? {} : { openSession: overrides.openSession }),
    ...(overrides.replaceBackoffMs === undefined ? {} : { replaceBackoffMs: overrides.replaceBackoffMs }),
  });
  const metrics = new Metrics(models);
  metrics.watchPreprocessPool(preprocessPool);
  metricsRef.current = metrics;
  return { models, metrics, preprocessPool };
}

/** The remote engine: one connection pool per replica (docs/backends.md), closed with the server. */
function remoteEngine(config: Readonly<Config>, logger: Logger, remoteMetrics: RemoteMetrics): RemoteModels {
  return RemoteModels.fromConfig(config, () => ({
    onAttempt: (event) => remoteMetrics.attempt(event),
    onHealthChange: (event) => {
      const { level, message } = healthLogLine(event);
      logger[level](event, message);
    },
  }));
}

/**
 * The admission plugin builds the server-wide gate and shows it only to the metrics that
 * export it; gRPC calls must take their permits from that same gate, so it is picked up
 * there (until the plugin hands its gate out: registerAdmissionGate returning it).
 */
function tapAdmissionGate(metrics: Metrics, found: (gate: AdmissionGate) => void): Metrics {
  const tap = Object.create(metrics) as Metrics;
  tap.watchAdmission = (watched) => {
    if (watched instanceof AdmissionGate) found(watched);
    metrics.watchAdmission(watched);
  };
  return tap;
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
