/**
 * What the drift tests compare: a numeric feature's values, or a categorical feature's counts
 * per category (the shape the reference profile stores). Categories are compared over the union
 * of both sides, as Evidently does (`get_unique_not_nan_values_list_from_series`): a category
 * present on one side only counts 0 on the other.
 */

export type CategoryCounts = Readonly<Record<string, number>>;

export type FeatureSample =
  | { readonly kind: 'numeric'; readonly values: readonly number[] }
  | { readonly kind: 'categorical'; readonly counts: CategoryCounts };

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
export function countValues(values: ReadonlyArray<number | string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) {
    const key = String(value);
    counts[key] = (counts[key] ?? 0) + 1;
  }
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

/** Evidently drops NaN and ±∞ before testing a numeric column (legacy/calculations/data_drift.py). */
export function finiteValues(values: readonly number[]): number[] {
  return values.filter((value) => Number.isFinite(value));
}

/** How many rows the sample holds (Evidently's `reference_data.shape[0]` after cleaning). */
export function sampleSize(sample: FeatureSample): number {
  return sample.kind === 'numeric' ? sample.values.length : totalCount(sample.counts);
}

/** The sample as counts per category (numeric values become categories by value). */
export function asCounts(sample: FeatureSample): CategoryCounts {
  return sample.kind === 'numeric' ? countValues(sample.values) : sample.counts;
}
