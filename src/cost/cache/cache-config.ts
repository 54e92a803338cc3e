/**
 * `cache` in the configuration (docs/cost.md): the in-memory bound, how long a flight may
 * hold identical requests, and the models whose answers are cached, each with its TTL,
 * whether its answers are shared across tenants, whether identical requests coalesce, and
 * (remote chat models) a semantic cache. Model names are checked once the models are known
 * (`checkCacheModels`).
 */
import { z } from 'zod';

/**
 * A chat whose prompt is close enough to an earlier one (cosine similarity of their
 * embeddings) gets that one's answer. The default threshold is the one measured by
 * `sluice eval --semantic-cache` on the project's labelled pairs (docs/cost.md).
 */
export const SemanticCacheSchema = z.strictObject({
  /** A local text-embedding model, or a remote OpenAI-compatible embeddings model, by its sluice name. */
  embedding_model: z.string().min(1).default('embed'),
  /** Cosine similarity a stored prompt needs to answer (1: the same direction only). */
  min_similarity: z.number().min(-1).max(1).default(0.99),
  /**
   * Longer prompts are not looked up nor stored: an embedding model that reads only the
   * beginning of a text (`embed`: its first 256 hashed features, some 170 characters at
   * worst) would make two long prompts that start alike identical. Raise it for a model
   * that reads whole prompts.
   */
  max_prompt_chars: z.number().int().min(1).default(160),
  /** Prompts kept per tenant and model, the oldest dropped first; each lookup compares against all of them. */
  max_entries: z.number().int().min(1).max(100_000).default(1000),
  /** Seconds a prompt answers others; absent: the model's ttl_s. */
  ttl_s: z.number().positive().max(604_800).optional(),
});

export const CacheModelSchema = z.strictObject({
  /** Seconds an answer is served from the cache (at most a week). */
  ttl_s: z.number().positive().max(604_800).default(300),
  /** Answers do not depend on the tenant: one entry serves every tenant. Off: each tenant has its own entries. */
  shared: z.boolean().default(false),
  /** Identical requests in flight at once run once and share the answer. */
  coalesce: z.boolean().default(true),
  /** Chat completions answered from a similar earlier prompt of the same tenant; absent: off. */
  semantic: SemanticCacheSchema.optional(),
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

/**
 * Every cached model, and every semantic cache's embedding model, is served; else the
 * first key that names one that is not (`cache.models.<model>`, `...semantic.embedding_model`).
 */
export function checkCacheModels(cache: Pick<CacheConfig, 'models'>, served: ReadonlySet<string>): void {
  const named = Object.entries(cache.models).flatMap(([model, settings]) => [
    { key: `cache.models.${model}`, model },
    ...(settings.semantic === undefined
      ? []
      : [{ key: `cache.models.${model}.semantic.embedding_model`, model: settings.semantic.embedding_model }]),
  ]);
  const unknown = named.find(({ model }) => !served.has(model));
  if (unknown === undefined) return;
  throw new Error(
    `${unknown.key}: no model "${unknown.model}" is served (served: ${[...served].sort().join(', ') || 'none'})`,
  );
}
