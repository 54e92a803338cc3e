/**
 * `cache` in the configuration (docs/cost.md): the in-memory bound, how long a flight may
 * hold identical requests, and the models whose answers are cached, each with its TTL,
 * whether its answers are shared across tenants, and whether identical requests coalesce.
 * Model names are checked once the models are known (`checkCacheModels`).
 */
import { z } from 'zod';

export const CacheModelSchema = z.strictObject({
  /** Seconds an answer is served from the cache (at most a week). */
  ttl_s: z.number().positive().max(604_800).default(300),
  /** Answers do not depend on the tenant: one entry serves every tenant. Off: each tenant has its own entries. */
  shared: z.boolean().default(false),
  /** Identical requests in flight at once run once and share the answer. */
  coalesce: z.boolean().default(true),
});

export const CacheSchema = z
  .strictObject({
    /** Bytes the in-process cache holds at most, least recently used evicted first (Redis: its own maxmemory). */
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024),
    /** How long a request in flight makes identical requests in other processes wait before they run their own. */
    flight_hold_ms: z.number().int().min(1).max(600_000).default(30_000),
    /** Keys in Redis start with it; replicas that share answers share it. */
    redis_prefix: z.string().min(1).default('sluice:cache:'),
    /** A Redis command slower than this is a failure: the cache is skipped for that request. */
    redis_timeout_ms: z.number().int().min(1).max(10_000).default(250),
    /** The models whose answers are cached, by name; none by default. */
    models: z.record(z.string().min(1), CacheModelSchema).default({}),
  })
  .prefault({});

export type CacheConfig = z.infer<typeof CacheSchema>;

/** Every cached model is served; else the first key that names one that is not, as `cache.models.<model>`. */
export function checkCacheModels(cache: Pick<CacheConfig, 'models'>, served: ReadonlySet<string>): void {
  const unknown = Object.keys(cache.models).find((model) => !served.has(model));
  if (unknown === undefined) return;
  throw new Error(
    `cache.models.${unknown}: no model "${unknown}" is served (served: ${[...served].sort().join(', ') || 'none'})`,
  );
}
