/**
 * A backend's configuration turned into its gates and its health prober: the defaults that
 * depend on the dialect or on other keys are settled here, once.
 */
import type { Config } from '../../config/schema.ts';
import { HealthProber } from './health-prober.ts';
import type { ReplicaGates, GateSettings } from './replica-gates.ts';
import type { Replica } from './replica.ts';

export type BackendConfig = Config['backends'][number];

/** The API a backend speaks: OpenAI's (`/v1/...`) or KServe v2's (`/v2/models/...`). */
export type Dialect = BackendConfig['dialect'];

/** A replica left rotation after failed health checks, or came back. */
export interface HealthEvent {
  readonly backend: string;
  readonly replica: string;
  readonly healthy: boolean;
  /** Why its last probe failed, when it went out. */
  readonly detail: string | undefined;
  /** Replicas of the backend still healthy after this change; 0 means every request now gets a 503. */
  readonly healthyReplicas: number;
  readonly replicas: number;
}

/** Where the limit starts when `initial_limit` is not given, moved into [min_limit, max_limit]. */
export const DEFAULT_INITIAL_LIMIT = 32;

const DEFAULT_HEALTH_PATHS: Readonly<Record<Dialect, string>> = {
  openai: '/v1/models',
  'kserve-v2': '/v2/health/ready',
};

export function healthPathOf(config: BackendConfig): string {
  return config.health_check.path ?? DEFAULT_HEALTH_PATHS[config.dialect];
}

export function gateSettingsOf(config: BackendConfig): GateSettings {
  const { health_check: health, retry_after: retryAfter, adaptive_concurrency: concurrency } = config;
  const { min_limit: minLimit, max_limit: maxLimit } = concurrency;
  const initialLimit = concurrency.initial_limit ?? Math.min(maxLimit, Math.max(minLimit, DEFAULT_INITIAL_LIMIT));
  return {
    health: health.enabled
      ? { unhealthyThreshold: health.unhealthy_threshold, healthyThreshold: health.healthy_threshold }
      : undefined,
    retryAfterMaxMs: retryAfter.enabled ? retryAfter.max_ms : undefined,
    concurrency: concurrency.enabled
      ? {
          initialLimit,
          minLimit,
          maxLimit,
          wait: { maxWaitMs: concurrency.wait_ms, maxWaiting: concurrency.max_waiting },
        }
      : undefined,
  };
}

/** The prober of a backend with health checks on (not yet started); undefined when they are off. */
export function healthProberOf(
  config: BackendConfig,
  replicas: readonly Replica[],
  gates: ReplicaGates,
  headers: Record<string, string>,
  onChange: ((event: HealthEvent) => void) | undefined,
): HealthProber | undefined {
  const { enabled, interval_ms: intervalMs, timeout_ms: timeoutMs } = config.health_check;
  if (!enabled) return undefined;
  const path = healthPathOf(config);
  return new HealthProber({
    replicas: replicas.length,
    intervalMs,
    probe: (index, signal) => (replicas[index] as Replica).probe(path, headers, timeoutMs, signal),
    onResult: (index, result) => {
      const change = gates.recordProbe(index, result);
      if (change === undefined || onChange === undefined) return;
      const healthyReplicas = replicas.filter((_, other) => gates.stats(other).health?.healthy !== false).length;
      const replica = (replicas[index] as Replica).host;
      onChange({
        backend: config.name,
        replica,
        healthy: change === 'became-healthy',
        detail: result.detail,
        healthyReplicas,
        replicas: replicas.length,
      });
    },
  });
}

/** How a health change reads in the log: a replica out is a warning, the last one out an error (every request now fails). */
export function healthLogLine(event: HealthEvent): {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
} {
  if (event.healthy) return { level: 'info', message: 'remote replica passed its health checks: back in rotation' };
  if (event.healthyReplicas > 0)
    return { level: 'warn', message: 'remote replica failed its health checks: out of rotation' };
  return {
    level: 'error',
    message: 'every replica of the backend fails its health checks: its requests get 503 ERR_UPSTREAM_NO_REPLICA',
  };
}
