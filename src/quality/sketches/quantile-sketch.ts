/**
 * A KLL quantile sketch (Karnin, Lang & Liberty 2016) for one numeric feature of a live window.
 *
 * Levels of "compactors": level h holds values that each stand for 2^h inputs. When the sketch
 * is full, the lowest over-full level is sorted and every other value (odd or even positions,
 * by a coin) moves up one level; the pair's other half is dropped. Capacities shrink by 2/3 per
 * level down from the top, so the sketch holds fewer than 3k + 8·H values (H levels, about
 * log2(n/k) + 2) whatever n is:
 *
 *   level H-1  [k values, weight 2^(H-1)]
 *   level H-2  [2k/3 values]
 *   ...        [at least 8 values]
 *   level 0    [new values, weight 1]
 *
 * The total weight always equals the count, so ranks are unbiased; the error is in rank, not
 * in value: `cdf(x)` is within ±ε of the true fraction of values ≤ x, and `quantile(q)`
 * returns a value whose true rank is within q ± ε, where ε = `rankError(k)` (1.33% at k = 200)
 * with 99% probability, for any input order. Min and max are exact.
 *
 * Hand-written rather than taken from npm: the DDSketch port there (@datadog/sketches-js, last
 * released April 2024) drops negative values on merge (its issue #22, open) and loses min and max on deserialising,
 * and a relative-value error does not bound a KS statistic, which is what drift reads.
 */
import { z } from 'zod';
import { appendTo, coin, upperBound } from './kll-helpers.ts';

const MIN_LEVEL_CAPACITY = 8;
const SHRINK = 2 / 3;
const MAX_K = 65_536;
export const DEFAULT_QUANTILE_K = 200;

/**
 * Normalised rank error, one-sided, at 99% confidence, as published for KLL by Apache
 * DataSketches (ε ≈ 2.296 / k^0.9723); the same lazy compaction is used here, and the tests
 * measure this implementation against it.
 */
export function rankError(k: number): number {
  return 2.296 / Math.pow(k, 0.9723);
}

const sketchJson = z.object({
  kind: z.literal('kll'),
  version: z.literal(1),
  k: z.number().int().min(MIN_LEVEL_CAPACITY).max(MAX_K),
  seed: z.number().int().min(0).max(0xffffffff),
  compactions: z.number().int().min(0),
  count: z.number().int().min(0),
  rejected: z.number().int().min(0),
  min: z.number().nullable(),
  max: z.number().nullable(),
  levels: z.array(z.array(z.number())).min(1).max(64),
});

export type QuantileSketchJson = z.infer<typeof sketchJson>;

/** Retained values, strictly ascending, with the number of inputs each stands for (stats' WeightedCdf). */
export interface WeightedValues {
  readonly values: readonly number[];
  readonly weights: readonly number[];
}

interface SortedView extends WeightedValues {
  /** cumulative[i] = weights[0] + … + weights[i]. */
  readonly cumulative: readonly number[];
}

export interface QuantileSketchOptions {
  /** Accuracy against memory: ε ≈ 2.3/k, about 3k values kept. Default 200. */
  readonly k?: number;
  /** Seeds the compaction coins, so a run can be replayed exactly. */
  readonly seed?: number;
}

export class QuantileSketch {
  readonly k: number;
  private readonly seed: number;
  private levels: number[][] = [[]];
  private retainedCount = 0;
  private capacityTotal: number;
  private compactions = 0;
  private total = 0;
  private nonFinite = 0;
  private low = Infinity;
  private high = -Infinity;
  private view: SortedView | undefined;

  constructor(options: QuantileSketchOptions = {}) {
    this.k = options.k ?? DEFAULT_QUANTILE_K;
    if (!Number.isInteger(this.k) || this.k < MIN_LEVEL_CAPACITY || this.k > MAX_K) {
      throw new RangeError(`k must be 8..${MAX_K}, got ${this.k}`);
    }
    this.seed = (options.seed ?? 0x5eed) >>> 0;
    this.capacityTotal = this.capacity(0);
  }

  /** Values added, not counting the rejected ones. */
  get count(): number {
    return this.total;
  }

  /** NaN and ±Infinity seen: kept out of the distribution, counted for the data-quality report. */
  get rejected(): number {
    return this.nonFinite;
  }

  /** Exact smallest value, NaN when empty. */
  get min(): number {
    return this.total === 0 ? NaN : this.low;
  }

  /** Exact largest value, NaN when empty. */
  get max(): number {
    return this.total === 0 ? NaN : this.high;
  }

  /** Values held now: the sketch's size, below `3k + 8·levels` at all times. */
  get retained(): number {
    return this.retainedCount;
  }

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.nonFinite++;
      return;
    }
    (this.levels[0] as number[]).push(x);
    this.retainedCount++;
    this.total++;
    if (x < this.low) this.low = x;
    if (x > this.high) this.high = x;
    this.view = undefined;
    if (this.retainedCount >= this.capacityTotal) this.compress();
  }

  /** Folds `other` into this sketch; the result has the same ε as one sketch of both streams. */
  merge(other: QuantileSketch): void {
    // Merging a sketch into itself would append each level to itself while reading it.
    if (other === this) other = QuantileSketch.fromJSON(this.toJSON());
    if (other.k !== this.k) throw new RangeError(`cannot merge KLL sketches of k ${this.k} and ${other.k}`);
    while (this.levels.length < other.levels.length) this.grow();
    other.levels.forEach((level, height) => appendTo(this.levels[height] as number[], level));
    this.retainedCount += other.retainedCount;
    this.total += other.total;
    this.nonFinite += other.nonFinite;
    this.compactions += other.compactions;
    this.low = Math.min(this.low, other.low);
    this.high = Math.max(this.high, other.high);
    this.view = undefined;
    if (this.retainedCount >= this.capacityTotal) this.compress();
  }

  /** Fraction of values ≤ x, within ±ε. */
  cdf(x: number): number {
    return this.total === 0 ? NaN : this.weightAtMost(x) / this.total;
  }

  /** The smallest retained value whose estimated rank reaches q·count; q = 0 and 1 give min and max. */
  quantile(q: number): number {
    if (this.total === 0 || !(q >= 0 && q <= 1)) return NaN;
    if (q === 0) return this.low;
    if (q === 1) return this.high;
    const view = this.sorted();
    const target = q * this.total;
    let lo = 0;
    let hi = view.values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((view.cumulative[mid] as number) >= target) hi = mid;
      else lo = mid + 1;
    }
    return view.values[lo] as number;
  }

  /**
   * n quantiles at the midpoints q = (i + ½)/n. The mean of |a_i − b_i| over two grids is the
   * 1-Wasserstein distance within 2(ε_a + ε_b)·range (each value's rank is off by ≤ ε) plus
   * 2·range/n (the grid), where range = max − min over both windows.
   */
  quantiles(n: number): number[] {
    return Array.from({ length: n }, (_, i) => this.quantile((i + 0.5) / n));
  }

  /** Counts in (-∞, e0], (e0, e1], …, (e_last, ∞) for ascending edges (PSI's bins); each within ±2ε·count. */
  binCounts(edges: readonly number[]): number[] {
    const below = edges.map((edge) => this.weightAtMost(edge));
    return [...below, this.total].map((cumulative, i) => cumulative - (i === 0 ? 0 : (below[i - 1] as number)));
  }

  /** The retained values with their weights, ties collapsed: KS and Wasserstein read a sketch through this. */
  weightedValues(): WeightedValues {
    const { values, weights } = this.sorted();
    return { values, weights };
  }

  toJSON(): QuantileSketchJson {
    return {
      kind: 'kll',
      version: 1,
      k: this.k,
      seed: this.seed,
      compactions: this.compactions,
      count: this.total,
      rejected: this.nonFinite,
      min: this.total === 0 ? null : this.low,
      max: this.total === 0 ? null : this.high,
      levels: this.levels.map((level) => [...level]),
    };
  }

  /** Rebuilds a sketch from `toJSON()`'s output (parsed JSON from any replica); throws on a malformed one. */
  static fromJSON(input: unknown): QuantileSketch {
    const json = sketchJson.parse(input);
    const weight = json.levels.reduce((sum, level, height) => sum + level.length * 2 ** height, 0);
    if (weight !== json.count) throw new RangeError(`KLL levels weigh ${weight}, count says ${json.count}`);
    if (json.levels.some((level) => level.some((value) => !Number.isFinite(value)))) {
      throw new RangeError('KLL levels hold a non-finite value');
    }
    const sketch = new QuantileSketch({ k: json.k, seed: json.seed });
    while (sketch.levels.length < json.levels.length) sketch.grow();
    sketch.levels = json.levels.map((level) => [...level]);
    sketch.retainedCount = json.levels.reduce((sum, level) => sum + level.length, 0);
    sketch.total = json.count;
    sketch.nonFinite = json.rejected;
    sketch.compactions = json.compactions;
    sketch.low = json.min ?? Infinity;
    sketch.high = json.max ?? -Infinity;
    // A peer's sketch over its bound (another k policy, or tampering) is brought back under it.
    if (sketch.retainedCount >= sketch.capacityTotal) sketch.compress();
    return sketch;
  }

  private capacity(height: number): number {
    const depth = this.levels.length - height - 1;
    return Math.max(MIN_LEVEL_CAPACITY, Math.ceil(this.k * Math.pow(SHRINK, depth)));
  }

  private grow(): void {
    this.levels.push([]);
    let total = 0;
    for (let height = 0; height < this.levels.length; height++) total += this.capacity(height);
    this.capacityTotal = total;
  }

  /** Lazy: compacts the lowest over-full levels until the sketch is back under its total capacity. */
  private compress(): void {
    while (this.retainedCount >= this.capacityTotal) {
      for (let height = 0; height < this.levels.length; height++) {
        if ((this.levels[height] as number[]).length < this.capacity(height)) continue;
        if (height + 1 === this.levels.length) this.grow();
        this.compact(height);
        if (this.retainedCount < this.capacityTotal) return;
      }
    }
  }

  private compact(height: number): void {
    const level = (this.levels[height] as number[]).sort((a, b) => a - b);
    // An odd one out stays behind, so the weight moved up is exactly twice what is kept.
    const start = level.length % 2;
    const offset = coin(this.seed, this.compactions++);
    const promoted: number[] = [];
    for (let i = start + offset; i < level.length; i += 2) promoted.push(level[i] as number);
    appendTo(this.levels[height + 1] as number[], promoted);
    this.levels[height] = level.slice(0, start);
    this.retainedCount -= level.length - start - promoted.length;
  }

  /** Estimated number of values ≤ x: the weight of retained values ≤ x. */
  private weightAtMost(x: number): number {
    if (this.total === 0) return 0;
    const view = this.sorted();
    const index = upperBound(view.values, x);
    return index === 0 ? 0 : (view.cumulative[index - 1] as number);
  }

  /** Retained values ascending, ties collapsed into one value carrying their summed weight. */
  private sorted(): SortedView {
    if (this.view !== undefined) return this.view;
    const pairs: [number, number][] = [];
    this.levels.forEach((level, height) => level.forEach((value) => pairs.push([value, 2 ** height])));
    pairs.sort((a, b) => a[0] - b[0]);
    const view = { values: [] as number[], weights: [] as number[], cumulative: [] as number[] };
    for (const [value, weight] of pairs) {
      const last = view.values.length - 1;
      if (last >= 0 && view.values[last] === value) {
        view.weights[last] = (view.weights[last] as number) + weight;
        view.cumulative[last] = (view.cumulative[last] as number) + weight;
      } else {
        view.values.push(value);
        view.weights.push(weight);
        view.cumulative.push((view.cumulative[last] ?? 0) + weight);
      }
    }
    this.view = view;
    return view;
  }
}
