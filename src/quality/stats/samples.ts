/**
 * What the drift tests compare: a numeric feature's values, or a categorical feature's counts
 * per category (the shape the reference profile stores). Categories are compared over the union
 * of both sides, as Evidently does (`get_unique_not_nan_values_list_from_series`): a category
 * present on one side only counts 0 on the other.
 */
import { empiricalCdf, weightedCdf, type WeightedCdf } from './empirical-cdf.ts';

export type CategoryCounts = Readonly<Record<string, number>>;

/**
 * A numeric sample is raw values, or values with the count each stands for: a quantile sketch's
 * `weightedValues()` goes in as it is, `{ kind: 'numeric', ...sketch.weightedValues() }`.
 */
export interface NumericSample {
  readonly kind: 'numeric';
  readonly values: readonly number[];
  /** Counts per value (1 each when omitted); any order, ties allowed. */
  readonly weights?: readonly number[] | undefined;
}

export type FeatureSample = NumericSample | { readonly kind: 'categorical'; readonly counts: CategoryCounts };

/** Categories seen (count > 0) on either side: the reference's first, then the live window's new ones. */
export function unionCategories(reference: CategoryCounts, live: CategoryCounts): string[] {
  const seen = new Set<string>();
  for (const counts of [reference, live]) {
    for (const [category, count] of Object.entries(counts)) if (count > 0) seen.add(category);
  }
  return [...seen];
}

export function totalCount(counts: CategoryCounts): number {
  let total = 0;
  for (const count of Object.values(counts)) total += count;
  return total;
}

/** Counts of each distinct value; numbers are keyed by their shortest round-trip text, so 0 and −0 are one key. */
export function countValues(
  values: ReadonlyArray<number | string>,
  weights?: readonly number[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  values.forEach((value, index) => {
    const key = String(value);
    counts[key] = (counts[key] ?? 0) + (weights?.[index] ?? 1);
  });
  return counts;
}

/** Throws unless every count is a finite non-negative number and the total is positive. */
export function checkCounts(counts: CategoryCounts, name: string): void {
  for (const count of Object.values(counts)) {
    if (!(count >= 0) || !Number.isFinite(count))
      throw new RangeError(`${name}: counts must be finite and non-negative`);
  }
  if (!(totalCount(counts) > 0)) throw new RangeError(`${name}: no observations`);
}

/**
 * The sample's step CDF, with NaN and ±∞ dropped as Evidently drops them before testing a numeric
 * column (legacy/calculations/data_drift.py).
 */
export function numericCdf(sample: NumericSample): WeightedCdf {
  const keep = sample.values.map((value) => Number.isFinite(value));
  const values = sample.values.filter((_, index) => keep[index]);
  if (sample.weights === undefined) return empiricalCdf(values);
  if (sample.weights.length !== sample.values.length) throw new RangeError('values and weights differ in length');
  return weightedCdf(
    values,
    sample.weights.filter((_, index) => keep[index]),
  );
}

/** How many rows the sample holds (Evidently's `reference_data.shape[0]`): its total count. */
export function sampleSize(sample: FeatureSample): number {
  if (sample.kind === 'categorical') return totalCount(sample.counts);
  if (sample.weights === undefined) return sample.values.length;
  return sample.weights.reduce((total, weight) => total + weight, 0);
}

/** The sample as counts per category (numeric values become categories by value). */
export function asCounts(sample: FeatureSample): CategoryCounts {
  return sample.kind === 'numeric' ? countValues(sample.values, sample.weights) : sample.counts;
}
