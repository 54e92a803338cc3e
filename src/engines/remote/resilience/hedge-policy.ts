/**
 * When to send a hedged second attempt for a non-streaming call: once the first has taken
 * longer than the recent p95 ("The Tail at Scale"), so only the slowest ~5% are hedged,
 * and only while a hedge budget (the retry-budget mechanism, 10% by default) allows, so
 * hedging cannot double the load when everything is slow. Until `minSamples` latencies
 * are known the p95 is a guess, so there is no hedging.
 *
 * Latencies are the last `sampleSize` observations in a ring; the percentile is recomputed
 * lazily, at most once per `RESORT_EVERY` new observations: sorting the ring on every
 * request cost more than the rest of the hedging decision, and one observation in 200 moves
 * a p95 by at most one rank.
 */
import { withDefaults } from './defaults.ts';
import { RetryBudget } from './retry-budget.ts';
import { systemNow, type NowSource } from '../../../core/clock.ts';

export interface HedgeOptions {
  /** Percentile of recent latency after which to hedge, 0..1. Default 0.95. */
  readonly percentile?: number;
  /** Latencies needed before hedging at all. Default 20. */
  readonly minSamples?: number;
  /** Recent latencies kept. Default 200. */
  readonly sampleSize?: number;
  /** Hedges allowed per request in the window. Default 0.1. */
  readonly budgetRatio?: number;
  /** Hedges allowed per second whatever the traffic. Default 0. */
  readonly minHedgesPerS?: number;
  /** Budget window, ms. Default 10 s. */
  readonly windowMs?: number;
  readonly clock?: NowSource;
}

export const HEDGE_DEFAULTS: Required<HedgeOptions> = {
  percentile: 0.95,
  minSamples: 20,
  sampleSize: 200,
  budgetRatio: 0.1,
  minHedgesPerS: 0,
  windowMs: 10_000,
  clock: systemNow,
};

export interface HedgeStats {
  readonly samples: number;
  readonly hedgeAfterMs: number | undefined;
  readonly hedgesInWindow: number;
  readonly deniedTotal: number;
}

/** New observations after which the percentile is computed again. */
const RESORT_EVERY = 16;

export class HedgePolicy {
  private readonly options: Required<HedgeOptions>;
  private readonly budget: RetryBudget;
  private readonly latencies: number[] = [];
  private next = 0;
  private cachedMs: number | undefined;
  /** Observations since the percentile was last computed. */
  private unsorted = 0;

  constructor(options: HedgeOptions = {}) {
    this.options = withDefaults(HEDGE_DEFAULTS, options);
    const { percentile, sampleSize, minSamples } = this.options;
    if (!(percentile > 0 && percentile <= 1) || !(sampleSize >= 1) || !(minSamples >= 1))
      throw new RangeError('HedgePolicy needs 0 < percentile <= 1, sampleSize >= 1, minSamples >= 1');
    this.budget = new RetryBudget({
      ratio: this.options.budgetRatio,
      minRetriesPerS: this.options.minHedgesPerS,
      windowMs: this.options.windowMs,
      clock: this.options.clock,
    });
  }

  /** A call that could be hedged has started. */
  recordRequest(): void {
    this.budget.recordRequest();
  }

  /** Latency of a completed attempt (hedged or not). */
  observeLatency(latencyMs: number): void {
    if (this.latencies.length < this.options.sampleSize) this.latencies.push(latencyMs);
    else this.latencies[this.next] = latencyMs;
    this.next = (this.next + 1) % this.options.sampleSize;
    this.unsorted += 1;
  }

  /** How long to wait before hedging; undefined while there are too few samples. */
  hedgeAfterMs(): number | undefined {
    if (this.latencies.length < this.options.minSamples) return undefined;
    if (this.unsorted >= RESORT_EVERY || this.cachedMs === undefined) {
      const sorted = [...this.latencies].sort((a, b) => a - b);
      const rank = Math.ceil(this.options.percentile * sorted.length) - 1;
      this.cachedMs = sorted[Math.max(0, rank)];
      this.unsorted = 0;
    }
    return this.cachedMs;
  }

  /** Whether to send a hedge now, `elapsedMs` into the first attempt; a yes spends budget. */
  shouldHedge(elapsedMs: number, streaming = false): boolean {
    if (streaming) return false;
    const afterMs = this.hedgeAfterMs();
    if (afterMs === undefined || elapsedMs < afterMs) return false;
    return this.budget.tryRetry();
  }

  stats(): HedgeStats {
    const budget = this.budget.stats();
    return {
      samples: this.latencies.length,
      hedgeAfterMs: this.hedgeAfterMs(),
      hedgesInWindow: budget.retries,
      deniedTotal: budget.deniedTotal,
    };
  }
}
