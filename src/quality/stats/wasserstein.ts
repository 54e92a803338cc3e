/**
 * First Wasserstein (earth mover's) distance between two 1-D distributions,
 * ∫ |F_u(x) − F_v(x)| dx, as scipy.stats.wasserstein_distance computes it, and Evidently's
 * normed version (evidently/legacy/calculations/stattests/wasserstein_distance_norm.py): the
 * distance divided by the reference's population standard deviation (numpy's np.std, ddof 0),
 * floored at 0.001 so a constant reference does not divide by zero; drift when ≥ 0.1.
 */
import { checkCdf, empiricalCdf, totalWeight, walkCdfs, type WeightedCdf } from './empirical-cdf.ts';

/** Integrates |F_u − F_v| between consecutive values of either CDF. */
export function wassersteinFromCdfs(u: WeightedCdf, v: WeightedCdf): number {
  checkCdf(u, 'u');
  checkCdf(v, 'v');
  let distance = 0;
  let previous: { value: number; gap: number } | undefined;
  walkCdfs(u, v, (value, fu, fv) => {
    if (previous !== undefined) distance += previous.gap * (value - previous.value);
    previous = { value, gap: Math.abs(fu - fv) };
  });
  return distance;
}

export function wassersteinDistance(u: readonly number[], v: readonly number[]): number {
  if (u.length === 0 || v.length === 0) throw new RangeError('the Wasserstein distance needs two non-empty samples');
  return wassersteinFromCdfs(empiricalCdf(u), empiricalCdf(v));
}

/** Population standard deviation (ddof 0) of a weighted sample, two-pass like numpy's np.std. */
export function populationStd(cdf: WeightedCdf): number {
  const total = totalWeight(cdf);
  let sum = 0;
  cdf.values.forEach((value, i) => (sum += value * (cdf.weights[i] ?? 0)));
  const mean = sum / total;
  let squares = 0;
  cdf.values.forEach((value, i) => (squares += (value - mean) ** 2 * (cdf.weights[i] ?? 0)));
  return Math.sqrt(squares / total);
}

/** Evidently's floor on the reference's spread. */
export const MIN_NORM = 0.001;

export interface NormedWasserstein {
  readonly statistic: number;
  readonly distance: number;
  readonly norm: number;
}

export function normedWassersteinFromCdfs(reference: WeightedCdf, current: WeightedCdf): NormedWasserstein {
  const distance = wassersteinFromCdfs(reference, current);
  const norm = Math.max(populationStd(reference), MIN_NORM);
  return { statistic: distance / norm, distance, norm };
}

export function normedWasserstein(reference: readonly number[], current: readonly number[]): NormedWasserstein {
  if (reference.length === 0 || current.length === 0)
    throw new RangeError('the Wasserstein distance needs two non-empty samples');
  return normedWassersteinFromCdfs(empiricalCdf(reference), empiricalCdf(current));
}
