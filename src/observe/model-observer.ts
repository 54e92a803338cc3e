/** A local model's events (batches, sheds, scaling, lost instances) as metrics and log lines. */
import type { Logger } from 'pino';
import type { ModelSpec } from '../engines/local/models/model-spec.ts';
import type { ModelObserver } from '../engines/local/models/served-model.ts';
import type { Metrics } from './metrics.ts';

/** `metrics` is read at each event: the metrics are created after the registry they read. */
export function modelObserver(metrics: () => Metrics | undefined, logger: Logger): ModelObserver {
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
