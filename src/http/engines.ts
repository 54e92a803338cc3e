/**
 * The engines a server runs, built from its configuration: the local models (registry,
 * preprocessing workers, execution slots) with the metrics that read them, the remote
 * backends, and the directory of targets the pipeline resolves every model through.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { LocalTargets } from '../engines/local/local-targets.ts';
import { defaultExecutionSlots, ExecutionSlots } from '../engines/local/models/execution-slots.ts';
import { ModelRegistry } from '../engines/local/models/registry.ts';
import type { ServedModelOptions } from '../engines/local/models/served-model.ts';
import { PreprocessPool } from '../engines/local/preprocess/preprocess-pool.ts';
import { healthLogLine } from '../engines/remote/backend-settings.ts';
import { RemoteMetrics } from '../engines/remote/remote-metrics.ts';
import { RemoteModels } from '../engines/remote/remote-models.ts';
import { RemoteTargets } from '../engines/remote/remote-targets.ts';
import { Metrics } from '../observe/metrics.ts';
import { modelObserver } from '../observe/model-observer.ts';
import { TargetDirectory } from '../pipeline/target-directory.ts';
import { DEFAULT_MODEL_REPOSITORY } from '../config/schema.ts';
import { servedRoutes } from '../cost/routing/route-config.ts';
import { RouteTargets } from '../cost/routing/route-targets.ts';

export const MAX_ITEMS_PER_REQUEST = 2048;

export interface EngineOverrides {
  /** Wraps how model instances open their sessions (tests use it to hold batches). */
  readonly openSession?: ServedModelOptions['openSession'];
  /** Waits between attempts to replace a lost instance (tests shorten them). */
  readonly replaceBackoffMs?: ServedModelOptions['replaceBackoffMs'];
}

export interface Engines {
  readonly models: ModelRegistry;
  readonly metrics: Metrics;
  readonly remote: RemoteModels;
  readonly targets: TargetDirectory;
  close(): Promise<void>;
}

export function createEngines(config: Readonly<Config>, logger: Logger, overrides: EngineOverrides): Engines {
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
  const modelSources = [localTargets, new RemoteTargets(remote, remoteMetrics)];
  // Routes come last: a route's name that is also a model's is refused at start (checkRoutes).
  const routes = new RouteTargets(
    servedRoutes(config.routes, config.models, DEFAULT_MODEL_REPOSITORY),
    new TargetDirectory(modelSources),
  );
  const targets = new TargetDirectory([...modelSources, routes]);
  return {
    models,
    metrics,
    remote,
    targets,
    close: async () => {
      await models.close();
      await preprocessPool.close();
    },
  };
}

/** The local engine: the model registry, its preprocessing workers, and the metrics that read them. */
function localEngine(config: Readonly<Config>, logger: Logger, overrides: EngineOverrides) {
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
