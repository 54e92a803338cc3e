/**
 * Prometheus metrics, on a registry of the server's own (so several servers can live
 * in one process, as the tests do). Gauges that mirror a stats snapshot are filled
 * at scrape time from the snapshot, never kept in step by hand.
 */
import type { Protocol } from '../pipeline/context.ts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelSpec } from '../engines/local/models/model-spec.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { ServedModel } from '../engines/local/models/served-model.ts';
import type { PreprocessPool } from '../engines/local/preprocess/preprocess-pool.ts';
import type { BatcherStats } from '../engines/local/batching/batcher-stats.ts';
import { RefusalCounts, type RefusalLabels } from './refusal-counts.ts';
import { scrapeTimeCounter, scrapeTimeGauge, type Reading } from './scrape-time-metrics.ts';

/** The wire a request came in on: HTTP's three protocols, or the Open Inference Protocol over gRPC (src/grpc). */

export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export class Metrics {
  readonly registry = new Registry();
  private readonly refusals = new RefusalCounts();
  readonly requests = new Counter({
    name: 'sluice_requests_total',
    help: 'Inference requests by model, version, protocol and HTTP status.',
    labelNames: ['model', 'version', 'protocol', 'status'] as const,
    registers: [this.registry],
    collect: () => this.flushRefusals(),
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
    help: 'Time an item waited in the batch queue before its batch started, by priority level.',
    labelNames: ['model', 'version', 'priority'] as const,
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

  readonly shed = new Counter({
    name: 'sluice_shed_total',
    help: 'Requests refused or shed by load control, by reason (overloaded, queue_full, predicted_miss, deadline) and tenant.',
    labelNames: ['model', 'version', 'reason', 'tenant'] as const,
    registers: [this.registry],
    collect: () => this.flushRefusals(),
  });
  readonly instancesLost = new Counter({
    name: 'sluice_model_instances_lost_total',
    help: 'Model instances whose session died on its own (a worker thread crashed); each is replaced while the model is ready.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly scaleDecisions = new Counter({
    name: 'sluice_autoscaler_decisions_total',
    help: 'Instance count changes made by the autoscaler (the reason is logged).',
    labelNames: ['model', 'version', 'direction'] as const,
    registers: [this.registry],
  });

  constructor(models: ModelRegistry) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    this.registerSnapshotGauges(models);
  }

  /**
   * Counts one inference request with its final HTTP status. A name that did not resolve
   * comes from the client, so it is never a label value (unbounded cardinality).
   */
  recordRequest(
    protocol: Protocol,
    status: number,
    seconds: number,
    model: Pick<ModelSpec, 'name' | 'version'> | undefined,
  ): void {
    const labels = { model: model?.name ?? '_unresolved', version: model?.version ?? '', protocol };
    this.requests.inc({ ...labels, status: String(status) });
    if (status < 400) this.requestDuration.observe(labels, seconds);
  }

  /**
   * One request refused by the HTTP admission gate (429, reason "overloaded"): counted in
   * `sluice_requests_total` and `sluice_shed_total` when they are next collected.
   */
  countAdmissionRefusal(labels: RefusalLabels): void {
    this.refusals.add(labels);
  }

  /** Whichever of the two counters is collected first brings both up to date. */
  private flushRefusals(): void {
    for (const { labels, count } of this.refusals.drain()) {
      const { protocol, model, version, tenant } = labels;
      this.requests.inc({ model, version, protocol, status: '429' }, count);
      this.shed.inc({ model, version, reason: 'overloaded', tenant }, count);
    }
  }

  /** Exports the preprocessing pool's work (what ran off the main thread). */
  watchPreprocessPool(pool: PreprocessPool): void {
    scrapeTimeGauge(this.registry, {
      name: 'sluice_preprocess_pool_tasks',
      help: 'Preprocessing tasks run off the main thread: completed, failed, queued, busy.',
      labelNames: ['state'],
      read: () => {
        const stats = pool.stats();
        return (['completed', 'failed', 'queued', 'busy'] as const).map((state) => [{ state }, stats[state]] as const);
      },
    });
  }

  /** Exports the HTTP admission gate's adaptive limit, the inference requests it has let in, and which guard refused how many. */
  watchAdmission(gate: {
    stats(): {
      readonly limit: number;
      readonly inflight: number;
      readonly refused: Readonly<Record<string, number>>;
      readonly tenants: Readonly<Record<string, { readonly inflight: number; readonly share: number }>>;
    };
  }): void {
    scrapeTimeGauge(this.registry, {
      name: 'sluice_admission_limit',
      help: 'Inference requests the server admits at once (adaptive); more are refused with 429 before their body is read.',
      read: () => [[{}, gate.stats().limit]],
    });
    scrapeTimeGauge(this.registry, {
      name: 'sluice_admission_inflight',
      help: 'Inference requests admitted by the HTTP admission gate and not yet answered.',
      read: () => [[{}, gate.stats().inflight]],
    });
    scrapeTimeGauge(this.registry, {
      name: 'sluice_admission_tenant_inflight',
      help: 'Inference requests admitted by the HTTP admission gate and not yet answered, by tenant.',
      labelNames: ['tenant'],
      read: () => Object.entries(gate.stats().tenants).map(([tenant, { inflight }]) => [{ tenant }, inflight] as const),
    });
    scrapeTimeGauge(this.registry, {
      name: 'sluice_admission_tenant_share',
      help: 'The part of the admission limit a heavy tenant may hold while other tenants are active, by its weight (0: the tenant is not active); light tenants, sending far less than the others, may take any free permit.',
      labelNames: ['tenant'],
      read: () => Object.entries(gate.stats().tenants).map(([tenant, { share }]) => [{ tenant }, share] as const),
    });
    scrapeTimeCounter(this.registry, {
      name: 'sluice_admission_refused_total',
      help: 'Inference requests the HTTP admission gate refused (counted in sluice_shed_total as "overloaded"), by guard: concurrency limit or event loop lag.',
      labelNames: ['guard'],
      read: () => Object.entries(gate.stats().refused).map(([guard, refused]) => [{ guard }, refused] as const),
    });
  }

  private registerSnapshotGauges(models: ModelRegistry): void {
    const perModel = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      read: (model: ServedModel, labels: ModelLabels) => Iterable<Reading<L | keyof ModelLabels>>,
    ) =>
      scrapeTimeGauge<L | keyof ModelLabels>(this.registry, {
        name,
        help,
        labelNames: ['model', 'version', ...labelNames],
        read: () =>
          models.all().flatMap((model) => [...read(model, { model: model.spec.name, version: model.spec.version })]),
      });
    const whenServing = (model: ServedModel, value: (stats: BatcherStats) => number) => {
      const stats = model.stats();
      return stats === undefined ? [] : [value(stats)];
    };
    perModel(
      'sluice_queue_depth',
      'Items waiting in the batch queue, by priority level.',
      ['priority'],
      (model, labels) =>
        Object.entries(model.stats()?.queuedByPriority ?? {}).map(
          ([priority, queued]) => [{ ...labels, priority }, queued] as const,
        ),
    );
    perModel('sluice_running_batches', 'Batches executing right now.', [], (model, labels) =>
      whenServing(model, (stats) => stats.running).map((value) => [labels, value] as const),
    );
    perModel(
      'sluice_concurrency_limit',
      'Concurrent batches allowed now (adaptive limit capped by ready instances).',
      [],
      (model, labels) => whenServing(model, (stats) => stats.slots).map((value) => [labels, value] as const),
    );
    perModel('sluice_instances', 'Model instances (ONNX Runtime sessions) by state.', ['state'], (model, labels) => {
      const instances = model.loadStats()?.instances;
      return instances === undefined
        ? []
        : (['ready', 'starting', 'draining'] as const).map(
            (state) => [{ ...labels, state }, instances[state]] as const,
          );
    });
    perModel('sluice_model_ready', '1 when the model version is warmed up and serving.', [], (model, labels) => [
      [labels, model.ready ? 1 : 0],
    ]);
  }
}

interface ModelLabels {
  readonly model: string;
  readonly version: string;
}
