/**
 * Arrival schedules for open-loop load. Every intended send time is fixed before the
 * run starts, as an offset from its start, so nothing the server does (answering
 * slowly, not answering) can move an arrival: a slow server never lowers the offered rate.
 */
import { createRng } from '../../src/core/seeded-rng.ts';

export type ArrivalProcess =
  /** Evenly spaced: request i is due at i / rate. */
  | { readonly kind: 'fixed'; readonly ratePerS: number }
  /** Exponential gaps with the given mean rate, drawn from a seeded generator so a run can be replayed. */
  | { readonly kind: 'poisson'; readonly ratePerS: number; readonly seed: number };

/** A schedule larger than this is a mistake in the caller's rate or duration, not a benchmark. */
export const MAX_SCHEDULED_ARRIVALS = 2_000_000;

/** Intended send times in ms from the start, ascending, all below `durationMs`. */
export function arrivalOffsetsMs(process: ArrivalProcess, durationMs: number): Float64Array {
  if (!(process.ratePerS > 0) || !Number.isFinite(process.ratePerS))
    throw new RangeError(`arrival rate must be a positive number, got ${process.ratePerS}`);
  if (!(durationMs > 0) || !Number.isFinite(durationMs))
    throw new RangeError(`duration must be a positive number of ms, got ${durationMs}`);
  const expected = (process.ratePerS * durationMs) / 1000;
  // Poisson counts rarely exceed the mean by more than a few standard deviations.
  const capacity = Math.ceil(expected + 10 * Math.sqrt(expected) + 16);
  if (capacity > MAX_SCHEDULED_ARRIVALS)
    throw new RangeError(`${Math.round(expected)} arrivals exceed the limit of ${MAX_SCHEDULED_ARRIVALS}`);
  const offsets = new Float64Array(capacity);
  const gapMs =
    process.kind === 'fixed' ? () => 1000 / process.ratePerS : exponentialGapsMs(process.ratePerS, process.seed);
  let count = 0;
  let at = process.kind === 'fixed' ? 0 : gapMs();
  while (at < durationMs && count < capacity) {
    offsets[count++] = at;
    at = process.kind === 'fixed' ? (count * 1000) / process.ratePerS : at + gapMs();
  }
  return offsets.subarray(0, count);
}

function exponentialGapsMs(ratePerS: number, seed: number): () => number {
  const uniform = createRng(seed).next;
  // 1 - u lies in (0, 1], so the logarithm is finite.
  return () => (-Math.log(1 - uniform()) * 1000) / ratePerS;
}
