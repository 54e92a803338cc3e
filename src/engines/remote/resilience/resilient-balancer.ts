/**
 * The balancer a remote backend uses: P2C over Peak-EWMA among the replicas that neither
 * outlier ejection nor their circuit breaker keeps out. Every outcome feeds all three:
 * the latency into Peak-EWMA, ok/failed into the ejection count and the breaker.
 *
 * Ejection and the breaker overlap on purpose: ejection is the cluster-wide view (bounded by
 * `maxEjectionPercent`, so it never empties the pool), the breaker the per-replica one that
 * probes its way back one request at a time.
 */
import type { AttemptOutcome, Balancer, ReplicaChoice } from '../balancer.ts';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker.ts';
import { OutlierEjection, type EjectionOptions } from './outlier-ejection.ts';
import { P2cPeakEwmaBalancer, type ReplicaGuard } from './p2c-balancer.ts';
import type { PeakEwmaOptions } from './peak-ewma.ts';
import { systemNow, type NowSource } from '../../../core/clock.ts';
import { type RandomSource } from '../../../core/seeded-rng.ts';

export interface ResilientBalancerOptions {
  readonly weights: readonly number[];
  readonly clock?: NowSource;
  readonly random?: RandomSource;
  readonly peakEwma?: PeakEwmaOptions;
  readonly ejection?: EjectionOptions;
  readonly breaker?: BreakerOptions;
}

export interface ResilientReplicaStats {
  readonly index: number;
  readonly load: number;
  readonly costMs: number;
  readonly pending: number;
  /** Set only while ejected. */
  readonly ejectedUntilMs: number | undefined;
  readonly breaker: BreakerState;
  readonly picks: number;
  readonly failures: number;
  readonly ejections: number;
}

export interface ResilientBalancerStats {
  readonly ejectedNow: number;
  readonly ejectionsBlockedByMaxPercent: number;
  readonly replicas: readonly ResilientReplicaStats[];
}

/** Joins ejection and breakers into the guard P2C consults. */
class EjectionAndBreakers implements ReplicaGuard {
  readonly failures: number[];

  constructor(
    readonly ejection: OutlierEjection,
    readonly breakers: readonly CircuitBreaker[],
  ) {
    this.failures = breakers.map(() => 0);
  }

  admits(index: number): boolean {
    return !this.ejection.isEjected(index) && (this.breakers[index]?.canPass() ?? false);
  }

  onPick(index: number): (outcome: AttemptOutcome) => void {
    const breaker = this.breakers[index];
    // The ticket travels with this attempt, so a late answer cannot pose as the probe's.
    const ticket = breaker?.pass();
    return (outcome) => {
      if (!outcome.ok) this.failures[index] = (this.failures[index] ?? 0) + 1;
      this.ejection.record(index, outcome.ok);
      if (ticket !== undefined) breaker?.record(ticket, outcome.ok);
    };
  }
}

export class ResilientBalancer implements Balancer {
  private readonly guard: EjectionAndBreakers;
  private readonly p2c: P2cPeakEwmaBalancer;

  constructor(options: ResilientBalancerOptions) {
    const clock = options.clock ?? systemNow;
    const ejection = new OutlierEjection(options.weights.length, clock, options.ejection);
    const breakers = options.weights.map(() => new CircuitBreaker(clock, options.breaker));
    this.guard = new EjectionAndBreakers(ejection, breakers);
    this.p2c = new P2cPeakEwmaBalancer({
      weights: options.weights,
      clock,
      random: options.random,
      peakEwma: options.peakEwma,
      guard: this.guard,
    });
  }

  pick(exclude?: ReadonlySet<number>): ReplicaChoice | undefined {
    return this.p2c.pick(exclude);
  }

  stats(): ResilientBalancerStats {
    const ejection = this.guard.ejection.stats();
    return {
      ejectedNow: ejection.ejectedNow,
      ejectionsBlockedByMaxPercent: ejection.blockedByMaxPercent,
      replicas: this.p2c.stats().map((replica) => ({
        index: replica.index,
        load: replica.load,
        costMs: replica.costMs,
        pending: replica.pending,
        ejectedUntilMs: ejection.replicas[replica.index]?.ejectedUntilMs,
        breaker: this.guard.breakers[replica.index]?.state() ?? 'closed',
        picks: replica.picks,
        failures: this.guard.failures[replica.index] ?? 0,
        ejections: ejection.replicas[replica.index]?.ejectionsTotal ?? 0,
      })),
    };
  }
}
