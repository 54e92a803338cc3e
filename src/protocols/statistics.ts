/** Per-model statistics in the shape of Triton's statistics extension (batch counts per size). */
import type { ServedModel } from '../models/served-model.ts';

export function modelStatistics(model: ServedModel) {
  const stats = model.stats();
  return {
    name: model.spec.name,
    version: model.spec.version,
    state: model.state,
    inference_count: stats?.executedItems ?? 0,
    execution_count: stats?.executedBatches ?? 0,
    failed_batches: stats?.failedBatches ?? 0,
    queue: { queued: stats?.queued ?? 0, running_batches: stats?.running ?? 0, slots: stats?.slots ?? 0 },
    batch_stats: Object.entries(stats?.batchCountsBySize ?? {})
      .map(([size, count]) => ({ batch_size: Number(size), count }))
      .sort((a, b) => a.batch_size - b.batch_size),
  };
}
