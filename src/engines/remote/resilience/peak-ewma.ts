/**
 * Finagle's Peak-EWMA cost of one replica, in milliseconds.
 *
 * - A sample above the current cost replaces it at once, so a replica that turns slow is
 *   avoided from its first slow answer (the "peak").
 * - A sample below blends in with weight 1 - e^(-Δt/decayMs): the longer since the last
 *   sample, the more a new one counts.
 * - Between samples the cost decays toward zero with time constant `decayMs`, so a replica
 *   that was slow and then got no traffic is eventually tried again instead of starved.
 *
 * Reading the cost never changes it (unlike Finagle, where each read folds in a zero sample),
 * so how often the balancer looks does not change what it sees.
 */
import type { NowSource } from '../../../core/clock.ts';

export interface PeakEwmaOptions {
  /** Time constant of the decay, ms. Default 10 s. */
  readonly decayMs?: number;
  /** Cost of a replica that has never answered, ms. Default 100 ms. */
  readonly initialCostMs?: number;
}

export const PEAK_EWMA_DEFAULTS: Required<PeakEwmaOptions> = { decayMs: 10_000, initialCostMs: 100 };

export class PeakEwma {
  private readonly decayMs: number;
  private readonly initialCostMs: number;
  private storedMs: number | undefined;
  private stampMs = 0;

  constructor(
    private readonly clock: NowSource,
    options: PeakEwmaOptions = {},
  ) {
    this.decayMs = options.decayMs ?? PEAK_EWMA_DEFAULTS.decayMs;
    this.initialCostMs = options.initialCostMs ?? PEAK_EWMA_DEFAULTS.initialCostMs;
    if (!(this.decayMs > 0) || !(this.initialCostMs >= 0))
      throw new RangeError('PeakEwma needs decayMs > 0 and initialCostMs >= 0');
  }

  observe(latencyMs: number): void {
    const now = this.clock.now();
    const sample = Math.max(0, latencyMs);
    const current = this.costMs();
    if (this.storedMs === undefined || sample > current) {
      this.storedMs = sample;
    } else {
      const weight = Math.exp(-Math.max(0, now - this.stampMs) / this.decayMs);
      this.storedMs = current * weight + sample * (1 - weight);
    }
    this.stampMs = now;
  }

  costMs(): number {
    if (this.storedMs === undefined) return this.initialCostMs;
    const idleMs = Math.max(0, this.clock.now() - this.stampMs);
    return this.storedMs * Math.exp(-idleMs / this.decayMs);
  }

  /** What P2C compares: the cost of one more request on top of the ones in flight. */
  load(pending: number): number {
    return this.costMs() * (Math.max(0, pending) + 1);
  }

  get sampled(): boolean {
    return this.storedMs !== undefined;
  }
}
