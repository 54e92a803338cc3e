/**
 * The semantic cache of a server, from `cache.models.<model>.semantic`: its index in this
 * process's memory, or in Redis with `state.redis_url` (replicas share hits), behind the
 * response cache's outage guard; prompts embedded through the server's own targets.
 */
import type { Registry } from 'prom-client';
import type { Target } from '../../../pipeline/target.ts';
import type { CacheConfig } from '../cache-config.ts';
import { OutageGuard, type OutageLog } from '../resilient-cache-store.ts';
import { Embedder } from './embedder.ts';
import { MemorySemanticIndex } from './memory-semantic-index.ts';
import { RedisSemanticIndex } from './redis-semantic-index.ts';
import { ResilientSemanticIndex } from './resilient-semantic-index.ts';
import { SemanticCacheMetrics } from './semantic-metrics.ts';
import { SemanticCacheStage, type SemanticPolicy } from './semantic-stage.ts';

/** How the server's models are asked for embeddings. */
export interface EmbeddingModels {
  /** The newest version of a model by name (TargetDirectory.resolve). */
  readonly resolve: (name: string) => Target;
  /** `load_control.enabled`: tickets with deadlines and priorities, as the pipeline makes them. */
  readonly loadControl: boolean;
}

export interface SemanticSetup {
  readonly cache: CacheConfig;
  readonly redisUrl: string | undefined;
  readonly registry: Registry;
  readonly log: OutageLog;
  /** The response cache's: one Redis, one outage. */
  readonly guard: OutageGuard;
  readonly embedding: EmbeddingModels;
}

export interface SemanticCache {
  readonly stage: SemanticCacheStage;
  connected(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Undefined when no model declares a semantic cache. */
export function createSemanticStage(setup: SemanticSetup): SemanticCache | undefined {
  const policies = semanticPolicies(setup.cache);
  if (policies.size === 0) return undefined;
  const { redisUrl, cache, log } = setup;
  const metrics = new SemanticCacheMetrics(setup.registry);
  const redis =
    redisUrl === undefined
      ? undefined
      : new RedisSemanticIndex({
          url: redisUrl,
          prefix: cache.redis_prefix,
          commandTimeoutMs: cache.redis_timeout_ms,
          onError: () => {}, // counted and logged once per outage where commands fail (the guard)
        });
  const index = new ResilientSemanticIndex(redis ?? new MemorySemanticIndex(), setup.guard);
  const embeddingGuard = new OutageGuard(
    (model) => metrics.embeddingErrors.inc({ model }),
    log,
    'semantic cache: the embedding model',
  );
  const embedder = new Embedder(setup.embedding.resolve, setup.embedding.loadControl);
  return {
    stage: new SemanticCacheStage({ index, embedder, embeddingGuard, metrics, policies }),
    connected: (timeoutMs) => redis?.connected(timeoutMs) ?? Promise.resolve(true),
    close: () => index.close(),
  };
}

function semanticPolicies(cache: CacheConfig): Map<string, SemanticPolicy> {
  const policies = new Map<string, SemanticPolicy>();
  for (const [name, model] of Object.entries(cache.models)) {
    const { semantic } = model;
    if (semantic === undefined) continue;
    policies.set(name, {
      embeddingModel: semantic.embedding_model,
      minSimilarity: semantic.min_similarity,
      maxPromptChars: semantic.max_prompt_chars,
      maxEntries: semantic.max_entries,
      ttlMs: (semantic.ttl_s ?? model.ttl_s) * 1000,
    });
  }
  return policies;
}
