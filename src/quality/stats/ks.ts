/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy.stats.ks_2samp computes it (the test
 * Evidently runs on numeric features with at most 1,000 reference rows).
 *
 * method 'auto' (scipy's default, and Evidently's): exact when both samples have at most 10,000
 * values, asymptotic otherwise.
 *   exact  — the lattice-path distribution of D (ks-exact.ts); D is reported snapped to h/lcm(m, n).
 *   asymp  — scipy's "asymptotic" method is the one-sample Kolmogorov distribution at
 *            n = round(mn/(m+n)) (kolmogorov.ts), not Kolmogorov's limiting law.
 * Both agree with scipy 1.10 and 1.17 to better than 1e-9 relative in the tests.
 *
 * A quantile sketch plugs in through `ksFromCdfs`: give its centroids as values with their counts
 * as weights; D is then the sup of |F_ref − F_live| over the centroids and the p-value uses the
 * total counts as sample sizes.
 */
import { checkCdf, empiricalCdf, totalWeight, walkCdfs, type WeightedCdf } from './empirical-cdf.ts';
import { exactIsFeasible, exactTwoSampleSf } from './ks-exact.ts';
import { kolmogorovSf } from './kolmogorov.ts';

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  /** The method that produced the p-value, after 'auto' chose. */
  readonly method: 'exact' | 'asymp';
}

/** scipy's MAX_AUTO_N: 'auto' is exact while neither sample is larger. */
export const MAX_EXACT_SIZE = 10_000;

/** D = sup |F_a − F_b| over the values of both CDFs. */
export function ksStatistic(a: WeightedCdf, b: WeightedCdf): number {
  let largest = 0;
  let smallest = 0;
  walkCdfs(a, b, (_value, fa, fb) => {
    const difference = fa - fb;
    if (difference > largest) largest = difference;
    if (difference < smallest) smallest = difference;
  });
  return Math.max(largest, Math.min(1, -smallest));
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The two-sided p-value of D for samples of sizes m and n. */
export function ksPValue(statistic: number, m: number, n: number, method: KsMethod = 'auto'): KsResult {
  if (!(Number.isInteger(m) && Number.isInteger(n) && m > 0 && n > 0))
    throw new RangeError('sample sizes must be positive integers');
  const exact = method === 'auto' ? Math.max(m, n) <= MAX_EXACT_SIZE : method === 'exact' && exactIsFeasible(m, n);
  if (exact) return { ...exactTwoSampleSf(statistic, m, n), method: 'exact' };
  const [large, small] = m >= n ? [m, n] : [n, m];
  const effective = (large * small) / (large + small);
  return { statistic, pValue: kolmogorovSf(roundHalfEven(effective), statistic), method: 'asymp' };
}

/** The test on two raw samples (finite numbers; Evidently drops NaN and ±∞ first). */
export function ksTwoSample(
  reference: readonly number[],
  current: readonly number[],
  method: KsMethod = 'auto',
): KsResult {
  if (reference.length === 0 || current.length === 0) throw new RangeError('KS needs two non-empty samples');
  return ksFromCdfs(empiricalCdf(reference), empiricalCdf(current), method);
}

/** The test on two step CDFs whose weights are counts; sizes are the rounded total counts. */
export function ksFromCdfs(reference: WeightedCdf, current: WeightedCdf, method: KsMethod = 'auto'): KsResult {
  checkCdf(reference, 'reference');
  checkCdf(current, 'current');
  const m = Math.max(1, Math.round(totalWeight(reference)));
  const n = Math.max(1, Math.round(totalWeight(current)));
  return ksPValue(ksStatistic(reference, current), m, n, method);
}
