/**
 * The simulator as an HTTP server: OpenAI-compatible endpoints backed by the seeded
 * generator and the continuous-batching scheduler, plus /sim/* to read stats and set
 * faults. Every response carries `x-sluice-simulator: true`.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { RealClock, type Clock } from '../../core/clock.ts';
import { SIM_MODELS, SIM_OWNER } from './catalog.ts';
import { handleEmbeddings } from './embedding-route.ts';
import { FaultInjector, faultsUpdateSchema, type FaultKind, type Faults, type FaultsUpdate } from './faults.ts';
import { handleGeneration, type GenerationContext } from './generation-route.ts';
import { DEFAULT_LATENCY, type LatencyConfig } from './latency-model.ts';
import { parseChatRequest, parseCompletionRequest, parseEmbeddingRequest, SimRequestError } from './requests.ts';
import { errorEnvelope } from './responses.ts';
import { SequenceScheduler, type SchedulerStats } from './scheduler.ts';

export interface SimulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Seeds the generated text, the embeddings and the fault draws (same as `faults.seed`). */
  seed?: number;
  maxNumSeqs?: number;
  maxQueue?: number;
  latency?: Partial<Omit<LatencyConfig, 'slowFactor'>>;
  /** Initial faults; `slow_factor` here is the latency multiplier. */
  faults?: Partial<Faults>;
  clock?: Clock;
}

export interface SimStats extends SchedulerStats {
  max_num_seqs: number;
  max_queue: number;
  faults_injected: Record<FaultKind, number>;
}

export interface Simulator {
  url: string;
  close(): Promise<void>;
  /** Validates and applies a partial update (as POST /sim/faults); returns the faults now in force. */
  setFaults(update: FaultsUpdate): Readonly<Faults>;
  faults(): Readonly<Faults>;
  stats(): SimStats;
}

export const SIMULATOR_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'x-sluice-simulator': 'true' });

export const SIMULATOR_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 9000,
  seed: 1,
  maxNumSeqs: 64,
  maxQueue: 256,
});

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const faults = new FaultInjector({
    ...options.faults,
    seed: options.seed ?? options.faults?.seed ?? SIMULATOR_DEFAULTS.seed,
  });
  const latency: LatencyConfig = { ...DEFAULT_LATENCY, ...options.latency, slowFactor: faults.faults.slow_factor };
  const maxNumSeqs = options.maxNumSeqs ?? SIMULATOR_DEFAULTS.maxNumSeqs;
  const maxQueue = options.maxQueue ?? SIMULATOR_DEFAULTS.maxQueue;
  const scheduler = new SequenceScheduler(options.clock ?? new RealClock(), { maxNumSeqs, maxQueue, latency });
  const setFaults = (update: FaultsUpdate): Readonly<Faults> => {
    const applied = faults.update(faultsUpdateSchema.parse(update));
    scheduler.setLatency({ slowFactor: applied.slow_factor });
    return applied;
  };
  const stats = (): SimStats => ({
    ...scheduler.stats(),
    max_num_seqs: maxNumSeqs,
    max_queue: maxQueue,
    faults_injected: faults.counts(),
  });
  const app = buildApp({ scheduler, faults, headers: SIMULATOR_HEADERS }, setFaults, stats);
  await app.listen({ host: options.host ?? SIMULATOR_DEFAULTS.host, port: options.port ?? SIMULATOR_DEFAULTS.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const host = options.host ?? SIMULATOR_DEFAULTS.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => app.close(),
    setFaults,
    faults: () => faults.faults,
    stats,
  };
}

function buildApp(
  context: GenerationContext,
  setFaults: Simulator['setFaults'],
  stats: () => SimStats,
): FastifyInstance {
  // Hung and streaming connections would hold close() forever; the simulator owes them nothing.
  const app = Fastify({ forceCloseConnections: true });
  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(SIMULATOR_HEADERS);
  });
  app.setErrorHandler((error: FastifyError | SimRequestError, _request, reply) => {
    if (error instanceof SimRequestError)
      return reply
        .code(error.status)
        .send(errorEnvelope(error.message, 'invalid_request_error', error.param, error.code));
    const status = error.statusCode ?? 500;
    const type = status < 500 ? 'invalid_request_error' : 'server_error';
    return reply.code(status).send(errorEnvelope(error.message, type, null, error.code ?? 'internal_error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        errorEnvelope(
          `No route ${request.method} ${request.url} on the simulator.`,
          'invalid_request_error',
          null,
          'not_found',
        ),
      ),
  );
  app.get('/', async () => ({
    name: 'sluice-simulator',
    simulator: true,
    description:
      'A simulated OpenAI-compatible LLM server for tests, demos and benchmarks. Its output is seeded filler text, not a language model.',
    models: SIM_MODELS.map((model) => model.id),
    endpoints: [
      'GET /v1/models',
      'POST /v1/chat/completions',
      'POST /v1/completions',
      'POST /v1/embeddings',
      'GET /sim/stats',
      'GET /sim/faults',
      'POST /sim/faults',
    ],
  }));
  app.get('/v1/models', async () => ({
    object: 'list',
    data: SIM_MODELS.map((model) => ({ id: model.id, object: 'model', created: 0, owned_by: SIM_OWNER })),
  }));
  app.post('/v1/chat/completions', async (request, reply) =>
    handleGeneration(context, parseChatRequest(request.body), request, reply),
  );
  app.post('/v1/completions', async (request, reply) =>
    handleGeneration(context, parseCompletionRequest(request.body), request, reply),
  );
  app.post('/v1/embeddings', async (request, reply) =>
    handleEmbeddings(context.faults, parseEmbeddingRequest(request.body), request, reply),
  );
  app.get('/sim/stats', async () => stats());
  app.get('/sim/faults', async () => context.faults.faults);
  app.post('/sim/faults', async (request, reply) => {
    const parsed = faultsUpdateSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join('.') ?? null;
      return reply
        .code(400)
        .send(
          errorEnvelope(
            `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid faults'}`,
            'invalid_request_error',
            param || null,
            'invalid_request',
          ),
        );
    }
    return setFaults(parsed.data);
  });
  return app;
}
