/**
 * Two-proportion Z-test for a feature with at most two values, as Evidently's `z` stattest
 * (evidently/legacy/calculations/stattests/z_stattest.py): the categories are sorted, the second
 * one is "1", and z = (p_ref − p_live) / √(P(1 − P)(1/n_ref + 1/n_live)) with P the pooled share.
 * When both sides hold the same single value the p-value is 1, as in Evidently.
 *
 * Evidently's two-sided p-value is 2(1 − Φ(|z|)); we compute erfc(|z|/√2), the same number
 * without the cancellation that makes Evidently's round to 0 for |z| > 8.3. They differ by less
 * than 1e-16 absolutely, so the verdict at 0.05 is always the same.
 */
import { erfc } from './special-functions.ts';
import { checkCounts, totalCount, unionCategories, type CategoryCounts } from './samples.ts';

export interface ZTestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/** Two-sided p-value of a standard normal statistic. */
export function twoSidedNormalPValue(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

export function zTest(reference: CategoryCounts, live: CategoryCounts): ZTestResult {
  checkCounts(reference, 'reference');
  checkCounts(live, 'live');
  const categories = unionCategories(reference, live).sort();
  if (categories.length > 2) throw new RangeError(`the Z-test takes at most two categories, got ${categories.length}`);
  const second = categories[1];
  if (second === undefined) return { statistic: 0, pValue: 1 };
  const nReference = totalCount(reference);
  const nLive = totalCount(live);
  const pReference = (reference[second] ?? 0) / nReference;
  const pLive = (live[second] ?? 0) / nLive;
  const pooled = (pReference * nReference + pLive * nLive) / (nReference + nLive);
  const statistic = (pReference - pLive) / Math.sqrt(pooled * (1 - pooled) * (1 / nReference + 1 / nLive));
  return { statistic, pValue: twoSidedNormalPValue(statistic) };
}
