/**
 * Per-model statistics in the shape of Triton's statistics extension (batch counts per
 * size), with sluice's load control beside them: queues per priority level, sheds by
 * reason and tenant, concurrency limit, instances and the autoscaler's last decision.
 */
import { snakeCaseKeys } from '../../core/snake-case.ts';
import type { ServedModel } from './models/served-model.ts';

export function modelStatistics(model: ServedModel): Readonly<Record<string, unknown>> {
  const load = model.loadStats();
  const stats = load?.batcher;
  return {
    name: model.spec.name,
    version: model.spec.version,
    state: model.state,
    inference_count: stats?.executedItems ?? 0,
    execution_count: stats?.executedBatches ?? 0,
    failed_batches: stats?.failedBatches ?? 0,
    batch_stats: Object.entries(stats?.batchCountsBySize ?? {})
      .map(([size, count]) => ({ batch_size: Number(size), count }))
      .sort((a, b) => a.batch_size - b.batch_size),
    queue: {
      queued: stats?.queued ?? 0,
      running_batches: stats?.running ?? 0,
      by_priority: Object.entries(stats?.queuedByPriority ?? {}).map(([priority, queued]) => {
        const wait = stats?.queueWaitByPriority[Number(priority)];
        return {
          priority: Number(priority),
          queued,
          dequeued: wait?.count ?? 0,
          mean_wait_ms: wait === undefined || wait.count === 0 ? 0 : wait.sumMs / wait.count,
        };
      }),
      by_tenant: stats?.queuedByTenant ?? {},
    },
    shed: {
      ...(stats?.shed ?? { queue_full: 0, predicted_miss: 0, deadline: 0 }),
      by_tenant: stats?.shedByTenant ?? {},
    },
    service: snakeCaseKeys(stats?.serviceModel),
    concurrency: { limit: stats?.slots ?? 0, adaptive: snakeCaseKeys(load?.concurrency) },
    instances: snakeCaseKeys(load?.instances),
    autoscaler: snakeCaseKeys(load?.autoscaler),
  };
}
