/**
 * A circuit breaker for one replica:
 *
 *   closed ──(N failures in a row, or failure rate ≥ threshold over the window)──▶ open
 *   open ──(openMs passes)──▶ half-open ──(probe ok)──▶ closed
 *                               └──(probe fails)──▶ open, for twice as long (up to maxOpenMs)
 *
 * Half-open lets exactly one probe through at a time. Each attempt carries a ticket naming
 * the breaker generation it was let through in, so an answer that arrives after the breaker
 * has moved on (a slow request sent while closed, landing while open) cannot trip or close it.
 */
import { withDefaults } from './defaults.ts';
import { SlidingCounts } from './sliding-counts.ts';
import type { NowSource } from '../../../core/clock.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Failures in a row that open the breaker. Default 5. */
  readonly consecutiveFailures?: number;
  /** Failure ratio over the window that opens the breaker. Default 0.5. */
  readonly failureRate?: number;
  /** Fewest attempts in the window before the rate is trusted. Default 20. */
  readonly minRequests?: number;
  /** Window of the failure rate, ms. Default 10 s. */
  readonly windowMs?: number;
  /** First open period, ms. Default 5 s. */
  readonly openMs?: number;
  /** Longest open period after repeated failed probes, ms. Default 60 s. */
  readonly maxOpenMs?: number;
}

export const BREAKER_DEFAULTS: Required<BreakerOptions> = {
  consecutiveFailures: 5,
  failureRate: 0.5,
  minRequests: 20,
  windowMs: 10_000,
  openMs: 5_000,
  maxOpenMs: 60_000,
};

/** Proof that an attempt was let through; hand it back with the outcome. */
export interface BreakerTicket {
  readonly generation: number;
  readonly probe: boolean;
}

export interface BreakerStats {
  readonly state: BreakerState;
  /** Set while open or half-open: when the current open period ends(ed). */
  readonly openUntilMs: number | undefined;
  readonly consecutiveFailures: number;
  readonly opens: number;
}

export class CircuitBreaker {
  private readonly options: Required<BreakerOptions>;
  private readonly window: SlidingCounts<'attempts' | 'failures'>;
  private tripped = false;
  private openUntilMs = 0;
  private openPeriodMs: number;
  private probeInFlight = false;
  private generation = 0;
  private consecutive = 0;
  private opens = 0;

  constructor(
    private readonly clock: NowSource,
    options: BreakerOptions = {},
  ) {
    this.options = withDefaults(BREAKER_DEFAULTS, options);
    this.openPeriodMs = this.options.openMs;
    this.window = new SlidingCounts(clock, this.options.windowMs, ['attempts', 'failures']);
  }

  state(): BreakerState {
    if (!this.tripped) return 'closed';
    return this.clock.now() < this.openUntilMs ? 'open' : 'half-open';
  }

  /** Whether an attempt may go now; does not change anything. */
  canPass(): boolean {
    const state = this.state();
    return state === 'closed' || (state === 'half-open' && !this.probeInFlight);
  }

  /** Lets an attempt through (check `canPass` first); in half-open it becomes the probe. */
  pass(): BreakerTicket {
    const probe = this.state() === 'half-open';
    if (probe) this.probeInFlight = true;
    return { generation: this.generation, probe };
  }

  record(ticket: BreakerTicket, ok: boolean): void {
    if (ticket.generation !== this.generation) return;
    if (ticket.probe) {
      this.probeInFlight = false;
      if (ok) this.close();
      else this.trip(Math.min(this.options.maxOpenMs, this.openPeriodMs * 2));
      return;
    }
    if (this.tripped) return;
    this.window.add('attempts');
    this.consecutive = ok ? 0 : this.consecutive + 1;
    if (!ok) this.window.add('failures');
    if (this.shouldTrip()) this.trip(this.options.openMs);
  }

  stats(): BreakerStats {
    return {
      state: this.state(),
      openUntilMs: this.tripped ? this.openUntilMs : undefined,
      consecutiveFailures: this.consecutive,
      opens: this.opens,
    };
  }

  private shouldTrip(): boolean {
    if (this.consecutive >= this.options.consecutiveFailures) return true;
    const attempts = this.window.total('attempts');
    return attempts >= this.options.minRequests && this.window.total('failures') / attempts >= this.options.failureRate;
  }

  private trip(periodMs: number): void {
    this.tripped = true;
    this.openPeriodMs = periodMs;
    this.openUntilMs = this.clock.now() + periodMs;
    this.probeInFlight = false;
    this.generation += 1;
    this.opens += 1;
  }

  private close(): void {
    this.tripped = false;
    this.openPeriodMs = this.options.openMs;
    this.consecutive = 0;
    this.window.clear();
    this.generation += 1;
  }
}
