/** What the cache stages share: the store (memory or Redis), the coalescer, the counters and each cached model's policy. */
import type { CacheMetrics } from './cache-metrics.ts';
import type { ModelCachePolicy } from './cache-policy.ts';
import type { CacheStore } from './cache-store.ts';
import type { Coalescer } from './coalescer.ts';

export interface CacheDeps {
  readonly store: CacheStore;
  readonly coalescer: Coalescer;
  readonly metrics: CacheMetrics;
  readonly policies: ReadonlyMap<string, ModelCachePolicy>;
}
