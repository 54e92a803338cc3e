/**
 * Pearson's chi-squared test of the live window's category counts against the reference's
 * proportions, as Evidently's `chisquare` stattest runs it
 * (evidently/legacy/calculations/stattests/chisquare_stattest.py): over the union of categories,
 * expected = reference count × (live total / reference total), then scipy.stats.chisquare with
 * k − 1 degrees of freedom. A category the reference never saw has expected 0, so its term is
 * infinite and the p-value 0: Evidently (and scipy) report certain drift, and so do we.
 */
import { chiSquaredSf } from './special-functions.ts';
import { checkCounts, totalCount, unionCategories, type CategoryCounts } from './samples.ts';

export interface ChiSquaredResult {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** Categories the live window has and the reference lacks (each makes the statistic infinite). */
  readonly unseenInReference: readonly string[];
}

/** `reference` may be counts or proportions: only its shape is used. */
export function chiSquaredTest(reference: CategoryCounts, live: CategoryCounts): ChiSquaredResult {
  checkCounts(reference, 'reference');
  checkCounts(live, 'live');
  const categories = unionCategories(reference, live);
  const scale = totalCount(live) / totalCount(reference);
  let statistic = 0;
  const unseenInReference: string[] = [];
  for (const category of categories) {
    const expected = (reference[category] ?? 0) * scale;
    const observed = live[category] ?? 0;
    if (expected === 0) unseenInReference.push(category);
    statistic += expected === 0 ? Number.POSITIVE_INFINITY : (observed - expected) ** 2 / expected;
  }
  const degreesOfFreedom = categories.length - 1;
  // One category leaves nothing to compare: scipy answers NaN, we answer "no evidence of drift".
  const pValue = degreesOfFreedom === 0 ? 1 : chiSquaredSf(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, pValue, unseenInReference };
}
