/**
 * `sluice serve`: check the repository (`repository-plan.ts`), listen (liveness answers at
 * once), then build the missing default models in a worker thread (liveness keeps
 * answering), load and warm every model, and only then turn ready.
 */
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createLogger } from '../observe/log.ts';
import { createSluice, type Sluice } from '../http/server.ts';
import type { Logger } from 'pino';
import { buildMissingDefaultModelsInWorker } from '../offline/training/build-models.ts';
import { warmEncoding } from '../engines/remote/tokens/index.ts';
import { planRepository } from './repository-plan.ts';
import { DEFAULT_MODEL_REPOSITORY, isLoopback } from '../config/schema.ts';
import { openConfiguredStore } from './state-store.ts';
import { serveConfig, type ServeOptions } from './serve-config.ts';
import { checkSegmentModels } from '../quality/segments/segment-spec.ts';
import { checkCacheModels } from '../cost/cache/cache-config.ts';
import { servedRoutes } from '../cost/routing/route-config.ts';
import { checkRoutes, modelFinder } from '../cost/routing/route-checks.ts';

export type { ServeOptions } from './serve-config.ts';

export async function serveCommand(options: ServeOptions): Promise<void> {
  const config = readConfig(options);
  const plan = planRepository(config.models, process.cwd(), config.backends.length > 0);
  if (plan.kind === 'refuse') {
    console.error(plan.message);
    process.exit(2);
  }
  const logger = createLogger(config);
  warnIfOpen(config, logger);
  const sluice = createSluice(config, logger, { store: await openState(config, logger) });
  await sluice.openState();
  if (config.auth.enabled && sluice.compliance.tenants.keyCount === 0)
    logger.warn('auth is on and there are no API keys: every request but health is refused (sluice keys create)');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.server.shutdown_grace_ms;
    logger.info({ signal, graceMs }, 'shutting down: readiness off, new requests refused, accepted ones finishing');
    const { unfinished } = await sluice.shutdown(graceMs);
    if (unfinished > 0) logger.warn({ unfinished }, 'grace period over: answered the unfinished requests with 503');
    logger.info('shut down');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  const address = await sluice.app.listen({
    host: config.server.host,
    port: config.server.port,
    backlog: config.server.listen_backlog,
  });
  logger.info({ url: address }, 'listening; loading models');
  await startGrpc(sluice, config, logger);
  try {
    const repository = config.models.repository;
    if (plan.kind === 'build') {
      const seed = config.models.build_seed;
      logger.info({ repository, models: plan.models, seed }, 'building the missing default models (not ready yet)');
      sluice.setStartupStep(`building the default models (${plan.models.join(', ')})`);
      await buildMissingDefaultModelsInWorker(repository, {
        seed,
        models: plan.models,
        log: (line) => logger.info({ repository }, line),
      });
    }
    if (config.backends.some((backend) => backend.dialect === 'openai')) warmEncoding();
    sluice.setStartupStep('loading and warming up the models');
    await sluice.models.loadRepository(repository);
    // Local model names are known only now: a segment naming a model nobody serves is a config mistake.
    const served = new Set([...sluice.models.names(), ...sluice.remote.all().map((model) => model.name)]);
    checkSegmentModels(config.quality.segments, served);
    checkCacheModels(config.cache, served);
    const routes = servedRoutes(config.routes, config.models, DEFAULT_MODEL_REPOSITORY);
    checkRoutes(routes, modelFinder(sluice.targets));
    sluice.setStartupStep(undefined);
    logger.info(
      { models: sluice.models.all().map((model) => `${model.spec.name}:${model.spec.version}`) },
      'all models warmed up; ready',
    );
  } catch (error) {
    logger.fatal({ err: error }, `cannot load models: ${(error as Error).message}`);
    await sluice.close();
    process.exit(1);
  }
}

/** The state store, or a clear end: nothing is served without the keys and the audit log. */
async function openState(config: Readonly<Config>, logger: Logger) {
  try {
    return await openConfiguredStore(config);
  } catch (error) {
    const where = config.database.url === undefined ? `state.directory ${config.state.directory}` : 'database.url';
    logger.fatal({ err: error }, `cannot open the state store (${where}): ${(error as Error).message}`);
    process.exit(1);
  }
}

/** Serving without keys beyond this machine is allowed only when asked for, and said at every start. */
function warnIfOpen(config: Readonly<Config>, logger: Logger): void {
  const { host, allow_unauthenticated } = config.server;
  if (!config.auth.enabled && allow_unauthenticated && !isLoopback(host))
    logger.warn(
      { host },
      'auth is off and server.allow_unauthenticated is true: anyone who can reach this address may call every route, the admin API included',
    );
}

/**
 * gRPC beside HTTP, unless server.grpc_port is 0. A port it cannot bind stops the server,
 * as HTTP's does: a server that silently serves one protocol of two is a surprise later.
 */
async function startGrpc(sluice: Sluice, config: Readonly<Config>, logger: Logger): Promise<void> {
  const { host, grpc_port: port } = config.server;
  if (port === 0) return;
  try {
    logger.info({ listen: `${host}:${await sluice.startGrpc(port)}` }, 'gRPC (Open Inference Protocol) listening');
  } catch (error) {
    logger.fatal({ err: error, port }, `cannot listen for gRPC on ${host}:${port} (server.grpc_port; 0 for none)`);
    await sluice.close();
    process.exit(1);
  }
}

function readConfig(options: ServeOptions): Readonly<Config> {
  try {
    return serveConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
