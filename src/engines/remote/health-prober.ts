/**
 * The loop around `ActiveHealth`: one timer per backend; each round probes every replica
 * at once, hands each result on, and only then arms the timer for the next round, so a
 * slow replica never piles probes up.
 *
 *   start ─► wait(interval + jitter) ─► probe all replicas ─► onResult × n ─┐
 *                  ▲──────────────────────────────────────────────────────┘
 *   stop ─► timer cleared, probes in flight aborted, their late results dropped
 *
 * The first round waits one interval: replicas start healthy (see `ActiveHealth`). Up to
 * 10% jitter keeps many sluice processes started together from probing in lockstep.
 * Timers are `unref()`ed, so a forgotten backend never keeps the process alive.
 */
import type { ProbeResult } from './resilience/active-health.ts';
import type { RandomSource } from '../../core/seeded-rng.ts';

/** Arms a timer and returns how to cancel it; injected so tests step a fake clock. */
export type ScheduleTimer = (fn: () => void, ms: number) => () => void;

export interface HealthProberOptions {
  readonly replicas: number;
  readonly intervalMs: number;
  /** Probes one replica; never rejects (a failure is a result). */
  readonly probe: (index: number, signal: AbortSignal) => Promise<ProbeResult>;
  readonly onResult: (index: number, result: ProbeResult) => void;
  readonly schedule?: ScheduleTimer;
  readonly random?: RandomSource;
}

const JITTER = 0.1;

export const unrefTimer: ScheduleTimer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export class HealthProber {
  private readonly schedule: ScheduleTimer;
  private readonly random: RandomSource;
  private cancelTimer: (() => void) | undefined;
  private round: AbortController | undefined;
  private stopped = false;
  private rounds = 0;

  constructor(private readonly options: HealthProberOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('HealthProber needs intervalMs > 0');
    this.schedule = options.schedule ?? unrefTimer;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    if (this.stopped || this.cancelTimer !== undefined || this.round !== undefined) return;
    this.armTimer();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.round?.abort();
  }

  /** Rounds of probes completed. */
  get completedRounds(): number {
    return this.rounds;
  }

  private armTimer(): void {
    const delayMs = this.options.intervalMs * (1 + JITTER * this.random());
    this.cancelTimer = this.schedule(() => {
      this.cancelTimer = undefined;
      void this.probeAll();
    }, delayMs);
  }

  private async probeAll(): Promise<void> {
    if (this.stopped) return;
    const round = new AbortController();
    this.round = round;
    const indices = Array.from({ length: this.options.replicas }, (_, index) => index);
    await Promise.all(indices.map(async (index) => this.report(index, await this.probeOne(index, round.signal))));
    this.round = undefined;
    if (this.stopped) return;
    this.rounds += 1;
    this.armTimer();
  }

  private async probeOne(index: number, signal: AbortSignal): Promise<ProbeResult> {
    try {
      return await this.options.probe(index, signal);
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private report(index: number, result: ProbeResult): void {
    if (!this.stopped) this.options.onResult(index, result);
  }
}
