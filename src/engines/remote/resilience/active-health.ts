/**
 * Active health of each replica, from the probes a timer sends (Envoy's health checker,
 * Kubernetes' readiness probe). The decision is kept apart from the loop that probes:
 *
 *   healthy ──(unhealthyThreshold failed probes in a row)──▶ unhealthy
 *   unhealthy ──(healthyThreshold passed probes in a row)──▶ healthy
 *
 * Replicas start healthy: a sluice that starts must not refuse traffic until the first
 * round of probes is back, and passive ejection covers a replica that is down from the
 * start. Thresholds above one keep one lost probe (a GC pause, a dropped packet) from
 * taking a replica out, and one lucky probe from bringing a broken one back.
 *
 * This is one half of "may this replica be picked"; passive ejection and the breaker
 * (`ResilientBalancer`) are the other, and a replica must pass both.
 */
import type { NowSource } from '../../../core/clock.ts';

export interface ActiveHealthOptions {
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
}

/** What one probe found; `detail` says why it failed ("answered 500", "timed out after 2000 ms"). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail?: string;
}

export type HealthChange = 'became-unhealthy' | 'became-healthy';

export interface ReplicaHealthStats {
  readonly healthy: boolean;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  readonly probes: number;
  readonly failedProbes: number;
  /** Why the last failed probe failed, while the replica has not passed one since. */
  readonly lastFailure: string | undefined;
  /** Times it went out of rotation. */
  readonly timesUnhealthy: number;
  /** When it last changed state, on the clock's scale; undefined if it never did. */
  readonly changedAtMs: number | undefined;
}

interface ReplicaRecord {
  healthy: boolean;
  failures: number;
  successes: number;
  probes: number;
  failedProbes: number;
  lastFailure: string | undefined;
  timesUnhealthy: number;
  changedAtMs: number | undefined;
}

export class ActiveHealth {
  private readonly replicas: ReplicaRecord[];

  constructor(
    replicaCount: number,
    private readonly clock: NowSource,
    private readonly options: ActiveHealthOptions,
  ) {
    const { unhealthyThreshold, healthyThreshold } = options;
    if (
      !(replicaCount >= 1) ||
      !Number.isInteger(unhealthyThreshold) ||
      unhealthyThreshold < 1 ||
      !Number.isInteger(healthyThreshold) ||
      healthyThreshold < 1
    ) {
      throw new RangeError('ActiveHealth needs replicas >= 1 and integer thresholds >= 1');
    }
    this.replicas = Array.from({ length: replicaCount }, () => ({
      healthy: true,
      failures: 0,
      successes: 0,
      probes: 0,
      failedProbes: 0,
      lastFailure: undefined,
      timesUnhealthy: 0,
      changedAtMs: undefined,
    }));
  }

  isHealthy(index: number): boolean {
    return this.replicas[index]?.healthy ?? false;
  }

  /** Takes one probe's result; says when the replica changed state because of it. */
  record(index: number, result: ProbeResult): HealthChange | undefined {
    const replica = this.replicas[index];
    if (replica === undefined) return undefined;
    replica.probes += 1;
    if (result.ok) {
      replica.failures = 0;
      replica.successes += 1;
      replica.lastFailure = undefined;
      if (replica.healthy || replica.successes < this.options.healthyThreshold) return undefined;
      return this.change(replica, true);
    }
    replica.successes = 0;
    replica.failures += 1;
    replica.failedProbes += 1;
    replica.lastFailure = result.detail ?? 'failed';
    if (!replica.healthy || replica.failures < this.options.unhealthyThreshold) return undefined;
    replica.timesUnhealthy += 1;
    return this.change(replica, false);
  }

  stats(index: number): ReplicaHealthStats | undefined {
    const replica = this.replicas[index];
    if (replica === undefined) return undefined;
    return {
      healthy: replica.healthy,
      consecutiveFailures: replica.failures,
      consecutiveSuccesses: replica.successes,
      probes: replica.probes,
      failedProbes: replica.failedProbes,
      lastFailure: replica.lastFailure,
      timesUnhealthy: replica.timesUnhealthy,
      changedAtMs: replica.changedAtMs,
    };
  }

  private change(replica: ReplicaRecord, healthy: boolean): HealthChange {
    replica.healthy = healthy;
    replica.changedAtMs = this.clock.now();
    return healthy ? 'became-healthy' : 'became-unhealthy';
  }
}
