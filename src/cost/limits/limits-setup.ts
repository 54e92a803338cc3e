/**
 * Rate limits and budgets of a server, from its configuration: the limits of each tenant
 * and key declared in the file, counted in this process's memory, or in Redis when
 * `state.redis_url` is set (then every replica on that Redis enforces one limit).
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../config/schema.ts';
import type { PipelineSlots, PipelineStage } from '../../pipeline/pipeline.ts';
import { EMPTY_SLOTS } from '../../pipeline/pipeline.ts';
import type { Caller } from '../../tenancy/tenant-directory.ts';
import type { OutageLog } from '../cache/resilient-cache-store.ts';
import { pricesOf } from '../ledger/ledger-setup.ts';
import type { LimitScope } from './limit-plan.ts';
import type { LimitStore } from './limit-store.ts';
import { limitMetrics } from './limits-metrics.ts';
import { limitsStages } from './limits-stage.ts';
import { MemoryLimitStore } from './memory-limit-store.ts';
import { RedisLimitStore } from './redis-limit-store.ts';
import { ResilientLimitStore } from './resilient-limit-store.ts';

export interface Limits {
  readonly reserve: PipelineStage;
  readonly settle: PipelineStage;
  /**
   * Readiness while the shared store is unreachable (undefined while it answers): not ready
   * when a limit is fail_closed, else ready, with the reason that limits are counted apart.
   */
  health(): { ready: boolean; reason: string } | undefined;
  /** Waits (a bounded time) for Redis to connect; a Redis still down then follows on_store_failure, not fatal. */
  start(): Promise<void>;
  close(): Promise<void>;
}

type LimitsDeps = Readonly<Pick<Config, 'tenants' | 'limits' | 'backends' | 'state'>>;

/** Undefined when no tenant or key declares limits: the limits slot stays empty. */
export function createLimits(
  config: LimitsDeps,
  registry: Registry,
  log: OutageLog,
  now = Date.now,
): Limits | undefined {
  const { tenantScopes, keyScopes } = scopesIn(config.tenants);
  if (tenantScopes.size === 0 && keyScopes.size === 0) return undefined;
  const metrics = limitMetrics(registry);
  const { redis_url: url } = config.state;
  const redis =
    url === undefined
      ? undefined
      : new RedisLimitStore({
          url,
          prefix: config.limits.redis_prefix,
          commandTimeoutMs: config.limits.redis_timeout_ms,
          onError: () => {}, // counted and logged once per outage where scripts fail (ResilientLimitStore)
        });
  const shared: LimitStore = redis ?? new MemoryLimitStore(now);
  const store = new ResilientLimitStore(shared, {
    onFailure: (operation) => metrics.storeErrors.inc({ operation }),
    onLocal: () => metrics.localReservations.inc(),
    log,
  });
  const failClosed = [...tenantScopes.values(), ...keyScopes.values()].some(
    (scope) => scope.limits.on_store_failure === 'fail_closed',
  );
  const scopesOf = (caller: Caller): LimitScope[] => {
    const tenant = tenantScopes.get(caller.tenant.name);
    const key = caller.key === null ? undefined : keyScopes.get(caller.key.id);
    return tenant === undefined ? (key === undefined ? [] : [key]) : key === undefined ? [tenant] : [tenant, key];
  };
  const stages = limitsStages({
    scopesOf,
    store,
    settings: config.limits,
    prices: pricesOf(config.backends),
    metrics,
    log,
    now,
  });
  return {
    ...stages,
    health: () => {
      if (!store.unavailable()) return undefined;
      return failClosed
        ? { ready: false, reason: 'limits store (Redis) unreachable and a limit is fail_closed' }
        : { ready: true, reason: 'limits store (Redis) unreachable; fail_open limits counted in each process alone' };
    },
    start: async () => {
      if (redis !== undefined && !(await redis.connected(2_000)))
        log.warn({}, 'limits: Redis not reachable at start; limits follow on_store_failure until it is');
    },
    close: () => store.close(),
  };
}

function scopesIn(tenants: Config['tenants']) {
  const tenantScopes = new Map<string, LimitScope>();
  const keyScopes = new Map<string, LimitScope>();
  for (const tenant of tenants) {
    if (tenant.limits !== undefined)
      tenantScopes.set(tenant.name, { kind: 'tenant', id: tenant.name, limits: tenant.limits });
    for (const key of tenant.keys)
      if (key.limits !== undefined) keyScopes.set(key.id, { kind: 'key', id: key.id, limits: key.limits });
  }
  return { tenantScopes, keyScopes };
}

/** The reserve stage in the limits slot; the settle stage first in the observe slot (before any stage may fail). */
export function withLimits(slots: PipelineSlots | undefined, limits: Limits | undefined): PipelineSlots | undefined {
  if (limits === undefined) return slots;
  const base = slots ?? EMPTY_SLOTS;
  return { ...base, limits: [...(base.limits ?? []), limits.reserve], observe: [limits.settle, ...base.observe] };
}
