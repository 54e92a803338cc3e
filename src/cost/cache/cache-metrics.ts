/** The caches' counters in /metrics: per model, entries found and not (an item for a local model, an answer for a remote one). */
import { Counter, type Registry } from 'prom-client';

export class CacheMetrics {
  readonly hits: Counter<'model'>;
  readonly misses: Counter<'model'>;
  readonly stores: Counter<'model'>;
  readonly evictions: Counter<'model'>;
  /** Requests answered by another identical request's run, in this process or another. */
  readonly coalesced: Counter<'model'>;
  /** Cache operations that failed (Redis unreachable or slow): the cache was skipped for them. */
  readonly backendErrors: Counter<'operation'>;

  constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, label: L) =>
      new Counter({ name, help, labelNames: [label] as const, registers: [registry] });
    this.hits = counter(
      'sluice_cache_hits_total',
      'Cache entries found (items of local models, answers of remote ones).',
      'model',
    );
    this.misses = counter('sluice_cache_misses_total', 'Cache entries looked up and not found.', 'model');
    this.stores = counter('sluice_cache_stores_total', 'Cache entries written.', 'model');
    this.evictions = counter(
      'sluice_cache_evictions_total',
      'Entries evicted from the in-memory cache to stay within cache.max_bytes.',
      'model',
    );
    this.coalesced = counter(
      'sluice_cache_coalesced_total',
      'Requests that waited for an identical request in flight instead of running the model.',
      'model',
    );
    this.backendErrors = counter(
      'sluice_cache_backend_errors_total',
      'Cache operations that failed, so the cache was skipped for them.',
      'operation',
    );
  }
}
