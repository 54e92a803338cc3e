import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, type Rng } from '../../core/seeded-rng.ts';
import { QuantileSketch, rankError } from './quantile-sketch.ts';

const EPS = rankError(200);

type Draw = (rng: Rng, i: number) => number;
const distributions: Record<string, Draw> = {
  normal: (rng) => rng.normal(),
  lognormal: (rng) => Math.exp(2 * rng.normal()),
  'sorted ascending': (_, i) => i,
  'few distinct values': (rng) => rng.int(7),
  'normal with far outliers': (rng) => (rng.chance(0.01) ? 1e9 * rng.normal() : rng.normal()),
};

function draw(seed: number, n: number, fn: Draw): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, (_, i) => fn(rng, i));
}

function sketchOf(values: ArrayLike<number>, seed = 1): QuantileSketch {
  const sketch = new QuantileSketch({ seed });
  for (let i = 0; i < values.length; i++) sketch.add(values[i] as number);
  return sketch;
}

/** Exact fraction of values ≤ x (or < x when `strict`) in an ascending array. */
function exactCdf(sorted: Float64Array, x: number, strict = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const value = sorted[mid] as number;
    if (strict ? value < x : value <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

/** Largest |sketch cdf − exact cdf| at 99 points, and how far each returned quantile's exact rank is from q. */
function worstErrors(sketch: QuantileSketch, values: Float64Array): { cdf: number; quantile: number } {
  const sorted = values.slice().sort();
  let cdf = 0;
  let quantile = 0;
  for (let j = 1; j < 100; j++) {
    const q = j / 100;
    const x = sorted[Math.floor(q * sorted.length)] as number;
    cdf = Math.max(cdf, Math.abs(sketch.cdf(x) - exactCdf(sorted, x)));
    const estimate = sketch.quantile(q);
    // A value's rank is a range when it repeats: the distance from q to that range.
    const above = exactCdf(sorted, estimate);
    const below = exactCdf(sorted, estimate, true);
    quantile = Math.max(quantile, q < below ? below - q : q > above ? q - above : 0);
  }
  return { cdf, quantile };
}

describe('the KLL quantile sketch', () => {
  for (const [name, fn] of Object.entries(distributions)) {
    it(`answers cdf and quantiles within the rank error for 100 000 values, ${name}`, () => {
      const values = draw(7, 100_000, fn);
      const sketch = sketchOf(values);
      const errors = worstErrors(sketch, values);
      assert.ok(errors.cdf <= EPS, `cdf error ${errors.cdf} over ${EPS}`);
      assert.ok(errors.quantile <= EPS, `quantile rank error ${errors.quantile} over ${EPS}`);
      assert.equal(sketch.count, 100_000);
      assert.equal(
        sketch.min,
        values.reduce((a, b) => Math.min(a, b)),
      );
      assert.equal(
        sketch.max,
        values.reduce((a, b) => Math.max(a, b)),
      );
    });
  }

  it('is exact while everything still fits, with min and max at q = 0 and 1', () => {
    const sketch = sketchOf([5, 1, 4, 2, 3]);
    assert.deepEqual(sketch.quantiles(5), [1, 2, 3, 4, 5]);
    assert.equal(sketch.quantile(0), 1);
    assert.equal(sketch.quantile(1), 5);
    assert.equal(sketch.cdf(3), 0.6);
    assert.equal(sketch.cdf(0), 0);
    assert.deepEqual(sketch.binCounts([1.5, 3, 10]), [1, 2, 2, 0]);
  });

  it('keeps NaN and infinities out of the distribution and counts them', () => {
    const sketch = sketchOf([1, NaN, Infinity, 2, -Infinity]);
    assert.equal(sketch.count, 2);
    assert.equal(sketch.rejected, 3);
    assert.equal(sketch.max, 2);
  });

  it('answers NaN when empty, and serialises an empty sketch', () => {
    const sketch = new QuantileSketch();
    assert.ok(Number.isNaN(sketch.quantile(0.5)) && Number.isNaN(sketch.cdf(0)) && Number.isNaN(sketch.min));
    assert.deepEqual(QuantileSketch.fromJSON(JSON.parse(JSON.stringify(sketch))).toJSON(), sketch.toJSON());
  });

  it('merged from two windows answers like one window of both, within the rank error', () => {
    const a = draw(11, 150_000, distributions['normal'] as Draw);
    const b = draw(12, 100_000, (rng) => 1 + 0.5 * rng.normal());
    const merged = sketchOf(a, 1);
    merged.merge(sketchOf(b, 2));
    const both = Float64Array.from([...a, ...b]);
    const single = sketchOf(both, 3);
    const errors = worstErrors(merged, both);
    assert.ok(errors.cdf <= EPS && errors.quantile <= EPS, JSON.stringify(errors));
    assert.equal(merged.count, single.count);
    assert.equal(merged.min, single.min);
    assert.equal(merged.max, single.max);
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.99]) {
      const x = single.quantile(q);
      assert.ok(Math.abs(merged.cdf(x) - single.cdf(x)) <= 2 * EPS, `q ${q}`);
    }
  });

  it('merged from twenty replicas of unequal size stays within the rank error', () => {
    const values = draw(21, 200_000, distributions['lognormal'] as Draw);
    const merged = new QuantileSketch();
    let from = 0;
    for (let part = 0; part < 20; part++) {
      const to = part === 19 ? values.length : from + 1_000 * (part + 1);
      merged.merge(sketchOf(values.subarray(from, to), part + 100));
      from = to;
    }
    const errors = worstErrors(merged, values);
    assert.ok(errors.cdf <= EPS && errors.quantile <= EPS, JSON.stringify(errors));
    assert.equal(merged.count, values.length);
  });

  it('reads as a weighted CDF: values strictly ascending, ties collapsed, weights summing to the count', () => {
    const sketch = sketchOf(draw(8, 50_000, distributions['few distinct values'] as Draw));
    const { values, weights } = sketch.weightedValues();
    assert.deepEqual(values, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(
      weights.reduce((sum, weight) => sum + weight, 0),
      50_000,
    );
  });

  it('merges small windows exactly: the same weighted values as one sketch of both', () => {
    const merged = sketchOf([3, 1, 2]);
    merged.merge(sketchOf([-5, 0, 8]));
    assert.deepEqual(merged.weightedValues(), sketchOf([3, 1, 2, -5, 0, 8]).weightedValues());
  });

  it('merged with itself counts every value twice', () => {
    const sketch = sketchOf([1, 2, 3]);
    sketch.merge(sketch);
    assert.deepEqual(sketch.weightedValues(), { values: [1, 2, 3], weights: [2, 2, 2] });
  });

  it('round-trips through JSON text to the same state and the same answers', () => {
    const sketch = sketchOf(draw(31, 50_000, distributions['normal'] as Draw));
    sketch.add(NaN);
    const copy = QuantileSketch.fromJSON(JSON.parse(JSON.stringify(sketch)));
    assert.deepEqual(copy.toJSON(), sketch.toJSON());
    assert.deepEqual(copy.quantiles(50), sketch.quantiles(50));
    // The copy goes on as the original would: same coins, same compactions.
    for (const x of draw(32, 10_000, distributions['normal'] as Draw)) {
      copy.add(x);
      sketch.add(x);
    }
    assert.deepEqual(copy.toJSON(), sketch.toJSON());
  });

  it('refuses a serialised sketch whose levels do not weigh its count, or another kind', () => {
    const json = sketchOf([1, 2, 3]).toJSON();
    assert.throws(() => QuantileSketch.fromJSON({ ...json, count: 4 }), /weigh 3/);
    assert.throws(() => QuantileSketch.fromJSON({ ...json, kind: 'ddsketch' }));
    assert.throws(() => new QuantileSketch().merge(new QuantileSketch({ k: 100 })), /k 200 and 100/);
  });

  it('gives KS and 1-Wasserstein distances within the stated error of the exact ones', () => {
    const a = draw(41, 100_000, distributions['normal'] as Draw);
    const b = draw(42, 100_000, (rng) => 0.3 + 1.2 * rng.normal());
    const [sa, sb] = [sketchOf(a, 1), sketchOf(b, 2)];
    const [ea, eb] = [a.slice().sort(), b.slice().sort()];
    const grid = [...ea.filter((_, i) => i % 97 === 0), ...eb.filter((_, i) => i % 97 === 0)];
    const ks = (f: (x: number) => number, g: (x: number) => number): number =>
      Math.max(...grid.map((x) => Math.abs(f(x) - g(x))));
    const exactKs = ks(
      (x) => exactCdf(ea, x),
      (x) => exactCdf(eb, x),
    );
    const sketchKs = ks(
      (x) => sa.cdf(x),
      (x) => sb.cdf(x),
    );
    assert.ok(Math.abs(sketchKs - exactKs) <= 2 * EPS, `KS ${sketchKs} vs ${exactKs}`);

    const n = 1_000;
    const exactW1 = ea.reduce((sum, x, i) => sum + Math.abs(x - (eb[i] as number)), 0) / ea.length;
    const [qa, qb] = [sa.quantiles(n), sb.quantiles(n)];
    const sketchW1 = qa.reduce((sum, x, i) => sum + Math.abs(x - (qb[i] as number)), 0) / n;
    const range = Math.max(sa.max, sb.max) - Math.min(sa.min, sb.min);
    assert.ok(Math.abs(sketchW1 - exactW1) <= (4 * EPS + 2 / n) * range, `W1 ${sketchW1} vs ${exactW1}`);
    assert.ok(Math.abs(sketchW1 - exactW1) < 0.02, `W1 ${sketchW1} vs ${exactW1} in practice`);
  });
});
