/**
 * An adaptive concurrency limit for one backend (Gradient2 style): how many batches a
 * local model may execute at once, or how many HTTP requests may be in flight to one
 * remote replica. The limit follows measured latency: it creeps up while latency stays
 * near the no-load baseline and falls back when queueing makes latency rise.
 *
 *   tryAcquire ─► permit ─► release({ rttMs }) ─► update window ─(≥ windowMs and ≥ windowSamples)─► nextGradientLimit
 *                         ├► release('dropped') ─► limit × backoffRatio (once per flight)
 *                         └► release('ignore')  ─► nothing measured
 *
 * Where this departs from Netflix's `WindowedLimit(Gradient2Limit)`, and why:
 * docs/design-notes.md.
 */
import { RealClock, type Clock } from '../core/clock.ts';
import { ExpAverage } from './exp-average.ts';
import { clamp, longRttDecay, nextGradientLimit, squareRootQueueSize, type GradientParams } from './gradient2.ts';

/** How a request ended: its latency, a failure or timeout, or nothing worth measuring (cancelled, rejected as invalid). */
export type PermitOutcome = { readonly rttMs: number } | 'dropped' | 'ignore';

export interface Permit {
  /** Returns the slot; only the first call counts. */
  release(outcome: PermitOutcome): void;
}

export type LimitChangeReason = 'gradient' | 'dropped';

export interface AdaptiveLimitOptions {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Share of each new estimate taken per update, 0 < smoothing ≤ 1; 0.2 by default. */
  readonly smoothing?: number;
  /** Short RTT may reach this multiple of the long RTT before the limit shrinks; 1.5 by default. */
  readonly rttTolerance?: number;
  /** Update windows the long-term RTT averages over; 600 by default. */
  readonly longWindow?: number;
  /** Headroom added per update as a function of the current integer limit; √limit by default. */
  readonly queueSize?: (limit: number) => number;
  /** Multiplier applied on a drop, 0 < ratio < 1; 0.9 by default. */
  readonly backoffRatio?: number;
  /** Shortest update window; 1000 ms by default. */
  readonly windowMs?: number;
  /** Fewest RTT samples an update window needs; 10 by default. */
  readonly windowSamples?: number;
  readonly clock?: Clock;
  /** Called when the integer limit changes. */
  readonly onChange?: (limit: number, previous: number, reason: LimitChangeReason) => void;
}

/** A snapshot; numbers do not move after it is taken. */
export interface AdaptiveLimitStats {
  /** The integer limit admission uses. */
  readonly limit: number;
  /** The fractional estimate behind it. */
  readonly estimatedLimit: number;
  readonly inflight: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Mean RTT of the last closed update window; 0 before the first. */
  readonly shortRttMs: number;
  /** The no-load baseline; 0 before the first window closes. */
  readonly longRttMs: number;
  /** RTT samples taken. */
  readonly samples: number;
  readonly drops: number;
  /** `tryAcquire` calls turned away at the limit. */
  readonly rejected: number;
}

interface UpdateWindow {
  startMs: number;
  sumRttMs: number;
  count: number;
  maxInflight: number;
  maxRoom: number;
  dropped: boolean;
}

interface Settings {
  readonly params: GradientParams;
  readonly longWindow: number;
  readonly backoffRatio: number;
  readonly windowMs: number;
  readonly windowSamples: number;
}

export class AdaptiveLimit {
  private readonly settings: Settings;
  private readonly clock: Clock;
  private readonly onChange: AdaptiveLimitOptions['onChange'];
  private readonly longRtt: ExpAverage;
  private estimated: number;
  private inflight = 0;
  private shortRttMs = 0;
  private window: UpdateWindow = emptyWindow();
  /** Bumped on every backoff; a drop from a permit of an older flight is already accounted for. */
  private flight = 0;
  private samples = 0;
  private drops = 0;
  private rejected = 0;

  constructor(options: AdaptiveLimitOptions) {
    this.settings = validate(options);
    this.estimated = options.initialLimit;
    this.longRtt = new ExpAverage(this.settings.longWindow);
    this.clock = options.clock ?? new RealClock();
    this.onChange = options.onChange;
  }

  get limit(): number {
    return Math.floor(this.estimated);
  }

  /** Whether a permit is to be had now; asked on every pick, so it builds no snapshot. */
  get hasRoom(): boolean {
    return this.inflight < this.limit;
  }

  /**
   * A permit, or undefined when the limit is reached: the caller sheds or queues the request.
   * `atLeast` holds the limit up for this call (never past maxLimit): a floor the caller
   * knows of that the latency gradient does not (admission-gate.ts's throughput floor).
   */
  tryAcquire(atLeast = 0): Permit | undefined {
    const room = Math.min(this.settings.params.maxLimit, Math.max(this.limit, atLeast));
    if (this.inflight >= room) {
      this.rejected += 1;
      return undefined;
    }
    this.inflight += 1;
    const inflightAtAcquire = this.inflight;
    const flight = this.flight;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        this.inflight -= 1;
        if (outcome === 'ignore') return;
        if (outcome === 'dropped') this.onDropped(flight);
        else this.onSample(outcome.rttMs, inflightAtAcquire, room);
      },
    };
  }

  stats(): AdaptiveLimitStats {
    const { minLimit, maxLimit } = this.settings.params;
    return {
      limit: this.limit,
      estimatedLimit: this.estimated,
      inflight: this.inflight,
      minLimit,
      maxLimit,
      shortRttMs: this.shortRttMs,
      longRttMs: this.longRtt.current,
      samples: this.samples,
      drops: this.drops,
      rejected: this.rejected,
    };
  }

  private onSample(rttMs: number, inflightAtAcquire: number, roomAtAcquire: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) throw new RangeError(`rttMs must be a finite number ≥ 0, got ${rttMs}`);
    this.samples += 1;
    const now = this.clock.now();
    const window = this.window;
    if (window.count === 0) window.startMs = now;
    window.sumRttMs += rttMs;
    window.count += 1;
    window.maxInflight = Math.max(window.maxInflight, inflightAtAcquire);
    window.maxRoom = Math.max(window.maxRoom, roomAtAcquire);
    if (now - window.startMs >= this.settings.windowMs && window.count >= this.settings.windowSamples)
      this.closeWindow();
  }

  private closeWindow(): void {
    const { sumRttMs, count, maxInflight, maxRoom, dropped } = this.window;
    this.window = emptyWindow();
    this.shortRttMs = sumRttMs / count;
    this.longRtt.add(this.shortRttMs);
    this.longRtt.scale(longRttDecay(this.longRtt.current, this.shortRttMs));
    const measure = {
      shortRttMs: this.shortRttMs,
      longRttMs: this.longRtt.current,
      maxInflight,
      room: maxRoom,
      dropped,
    };
    this.setEstimate(nextGradientLimit(this.estimated, measure, this.settings.params), 'gradient');
  }

  private onDropped(flight: number): void {
    this.drops += 1;
    this.window.dropped = true;
    if (flight !== this.flight) return;
    this.flight += 1;
    const { minLimit, maxLimit } = this.settings.params;
    this.setEstimate(clamp(this.estimated * this.settings.backoffRatio, minLimit, maxLimit), 'dropped');
  }

  private setEstimate(next: number, reason: LimitChangeReason): void {
    const previous = this.limit;
    this.estimated = next;
    if (this.limit !== previous) this.onChange?.(this.limit, previous, reason);
  }
}

function emptyWindow(): UpdateWindow {
  return { startMs: 0, sumRttMs: 0, count: 0, maxInflight: 0, maxRoom: 0, dropped: false };
}

/** Checks the options once and fills in Gradient2's defaults. */
function validate(options: AdaptiveLimitOptions): Settings {
  const { initialLimit, minLimit, maxLimit } = options;
  if (!Number.isInteger(minLimit) || minLimit < 1)
    throw new RangeError(`minLimit must be an integer ≥ 1, got ${minLimit}`);
  if (!Number.isInteger(maxLimit) || maxLimit < minLimit)
    throw new RangeError(`maxLimit must be an integer ≥ minLimit (${minLimit}), got ${maxLimit}`);
  if (!Number.isFinite(initialLimit) || initialLimit < minLimit || initialLimit > maxLimit) {
    throw new RangeError(`initialLimit must lie in [${minLimit}, ${maxLimit}], got ${initialLimit}`);
  }
  const smoothing = options.smoothing ?? 0.2;
  if (!(smoothing > 0 && smoothing <= 1)) throw new RangeError(`smoothing must lie in (0, 1], got ${smoothing}`);
  const rttTolerance = options.rttTolerance ?? 1.5;
  if (!(rttTolerance >= 1) || !Number.isFinite(rttTolerance))
    throw new RangeError(`rttTolerance must be a finite number ≥ 1, got ${rttTolerance}`);
  const backoffRatio = options.backoffRatio ?? 0.9;
  if (!(backoffRatio > 0 && backoffRatio < 1))
    throw new RangeError(`backoffRatio must lie in (0, 1), got ${backoffRatio}`);
  const windowMs = options.windowMs ?? 1000;
  if (!(windowMs >= 0) || !Number.isFinite(windowMs))
    throw new RangeError(`windowMs must be a finite number ≥ 0, got ${windowMs}`);
  const windowSamples = options.windowSamples ?? 10;
  if (!Number.isInteger(windowSamples) || windowSamples < 1)
    throw new RangeError(`windowSamples must be an integer ≥ 1, got ${windowSamples}`);
  const longWindow = options.longWindow ?? 600;
  if (!Number.isInteger(longWindow) || longWindow < 1)
    throw new RangeError(`longWindow must be an integer ≥ 1, got ${longWindow}`);
  const queueSize = options.queueSize ?? squareRootQueueSize;
  return {
    params: { minLimit, maxLimit, smoothing, rttTolerance, queueSize },
    longWindow,
    backoffRatio,
    windowMs,
    windowSamples,
  };
}
