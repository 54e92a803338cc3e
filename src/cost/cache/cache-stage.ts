/**
 * The pipeline's cache stage (the cache slot, docs/lifecycle.md): for a model in
 * `cache.models`, answers from the cache when it can (route, admit and dispatch are then
 * skipped), and otherwise wraps the prepared call so its run is shared by identical
 * requests and its answer stored. A model not cached costs one map lookup;
 * `Cache-Control: no-store` skips the stage.
 */
import type { RequestContext } from '../../pipeline/context.ts';
import type { PipelineStage } from '../../pipeline/pipeline.ts';
import type { CacheDeps } from './cache-deps.ts';
import { cacheableCall } from './cache-policy.ts';
import { cacheItems } from './item-cache.ts';
import { cacheResponse } from './response-cache.ts';

export class CacheStage implements PipelineStage {
  readonly name = 'cache';

  constructor(private readonly deps: CacheDeps) {}

  async run(context: RequestContext): Promise<void> {
    const call = cacheableCall(context, this.deps.policies);
    if (call === undefined) return;
    const { target, prepared, policy } = call;
    const { items, forItems } = prepared;
    const { description } = target;
    if (items !== undefined && forItems !== undefined && description !== undefined) {
      return cacheItems(context, target, description, { ...prepared, items, forItems }, policy, this.deps);
    }
    // A local model's call without per-item runs (sent whole to a partial-data fallback) is not cached.
    if (items === undefined) return cacheResponse(context, target, prepared, policy, this.deps);
  }
}
