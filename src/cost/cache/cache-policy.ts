/** Which requests a cache may answer or keep, and whose entries they are. */
import type { CacheDirectives, RequestContext } from '../../pipeline/context.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { Target } from '../../pipeline/target.ts';
import type { KeyScope } from './cache-key.ts';

export interface ModelCachePolicy {
  readonly ttlMs: number;
  readonly shared: boolean;
  readonly coalesce: boolean;
}

/** Routes of answers no model ran for the request: reused from a cache, or from an identical request's run. */
export const REUSED_ROUTES: ReadonlySet<string> = new Set(['cache-hit', 'coalesced', 'semantic-hit']);

/**
 * Why a request's answer may not be cached, or undefined when it may. A stream is never
 * cached (its events are not replayed); a chat or completion samples unless it asks for
 * `temperature: 0`, so its answer is reused only then or when the caller allows it.
 */
export function uncacheable(request: InferenceRequest, directives: CacheDirectives): string | undefined {
  if (request.stream) return 'stream';
  const generates = request.operation === 'chat' || request.operation === 'complete';
  if (generates && request.document['temperature'] !== 0 && !directives.allowSampled) return 'sampled';
  return undefined;
}

/** A model not declared shared keeps each tenant's entries apart: its answers may differ by tenant. */
export function scopeOf(context: RequestContext, target: Target, policy: ModelCachePolicy): KeyScope {
  return { model: target.name, version: target.version, tenant: policy.shared ? undefined : context.tenant.name };
}
