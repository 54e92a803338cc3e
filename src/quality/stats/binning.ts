/**
 * Turns two samples into two share vectors over the same bins, as Evidently's `get_binned_data`
 * (evidently/legacy/calculations/stattests/utils.py) does for PSI and Jensen–Shannon:
 * - a numeric feature with more than 20 distinct reference values: a histogram whose bins come
 *   from numpy's 'sturges' rule over reference and live values together (not from the reference
 *   alone, whatever the docstring there says);
 * - otherwise (categories, or few numeric values): one bin per category of the union.
 * PSI then replaces empty bins by a small share (`fillEmptyShares`); Jensen–Shannon does not.
 */
import { totalWeight, type WeightedCdf } from './empirical-cdf.ts';
import { asCounts, numericCdf, totalCount, unionCategories, type FeatureSample } from './samples.ts';

/** Evidently bins a numeric feature by histogram above this many distinct reference values. */
export const MAX_CATEGORY_VALUES = 20;

export interface BinnedShares {
  readonly reference: number[];
  readonly live: number[];
}

/** numpy.histogram_bin_edges(values, bins='sturges'), with numpy's arithmetic step for step. */
export function sturgesEdges(values: readonly number[]): number[] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return sturgesEdgesOf(min, max, values.length);
}

/** The same edges from the extremes and the number of values alone. */
function sturgesEdgesOf(min: number, max: number, size: number): number[] {
  const [first, last] = min === max ? [min - 0.5, max + 0.5] : [min, max];
  const width = (max - min) / (Math.log2(size) + 1);
  const bins = width !== 0 ? Math.ceil((last - first) / width) : 1;
  const step = (last - first) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + first);
  edges[bins] = last;
  return edges;
}

/** numpy.histogram counts for given edges: [eᵢ, eᵢ₊₁) except the last bin, which is closed. */
export function histogramCounts(
  values: readonly number[],
  edges: readonly number[],
  weights?: readonly number[],
): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const last = edges[bins] ?? Number.NaN;
  values.forEach((value, index) => {
    if (!(value >= (edges[0] ?? Number.NaN)) || !(value <= last)) return;
    // The number of edges ≤ value, by binary search.
    let low = 0;
    let high = edges.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((edges[middle] ?? Number.NaN) <= value) low = middle + 1;
      else high = middle;
    }
    const bin = Math.min(low - 1, bins - 1);
    counts[bin] = (counts[bin] ?? 0) + (weights?.[index] ?? 1);
  });
  return counts;
}

/** Shares of each side in the 'sturges' bins over both sides together. */
function histogramShares(reference: WeightedCdf, live: WeightedCdf): BinnedShares {
  const min = Math.min(reference.values[0] ?? Number.NaN, live.values[0] ?? Number.NaN);
  const max = Math.max(reference.values.at(-1) ?? Number.NaN, live.values.at(-1) ?? Number.NaN);
  const referenceTotal = totalWeight(reference);
  const liveTotal = totalWeight(live);
  const edges = sturgesEdgesOf(min, max, referenceTotal + liveTotal);
  return {
    reference: histogramCounts(reference.values, edges, reference.weights).map((count) => count / referenceTotal),
    live: histogramCounts(live.values, edges, live.weights).map((count) => count / liveTotal),
  };
}

export function binnedShares(reference: FeatureSample, live: FeatureSample): BinnedShares {
  if (reference.kind !== live.kind) throw new RangeError('reference and live samples must be of the same kind');
  if (reference.kind === 'numeric' && live.kind === 'numeric') {
    const referenceCdf = numericCdf(reference);
    if (referenceCdf.values.length > MAX_CATEGORY_VALUES) return histogramShares(referenceCdf, numericCdf(live));
  }
  const referenceCounts = asCounts(reference);
  const liveCounts = asCounts(live);
  const categories = unionCategories(referenceCounts, liveCounts);
  const referenceTotal = totalCount(referenceCounts);
  const liveTotal = totalCount(liveCounts);
  return {
    reference: categories.map((category) => (referenceCounts[category] ?? 0) / referenceTotal),
    live: categories.map((category) => (liveCounts[category] ?? 0) / liveTotal),
  };
}

/**
 * Evidently's fill for empty bins, side by side: 0.0001, or the smallest non-zero share ÷ 10⁶ when
 * that share is itself ≤ 0.0001, so PSI's ln(r/c) stays finite.
 */
export function fillEmptyShares(shares: readonly number[]): number[] {
  const nonZero = shares.filter((share) => share !== 0);
  if (nonZero.length === 0) return [...shares];
  const smallest = Math.min(...nonZero);
  const fill = smallest <= 0.0001 ? smallest / 10 ** 6 : 0.0001;
  return shares.map((share) => (share === 0 ? fill : share));
}
