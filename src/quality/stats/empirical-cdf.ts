/**
 * A step CDF given as distinct ascending values with the weight each stands for: a raw sample
 * (weight = how often the value occurs) or a quantile sketch (a centroid's value and count).
 * KS and Wasserstein read a distribution only through this, so a live window summarised by a
 * sketch plugs in where the raw rows would, with the sketch's resolution as the only error.
 */

export interface WeightedCdf {
  /** Strictly ascending, finite. */
  readonly values: readonly number[];
  /** Non-negative; for KS's p-value these are counts of observations. */
  readonly weights: readonly number[];
}

/** The empirical CDF of a sample: sorted, ties collapsed into one value with their count. */
export function empiricalCdf(sample: readonly number[]): WeightedCdf {
  if (sample.some((value) => !Number.isFinite(value))) throw new RangeError('a sample must hold finite numbers only');
  const sorted = Float64Array.from(sample).sort();
  const values: number[] = [];
  const weights: number[] = [];
  for (const value of sorted) {
    const last = values.length - 1;
    if (last >= 0 && values[last] === value) weights[last] = (weights[last] ?? 0) + 1;
    else {
      values.push(value);
      weights.push(1);
    }
  }
  return { values, weights };
}

export function totalWeight(cdf: WeightedCdf): number {
  let total = 0;
  for (const weight of cdf.weights) total += weight;
  return total;
}

/** Throws unless the CDF is well formed and not empty. */
export function checkCdf(cdf: WeightedCdf, name: string): void {
  if (cdf.values.length !== cdf.weights.length) throw new RangeError(`${name}: values and weights differ in length`);
  if (cdf.values.length === 0) throw new RangeError(`${name}: the distribution is empty`);
  for (let i = 0; i < cdf.values.length; i++) {
    const value = cdf.values[i] ?? Number.NaN;
    const weight = cdf.weights[i] ?? Number.NaN;
    if (!Number.isFinite(value) || !(weight >= 0) || !Number.isFinite(weight))
      throw new RangeError(`${name}: values must be finite and weights non-negative`);
    if (i > 0 && !(value > (cdf.values[i - 1] ?? Number.NaN))) throw new RangeError(`${name}: values must ascend`);
  }
  if (!(totalWeight(cdf) > 0)) throw new RangeError(`${name}: the total weight must be positive`);
}

/**
 * Visits every value of either CDF in ascending order with both CDFs evaluated there
 * (right-continuous: F(v) counts the weight at v). Each F is a running count over its total,
 * the same division scipy does, so unit weights give bit-identical CDF values.
 */
export function walkCdfs(a: WeightedCdf, b: WeightedCdf, visit: (value: number, fa: number, fb: number) => void): void {
  const totalA = totalWeight(a);
  const totalB = totalWeight(b);
  let i = 0;
  let j = 0;
  let cumulativeA = 0;
  let cumulativeB = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = a.values[i] ?? Number.POSITIVE_INFINITY;
    const vb = b.values[j] ?? Number.POSITIVE_INFINITY;
    const value = Math.min(va, vb);
    if (va === value) cumulativeA += a.weights[i++] ?? 0;
    if (vb === value) cumulativeB += b.weights[j++] ?? 0;
    visit(value, cumulativeA / totalA, cumulativeB / totalB);
  }
}
