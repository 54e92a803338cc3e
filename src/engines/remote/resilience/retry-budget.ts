/**
 * A retry budget (Finagle `RetryBudget`, gRPC retry throttling): retries may add at most
 * `ratio` extra load on top of the requests seen in the last `windowMs`, plus a small floor
 * of `minRetriesPerS` so a quiet service can still retry its rare failure. Without a budget,
 * three retries per request quadruple the load on a backend that is already failing; with
 * it, a full outage costs at most `ratio` extra (plus the floor).
 *
 * Only first attempts are recorded as requests: a retry that deposited into the budget it
 * withdraws from would let retries pay for themselves.
 */
import { withDefaults } from './defaults.ts';
import { SlidingCounts } from './sliding-counts.ts';
import { systemNow, type NowSource } from '../../../core/clock.ts';
import { type RandomSource } from '../../../core/seeded-rng.ts';

export interface RetryBudgetOptions {
  /** Retries allowed per request in the window. Default 0.2. */
  readonly ratio?: number;
  /** Retries allowed per second whatever the traffic. Default 10. */
  readonly minRetriesPerS?: number;
  /** Window requests and retries are counted over, ms. Default 10 s. */
  readonly windowMs?: number;
  /** First backoff ceiling, ms. Default 25. */
  readonly backoffBaseMs?: number;
  /** Largest backoff, ms. Default 1 s. */
  readonly backoffCapMs?: number;
  readonly clock?: NowSource;
  readonly random?: RandomSource;
}

export const RETRY_BUDGET_DEFAULTS: Required<RetryBudgetOptions> = {
  ratio: 0.2,
  minRetriesPerS: 10,
  windowMs: 10_000,
  backoffBaseMs: 25,
  backoffCapMs: 1_000,
  clock: systemNow,
  random: Math.random,
};

export interface RetryBudgetStats {
  /** Requests and retries in the current window. */
  readonly requests: number;
  readonly retries: number;
  /** Retries the window would still allow. */
  readonly available: number;
  readonly deniedTotal: number;
}

export class RetryBudget {
  private readonly options: Required<RetryBudgetOptions>;
  private readonly window: SlidingCounts<'requests' | 'retries'>;
  private denied = 0;

  constructor(options: RetryBudgetOptions = {}) {
    this.options = withDefaults(RETRY_BUDGET_DEFAULTS, options);
    if (!(this.options.ratio >= 0) || !(this.options.minRetriesPerS >= 0))
      throw new RangeError('RetryBudget needs ratio >= 0 and minRetriesPerS >= 0');
    this.window = new SlidingCounts(this.options.clock, this.options.windowMs, ['requests', 'retries']);
  }

  /** A first attempt was sent. */
  recordRequest(): void {
    this.window.add('requests');
  }

  /** Takes one retry from the budget if there is one; false means do not retry. */
  tryRetry(): boolean {
    if (this.available() < 1) {
      this.denied += 1;
      return false;
    }
    this.window.add('retries');
    return true;
  }

  /** Full jitter: uniform in [0, min(cap, base * 2^(attempt - 1))), attempt 1 being the first retry. */
  jitteredBackoffMs(attempt: number): number {
    return jitteredBackoffMs(attempt, this.options.random, this.options.backoffBaseMs, this.options.backoffCapMs);
  }

  stats(): RetryBudgetStats {
    return {
      requests: this.window.total('requests'),
      retries: this.window.total('retries'),
      available: Math.max(0, Math.floor(this.available())),
      deniedTotal: this.denied,
    };
  }

  private available(): number {
    const { ratio, minRetriesPerS, windowMs } = this.options;
    const allowance = ratio * this.window.total('requests') + minRetriesPerS * (windowMs / 1000);
    return allowance - this.window.total('retries');
  }
}

export function jitteredBackoffMs(
  attempt: number,
  random: RandomSource = Math.random,
  baseMs = 25,
  capMs = 1_000,
): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 30);
  return random() * Math.min(capMs, baseMs * 2 ** exponent);
}
