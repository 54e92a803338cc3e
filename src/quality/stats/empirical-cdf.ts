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

/** Appends ascending values, merging a value equal to the last one (0 and −0 are one value). */
class CdfBuilder implements WeightedCdf {
  readonly values: number[] = [];
  readonly weights: number[] = [];

  add(value: number, weight: number): void {
    const last = this.values.length - 1;
    if (last >= 0 && this.values[last] === value) this.weights[last] = (this.weights[last] ?? 0) + weight;
    else {
      this.values.push(value);
      this.weights.push(weight);
    }
  }
}

/** The empirical CDF of a sample: sorted, ties collapsed into one value with their count. */
export function empiricalCdf(sample: readonly number[]): WeightedCdf {
  if (sample.some((value) => !Number.isFinite(value))) throw new RangeError('a sample must hold finite numbers only');
  const cdf = new CdfBuilder();
  for (const value of Float64Array.from(sample).sort()) cdf.add(value, 1);
  return cdf;
}

/**
 * The step CDF of values with weights, in any order (a sketch's retained values and what each
 * stands for): sorted, ties merged, values of weight 0 left out.
 */
export function weightedCdf(values: readonly number[], weights: readonly number[]): WeightedCdf {
  if (weights.length !== values.length) throw new RangeError('values and weights differ in length');
  const order = Array.from(values.keys()).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
  const cdf = new CdfBuilder();
  for (const index of order) {
    const value = values[index] ?? Number.NaN;
    const weight = weights[index] ?? Number.NaN;
    if (!Number.isFinite(value) || !(weight >= 0) || !Number.isFinite(weight))
      throw new RangeError('values must be finite and weights finite and non-negative');
    if (weight > 0) cdf.add(value, weight);
  }
  return cdf;
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
