/**
 * How many requests the server finishes in `burstMs` at its recent rate (Little's law),
 * while it keeps up: the admission gate holds at least this many, whatever its adaptive
 * limit says.
 *
 *   finished() ─┐
 *   refused()  ─┴─► counts of this window ─(window ≥ windowMs)─► rate = finished ÷ window length
 *                                                                kept up = refused ≤ 1% of the window's requests
 *   floor = kept up ? ⌊rate × burstMs⌋ : 0        (0 until a window has closed)
 *
 * Why: the adaptive limit (Gradient2) reads latency above its no-load baseline as queueing,
 * but a batching server's latency rises with load by design (requests wait for a batch),
 * so below capacity that limit sits just above the requests in flight, and the arrivals
 * of one collection pause overrun it. Below capacity the rate is the arrival rate, so the
 * floor takes a pause's arrivals. Under overload the gate refuses, the floor falls away,
 * and the adaptive limit alone keeps the work held, and so the latency, short
 * (docs/design-notes.md, "The throughput floor").
 */
import type { Clock } from '../../core/clock.ts';

export const DEFAULT_WINDOW_MS = 1000;

/** A window that refused more than this share of its requests was overloaded: no floor after it. */
const KEPT_UP_REFUSED_SHARE = 0.01;

export class ThroughputFloor {
  private windowStartMs: number;
  private finishedInWindow = 0;
  private refusedInWindow = 0;
  private current = 0;

  constructor(
    clock: Clock,
    private readonly burstMs: number,
    private readonly windowMs = DEFAULT_WINDOW_MS,
  ) {
    if (!(burstMs >= 0) || !Number.isFinite(burstMs))
      throw new RangeError(`burstMs must be a finite number ≥ 0, got ${burstMs}`);
    if (!(windowMs > 0) || !Number.isFinite(windowMs))
      throw new RangeError(`windowMs must be a finite number > 0, got ${windowMs}`);
    this.windowStartMs = clock.now();
  }

  /** A request was served; `nowMs` is the caller's reading of the clock, which it has already taken. */
  finished(nowMs: number): void {
    this.finishedInWindow += 1;
    this.closeWindowWhenDue(nowMs);
  }

  /** A request was refused, by any guard. */
  refused(nowMs: number): void {
    this.refusedInWindow += 1;
    this.closeWindowWhenDue(nowMs);
  }

  /**
   * From the last window that closed. A window closes on a request, so an idle spell keeps
   * the floor of the traffic before it: a burst after the spell is taken as it was then.
   */
  get floor(): number {
    return this.current;
  }

  private closeWindowWhenDue(now: number): void {
    const elapsedMs = now - this.windowStartMs;
    if (elapsedMs < this.windowMs) return;
    const requests = this.finishedInWindow + this.refusedInWindow;
    const keptUp = this.refusedInWindow <= KEPT_UP_REFUSED_SHARE * requests;
    this.current = keptUp ? Math.floor((this.finishedInWindow / elapsedMs) * this.burstMs) : 0;
    this.windowStartMs = now;
    this.finishedInWindow = 0;
    this.refusedInWindow = 0;
  }
}
