/**
 * Power of two choices over Peak-EWMA load (Finagle's `Balancers.p2cPeakEwma`): draw two
 * distinct eligible replicas at random, biased by weight, and send to the one with the lower
 * `cost * (pending + 1)`. Two random draws avoid the herd that "always the least loaded"
 * causes when every caller sees the same stale numbers, while still steering away from slow
 * or busy replicas.
 *
 * Which replicas are eligible is a `ReplicaGuard`'s call (ejection, circuit breakers); the
 * balancer itself only knows costs and pending counts.
 */
import type { AttemptOutcome, Balancer, ReplicaChoice } from '../balancer.ts';
import { PeakEwma, type PeakEwmaOptions } from './peak-ewma.ts';
import { systemNow, type NowSource } from '../../../core/clock.ts';
import { type RandomSource } from '../../../core/seeded-rng.ts';

/** Decides which replicas may take an attempt and learns from what happened. */
export interface ReplicaGuard {
  /** Whether the replica may take an attempt now; must not change any state. */
  admits(index: number): boolean;
  /**
   * The replica was chosen (a half-open breaker reserves its single probe here); the
   * returned function is called once with how this very attempt went.
   */
  onPick(index: number): (outcome: AttemptOutcome) => void;
}

export interface P2cOptions {
  /** One positive weight per replica; a weight-2 replica is drawn twice as often. */
  readonly weights: readonly number[];
  readonly clock?: NowSource;
  readonly random?: RandomSource;
  readonly peakEwma?: PeakEwmaOptions;
  readonly guard?: ReplicaGuard;
}

export interface P2cReplicaStats {
  readonly index: number;
  readonly costMs: number;
  readonly load: number;
  readonly pending: number;
  readonly picks: number;
}

export class P2cPeakEwmaBalancer implements Balancer {
  private readonly weights: readonly number[];
  private readonly random: RandomSource;
  private readonly guard: ReplicaGuard | undefined;
  private readonly costs: PeakEwma[];
  private readonly pending: number[];
  private readonly picks: number[];

  constructor(options: P2cOptions) {
    if (options.weights.length === 0 || options.weights.some((weight) => !(weight > 0))) {
      throw new RangeError('P2cPeakEwmaBalancer needs at least one replica, every weight > 0');
    }
    const clock = options.clock ?? systemNow;
    this.weights = [...options.weights];
    this.random = options.random ?? Math.random;
    this.guard = options.guard;
    this.costs = this.weights.map(() => new PeakEwma(clock, options.peakEwma));
    this.pending = this.weights.map(() => 0);
    this.picks = this.weights.map(() => 0);
  }

  pick(exclude: ReadonlySet<number> = new Set()): ReplicaChoice | undefined {
    const eligible = this.weights
      .map((_, index) => index)
      .filter((index) => !exclude.has(index) && (this.guard?.admits(index) ?? true));
    const index = this.choose(eligible);
    if (index === undefined) return undefined;
    const report = this.guard?.onPick(index);
    this.pending[index] = (this.pending[index] ?? 0) + 1;
    this.picks[index] = (this.picks[index] ?? 0) + 1;
    let reported = false;
    return {
      index,
      done: (outcome) => {
        if (reported) return;
        reported = true;
        this.pending[index] = (this.pending[index] ?? 1) - 1;
        this.costs[index]?.observe(outcome.latencyMs);
        report?.(outcome);
      },
    };
  }

  load(index: number): number {
    return this.costs[index]?.load(this.pending[index] ?? 0) ?? Number.POSITIVE_INFINITY;
  }

  stats(): P2cReplicaStats[] {
    return this.weights.map((_, index) => ({
      index,
      costMs: this.costs[index]?.costMs() ?? 0,
      load: this.load(index),
      pending: this.pending[index] ?? 0,
      picks: this.picks[index] ?? 0,
    }));
  }

  private choose(eligible: readonly number[]): number | undefined {
    if (eligible.length <= 1) return eligible[0];
    const first = this.drawWeighted(eligible);
    const second = this.drawWeighted(eligible.filter((index) => index !== first));
    // Ties go to the first draw, which is itself random, so equal replicas share evenly.
    return this.load(second) < this.load(first) ? second : first;
  }

  private drawWeighted(candidates: readonly number[]): number {
    const total = candidates.reduce((sum, index) => sum + (this.weights[index] ?? 0), 0);
    let remaining = this.random() * total;
    for (const index of candidates) {
      remaining -= this.weights[index] ?? 0;
      if (remaining < 0) return index;
    }
    return candidates[candidates.length - 1] as number;
  }
}
