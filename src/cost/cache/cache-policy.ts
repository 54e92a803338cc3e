/** Which requests a cache may answer or keep, and whose entries they are. */
import type { CacheDirectives, RequestContext } from '../../pipeline/context.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { PreparedCall, Target } from '../../pipeline/target.ts';
import { NO_DIRECTIVES } from './cache-control.ts';
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

/**
 * What a cache stage may work on: a resolved and validated request to a model with a
 * policy in `policies`, that its directives and parameters let a cache answer; else undefined.
 */
export function cacheableCall<Policy>(
  context: RequestContext,
  policies: ReadonlyMap<string, Policy>,
): { target: Target; prepared: PreparedCall; policy: Policy; directives: CacheDirectives } | undefined {
  const { target, prepared } = context;
  if (target === undefined || prepared === undefined) return undefined;
  const policy = policies.get(target.name);
  if (policy === undefined) return undefined;
  const directives = context.cacheDirectives ?? NO_DIRECTIVES;
  if (directives.noStore || uncacheable(context.request, directives) !== undefined) return undefined;
  return { target, prepared, policy, directives };
}
