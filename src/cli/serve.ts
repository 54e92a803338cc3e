/**
 * `sluice serve`: listen first (liveness answers at once), then build the default
 * models if they are missing, load and warm every model, and only then turn ready.
 */
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createLogger } from '../observe/log.ts';
import { createSluice } from '../http/server.ts';
import { buildDefaultModels, defaultModelsPresent } from '../offline/training/build-models.ts';
import { warmEncoding } from '../engines/remote/tokens/index.ts';

export interface ServeOptions {
  config?: string;
  port?: number;
  models?: string;
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  const config = readConfig(options);
  const logger = createLogger(config);
  const sluice = createSluice(config, logger);
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
  logger.info({ address }, 'listening; loading models');
  try {
    const repository = config.models.repository;
    if (config.models.build_defaults && !defaultModelsPresent(repository)) {
      logger.info({ repository, seed: config.models.build_seed }, 'building the embedded default models');
      await buildDefaultModels(repository, { seed: config.models.build_seed, log: (line) => logger.info(line) });
    }
    if (config.backends.some((backend) => backend.dialect === 'openai')) warmEncoding();
    await sluice.models.loadRepository(repository);
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

function readConfig(options: ServeOptions): Readonly<Config> {
  const overrides: Record<string, Record<string, unknown>> = {};
  if (options.port !== undefined) overrides['server'] = { port: options.port };
  if (options.models !== undefined) overrides['models'] = { repository: options.models };
  try {
    return loadConfig({ ...(options.config === undefined ? {} : { file: options.config }), overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
