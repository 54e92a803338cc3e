/**
 * Prometheus metrics, on a registry of the server's own (so several servers can live
 * in one process, as the tests do). Gauges that mirror a stats snapshot are filled
 * at scrape time from the snapshot, never kept in step by hand.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelSpec } from '../models/model-spec.ts';
import type { ModelRegistry } from '../models/registry.ts';

export type Protocol = 'openai' | 'kserve-v1' | 'kserve-v2';

const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'sluice_requests_total',
    help: 'Inference requests by model, version, protocol and HTTP status.',
    labelNames: ['model', 'version', 'protocol', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'sluice_request_duration_seconds',
    help: 'Total time of an inference request, from arrival to response.',
    labelNames: ['model', 'version', 'protocol'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly queueDuration = new Histogram({
    name: 'sluice_queue_duration_seconds',
    help: 'Time an item waited in the batch queue before its batch started.',
    labelNames: ['model', 'version'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly inferenceDuration = new Histogram({
    name: 'sluice_inference_duration_seconds',
    help: 'Time one batch spent executing in the model.',
    labelNames: ['model', 'version'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'sluice_batch_size',
    help: 'Items per executed batch.',
    labelNames: ['model', 'version'] as const,
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'sluice_inflight_requests',
    help: 'Requests being handled right now.',
    labelNames: ['model', 'version', 'protocol'] as const,
    registers: [this.registry],
  });

  constructor(models: ModelRegistry) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_process_' });
    this.registerSnapshotGauges(models);
  }

  /**
   * Counts one inference request with its final HTTP status. A name that did not resolve
   * comes from the client, so it is never a label value (unbounded cardinality).
   */
  recordRequest(protocol: Protocol, status: number, seconds: number, model: ModelSpec | undefined): void {
    const labels = { model: model?.name ?? '_unresolved', version: model?.version ?? '', protocol };
    this.requests.inc({ ...labels, status: String(status) });
    if (status < 400) this.requestDuration.observe(labels, seconds);
  }

  private registerSnapshotGauges(models: ModelRegistry): void {
    new Gauge({
      name: 'sluice_queue_depth',
      help: 'Items waiting in the batch queue.',
      labelNames: ['model', 'version'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const model of models.all()) {
          const stats = model.stats();
          if (stats !== undefined) this.set({ model: model.spec.name, version: model.spec.version }, stats.queued);
        }
      },
    });
    new Gauge({
      name: 'sluice_running_batches',
      help: 'Batches executing right now.',
      labelNames: ['model', 'version'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const model of models.all()) {
          const stats = model.stats();
          if (stats !== undefined) this.set({ model: model.spec.name, version: model.spec.version }, stats.running);
        }
      },
    });
    new Gauge({
      name: 'sluice_model_ready',
      help: '1 when the model version is warmed up and serving.',
      labelNames: ['model', 'version'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const model of models.all()) this.set({ model: model.spec.name, version: model.spec.version }, model.ready ? 1 : 0);
      },
    });
  }
}
