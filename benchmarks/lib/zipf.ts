/**
 * Request popularity for cache benchmarks: rank k of n drawn with probability ∝ 1 / k^s
 * (Zipf's law; s = 1 is the usual fit for repeated queries and web objects). Sampled by
 * inverting the cumulative distribution with a binary search, from a seeded generator, so
 * a run's sequence of requests is the same on every side and in every repetition.
 */
import { createRng } from '../../src/core/seeded-rng.ts';

/** Cumulative probabilities of ranks 1..n; the last is 1. */
export function zipfCumulative(n: number, exponent: number): Float64Array {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`zipf: n must be a positive whole number, got ${n}`);
  if (!(exponent >= 0)) throw new RangeError(`zipf: the exponent must be at least 0, got ${exponent}`);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 1; rank <= n; rank += 1) cumulative[rank - 1] = total += 1 / rank ** exponent;
  for (let index = 0; index < n; index += 1) cumulative[index] = (cumulative[index] ?? 0) / total;
  cumulative[n - 1] = 1;
  return cumulative;
}

/** The 0-based rank a uniform draw `u` in [0, 1) falls on. */
export function rankOf(cumulative: Float64Array, u: number): number {
  let [low, high] = [0, cumulative.length - 1];
  while (low < high) {
    const middle = (low + high) >> 1;
    if (u < (cumulative[middle] ?? 1)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** `length` 0-based ranks of `n`, Zipf-distributed with `exponent`, from `seed`. */
export function zipfSequence(n: number, exponent: number, length: number, seed: number): Uint32Array {
  const cumulative = zipfCumulative(n, exponent);
  const rng = createRng(seed);
  const ranks = new Uint32Array(length);
  for (let index = 0; index < length; index += 1) ranks[index] = rankOf(cumulative, rng.next());
  return ranks;
}
