/**
 * How a remote backend picks the replica for one attempt, and learns from its outcome.
 * Implementations: round robin (the naive baseline the benchmarks compare against) and
 * power of two choices over a Peak-EWMA cost with outlier ejection (src/engines/remote/resilience).
 */

export interface AttemptOutcome {
  /** False for a connection error, a timeout or a 5xx; 4xx answers are the client's fault and count as ok. */
  readonly ok: boolean;
  /** Time from sending to the end of the response headers (or to the failure). */
  readonly latencyMs: number;
}

export interface ReplicaChoice {
  /** Index into the backend's `replicas`. */
  readonly index: number;
  /** Reports how the attempt went; only the first call counts. */
  done(outcome: AttemptOutcome): void;
}

export interface Balancer {
  /** A replica for one attempt, avoiding `exclude` (replicas already tried); undefined when none can take it. */
  pick(exclude?: ReadonlySet<number>): ReplicaChoice | undefined;
}

/** Every replica in turn, by weight, ignoring how they behave. */
export class RoundRobinBalancer implements Balancer {
  private readonly order: number[];
  private next = 0;

  constructor(weights: readonly number[]) {
    if (weights.length === 0 || weights.some((weight) => !(weight > 0) || !Number.isFinite(weight))) {
      throw new RangeError('RoundRobinBalancer needs at least one replica, every weight > 0');
    }
    const slots = slotsPerRound(weights);
    this.order = weights.flatMap((_, index) => Array.from({ length: slots[index] ?? 1 }, () => index));
  }

  pick(exclude: ReadonlySet<number> = new Set()): ReplicaChoice | undefined {
    for (let step = 0; step < this.order.length; step += 1) {
      const index = this.order[this.next % this.order.length] as number;
      this.next += 1;
      if (!exclude.has(index)) return { index, done: () => {} };
    }
    return undefined;
  }
}

/**
 * Visits per replica in one round: the weights over the smallest, scaled by the least whole
 * factor that makes every count whole within 1% (weights 2 and 3 visit 2 and 3 times, not 1 and 2).
 */
function slotsPerRound(weights: readonly number[]): number[] {
  const unit = Math.min(...weights);
  const ratios = weights.map((weight) => weight / unit);
  for (let scale = 1; ; scale += 1) {
    const slots = ratios.map((ratio) => Math.round(ratio * scale));
    // Ends by scale 100 at the latest, where rounding is off by at most 0.5%.
    if (ratios.every((ratio, index) => Math.abs((slots[index] ?? 0) - ratio * scale) <= 0.01 * ratio * scale))
      return slots;
  }
}
