/**
 * Assembles a sluice server: model registry, pipeline, metrics and the protocol
 * routes on one fastify instance. Listening and model loading are separate steps so
 * that liveness answers at once while readiness waits for warm-up.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { SluiceError } from './errors.ts';
import { ModelRegistry } from './models/registry.ts';
import { Metrics } from './observe/metrics.ts';
import type { RequestContext } from './pipeline/context.ts';
import { InferencePipeline } from './pipeline/pipeline.ts';
import { errorBody, fromFastifyError, protocolOfUrl, type WireProtocol } from './protocols/envelopes.ts';
import { registerKServeV1 } from './protocols/kserve-v1.ts';
import { registerKServeV2, type ProtocolDeps } from './protocols/kserve-v2.ts';
import { registerOpenAI } from './protocols/openai.ts';
import { SLUICE_VERSION } from './version.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    protocol?: WireProtocol;
    /** Inference routes are counted in sluice_requests_total with their final status. */
    inference?: boolean;
  }
  interface FastifyRequest {
    inference: RequestContext | null;
  }
}

export interface Sluice {
  readonly app: FastifyInstance;
  readonly models: ModelRegistry;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

export const MAX_ITEMS_PER_REQUEST = 2048;

export function createSluice(config: Readonly<Config>, logger: Logger): Sluice {
  const metricsRef: { current?: Metrics } = {};
  const models = new ModelRegistry({
    intraOpThreads: config.models.intra_op_threads,
    maxItemsPerRequest: MAX_ITEMS_PER_REQUEST,
    onBatch: (spec, event) => {
      const labels = { model: spec.name, version: spec.version };
      metricsRef.current?.batchSize.observe(labels, event.size);
      metricsRef.current?.inferenceDuration.observe(labels, event.inferenceMs / 1000);
    },
  });
  const metrics = new Metrics(models);
  metricsRef.current = metrics;
  const pipeline = new InferencePipeline(models, metrics);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.server.body_limit_bytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    disableRequestLogging: true,
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
  app.addHook('onResponse', async (request, reply) => {
    const { config } = request.routeOptions;
    if (config.inference === true && config.protocol !== undefined && config.protocol !== 'admin') {
      metrics.recordRequest(config.protocol, reply.statusCode, reply.elapsedTime / 1000, request.inference?.model?.spec);
    }
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(2)) }, 'request');
  });
  const deps: ProtocolDeps = { models, pipeline, serverVersion: SLUICE_VERSION };
  registerKServeV2(app, deps);
  registerKServeV1(app, deps);
  registerOpenAI(app, deps);
  app.get('/metrics', { config: { protocol: 'admin' } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return {
    app,
    models,
    metrics,
    close: async () => {
      await app.close();
      await models.close();
    },
  };
}

function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = fromFastifyError(error);
    const protocol = request.routeOptions.config.protocol ?? protocolOfUrl(request.url);
    if (failure.status >= 500) request.log.error({ err: error.cause ?? error, code: failure.code }, failure.message);
    else request.log.debug({ code: failure.code }, failure.message);
    return reply.code(failure.status).header('x-sluice-error-code', failure.code).send(errorBody(protocol, failure));
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new SluiceError('ERR_ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).header('x-sluice-error-code', failure.code).send(errorBody(protocolOfUrl(request.url), failure));
  });
}
