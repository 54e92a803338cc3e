/**
 * The caches of a server, from its configuration: in this process's memory, or in Redis
 * when `state.redis_url` is set (then every replica on that Redis shares answers and
 * flights). Either way behind ResilientCacheStore, so a failing Redis only skips caching.
 * The semantic cache's stage follows the response cache's, when a model declares one.
 */
import type { Registry } from 'prom-client';
import type { CacheConfig } from './cache-config.ts';
import { CacheMetrics } from './cache-metrics.ts';
import type { ModelCachePolicy } from './cache-policy.ts';
import { CacheStage } from './cache-stage.ts';
import type { CacheStore } from './cache-store.ts';
import { Coalescer } from './coalescer.ts';
import { MemoryCacheStore } from './memory-cache-store.ts';
import { RedisCacheStore } from './redis-cache-store.ts';
import { OutageGuard, ResilientCacheStore, type OutageLog } from './resilient-cache-store.ts';
import { createSemanticStage, type EmbeddingModels } from './semantic/semantic-setup.ts';
import type { PipelineStage } from '../../pipeline/pipeline.ts';

export interface Caches {
  /** The response cache's stage, then the semantic cache's when a model has one. */
  readonly stages: readonly PipelineStage[];
  readonly metrics: CacheMetrics;
  /** Waits (a bounded time) for Redis to connect; a Redis still down then is skipped, not fatal. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Undefined when no model is cached: the cache slot stays empty. */
export function createCaches(
  cache: CacheConfig,
  redisUrl: string | undefined,
  registry: Registry,
  log: OutageLog,
  embedding: EmbeddingModels,
): Caches | undefined {
  const models = Object.entries(cache.models);
  if (models.length === 0) return undefined;
  const metrics = new CacheMetrics(registry);
  const redis =
    redisUrl === undefined
      ? undefined
      : new RedisCacheStore({
          url: redisUrl,
          prefix: cache.redis_prefix,
          commandTimeoutMs: cache.redis_timeout_ms,
          onError: () => {}, // counted and logged once per outage where commands fail (ResilientCacheStore)
        });
  const inner: CacheStore =
    redis ?? new MemoryCacheStore({ maxBytes: cache.max_bytes, onEvict: (model) => metrics.evictions.inc({ model }) });
  const guard = new OutageGuard((operation) => metrics.backendErrors.inc({ operation }), log);
  const store = new ResilientCacheStore(inner, guard);
  const policies = new Map<string, ModelCachePolicy>(
    models.map(([name, model]) => [
      name,
      { ttlMs: model.ttl_s * 1000, shared: model.shared, coalesce: model.coalesce },
    ]),
  );
  const coalescer = new Coalescer(store, metrics, cache.flight_hold_ms);
  const semantic = createSemanticStage({ cache, redisUrl, registry, log, guard, embedding });
  return {
    stages: [
      new CacheStage({ store, coalescer, metrics, policies }),
      ...(semantic === undefined ? [] : [semantic.stage]),
    ],
    metrics,
    start: async () => {
      const connected = await Promise.all([redis?.connected(2_000) ?? true, semantic?.connected(2_000) ?? true]);
      if (connected.includes(false))
        log.warn({}, 'cache: Redis not reachable at start; requests skip the cache until it is');
    },
    close: async () => {
      await store.close();
      await semantic?.close();
    },
  };
}
