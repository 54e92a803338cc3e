/**
 * One limit update of Gradient2 (Netflix concurrency-limits' `Gradient2Limit`), as a
 * pure function of what one update window measured. `AdaptiveLimit` owns the windows
 * and the permits; this file owns the arithmetic, so it can be tested row by row.
 *
 *   gradient = clamp(rttTolerance × longRtt / shortRtt, 0.5, 1)
 *   target   = limit × gradient + queueSize(limit)
 *   next     = limit × (1 − smoothing) + target × smoothing,   clamped to [min, max]
 *
 * The gradient never exceeds 1: growth comes only from the queueSize headroom, so the
 * limit probes upward by about smoothing × √limit a window while latency stays within
 * tolerance of the baseline, and shrinks by up to half (before smoothing) when it does
 * not. The 0.5 floor keeps one outlier window from halving capacity twice in a row.
 */

export interface GradientParams {
  readonly minLimit: number;
  readonly maxLimit: number;
  /** 0 < smoothing ≤ 1; the share of the new estimate taken each update. */
  readonly smoothing: number;
  /** How far the short RTT may rise above the long one before the limit shrinks (≥ 1). */
  readonly rttTolerance: number;
  /** Headroom added each update: how many requests may queue at the backend. */
  readonly queueSize: (limit: number) => number;
}

/** What one update window saw. */
export interface WindowMeasure {
  /** Mean RTT of the window's samples. */
  readonly shortRttMs: number;
  /** The long-term baseline after this window was added to it. */
  readonly longRttMs: number;
  /** The most permits held at once while the window's samples were acquired. */
  readonly maxInflight: number;
  /** The most permits the window's requests could have held, when a caller's floor raised it above the limit. */
  readonly room?: number;
  /** Whether any request in the window failed or timed out. */
  readonly dropped: boolean;
}

/** Gradient2's default headroom: √limit, which grows with the limit but ever more slowly. */
export function squareRootQueueSize(limit: number): number {
  return Math.sqrt(limit);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The estimated (fractional) limit after one window; `limit` is the estimate before it. */
export function nextGradientLimit(limit: number, window: WindowMeasure, params: GradientParams): number {
  // App-limited: with under half the permits in use the latency says nothing about what
  // the backend could take at the limit, so neither grow nor shrink (as Gradient2 does).
  if (window.maxInflight < Math.max(limit, window.room ?? 0) / 2) return limit;

  const gradient =
    window.shortRttMs > 0 ? clamp((params.rttTolerance * window.longRttMs) / window.shortRttMs, 0.5, 1) : 1;
  const target = limit * gradient + params.queueSize(Math.floor(limit));
  let next = limit * (1 - params.smoothing) + target * params.smoothing;
  // Failed requests carry no RTT, so a window with drops looks faster than the backend
  // really was; never let such a window grow the limit (Gradient2 ignores drops entirely).
  if (window.dropped) next = Math.min(next, limit);
  return clamp(next, params.minLimit, params.maxLimit);
}

/**
 * After a long overload the baseline has crept up and would keep the gradient at 1 (no
 * sign of queueing) while the backend is actually fast again; Gradient2 pulls it down by
 * 10% a window whenever it is more than twice the short RTT, instead of waiting for the
 * slow EWMA. Returns the factor to scale the long RTT by (1 = leave it).
 */
export function longRttDecay(longRttMs: number, shortRttMs: number): number {
  return shortRttMs > 0 && longRttMs / shortRttMs > 2 ? 0.9 : 1;
}
