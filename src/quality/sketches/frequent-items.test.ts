import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import { FrequentItems } from './frequent-items.ts';

/** A Zipf-like stream over `distinct` values (value i drawn with weight 1/(i+1)) plus a sprinkle of one-offs. */
function stream(seed: number, n: number, distinct: number, prefix = 'v'): string[] {
  const rng = createRng(seed);
  const harmonic = Array.from({ length: distinct }, (_, i) => 1 / (i + 1));
  const cumulative: number[] = [];
  harmonic.reduce((sum, weight) => (cumulative.push(sum + weight), sum + weight), 0);
  const total = cumulative[cumulative.length - 1] as number;
  return Array.from({ length: n }, () => {
    if (rng.chance(0.05)) return `once-${rng.int(1e9)}`;
    const target = rng.next() * total;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return `${prefix}${lo}`;
  });
}

function exactCounts(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function sketchOf(values: readonly string[], k = 64): FrequentItems {
  const sketch = new FrequentItems({ k });
  for (const value of values) sketch.add(value);
  return sketch;
}

/** Every value's true count lies in its bounds, and the error obeys maxError ≤ dropped/(k+1) ≤ total/(k+1). */
function assertBounds(sketch: FrequentItems, exact: Map<string, number>): void {
  for (const [value, count] of exact) {
    const { lower, upper } = sketch.estimate(value);
    assert.ok(lower <= count && count <= upper, `${value}: ${count} outside [${lower}, ${upper}]`);
  }
  assert.ok(sketch.maxError <= sketch.dropped / (sketch.k + 1) + 1e-9, `${sketch.maxError} vs ${sketch.dropped}`);
  assert.ok(sketch.size <= 2 * sketch.k);
}

describe('the Misra–Gries frequent-items sketch', () => {
  it('bounds every value’s count and keeps every value above total/(k+1)', () => {
    const values = stream(1, 100_000, 5_000);
    const exact = exactCounts(values);
    const sketch = sketchOf(values);
    assertBounds(sketch, exact);
    assert.equal(sketch.total, 100_000);
    const kept = new Set(sketch.estimates().map((item) => item.value));
    for (const [value, count] of exact) if (count > sketch.total / (sketch.k + 1)) assert.ok(kept.has(value), value);
    assert.equal(sketch.estimates()[0]?.value, 'v0');
  });

  it('is exact, with no error, while the values fit in its counters', () => {
    const sketch = sketchOf(['a', 'b', 'a', 'c', 'a', 'b'], 4);
    assert.deepEqual(sketch.estimates(), [
      { value: 'a', lower: 3, upper: 3 },
      { value: 'b', lower: 2, upper: 2 },
      { value: 'c', lower: 1, upper: 1 },
    ]);
    assert.equal(sketch.maxError, 0);
    assert.equal(sketch.dropped, 0);
    assert.deepEqual(sketch.estimate('never'), { value: 'never', lower: 0, upper: 0 });
  });

  it('says a value is new only when its count in the reference is bounded below the current share', () => {
    const reference = sketchOf(stream(2, 50_000, 2_000));
    const current = sketchOf([...stream(3, 45_000, 2_000), ...Array.from({ length: 5_000 }, () => 'brand-new')]);
    const before = reference.estimate('brand-new');
    const now = current.estimate('brand-new');
    assert.equal(before.lower, 0);
    assert.ok(before.upper / reference.total < now.lower / current.total, JSON.stringify({ before, now }));
    assert.ok(reference.dropped > 0);
  });

  it('honours weights', () => {
    const sketch = new FrequentItems({ k: 2 });
    sketch.add('x', 2.5);
    sketch.add('y', 1);
    sketch.add('z', 0.5);
    sketch.add('w', 0.25);
    sketch.add('x', 1);
    assertBounds(
      sketch,
      new Map([
        ['x', 3.5],
        ['y', 1],
        ['z', 0.5],
        ['w', 0.25],
      ]),
    );
    assert.equal(sketch.total, 5.25);
    assert.throws(() => sketch.add('x', 0), /positive/);
  });

  it('merged from two windows keeps the bounds of one window of both', () => {
    const a = stream(4, 60_000, 3_000);
    const b = stream(5, 40_000, 3_000, 'w');
    const merged = sketchOf(a);
    merged.merge(sketchOf(b));
    const exact = exactCounts([...a, ...b]);
    assertBounds(merged, exact);
    const single = sketchOf([...a, ...b]);
    assert.equal(merged.total, single.total);
    // Both guarantee the same thing: whatever has a share above 1/(k+1) is kept by each.
    const heavy = [...exact].filter(([, count]) => count > merged.total / (merged.k + 1)).map(([value]) => value);
    for (const sketch of [merged, single]) {
      const kept = new Set(sketch.estimates().map((item) => item.value));
      for (const value of heavy) assert.ok(kept.has(value), value);
    }
  });

  it('merged from many replicas keeps the bounds', () => {
    const parts = Array.from({ length: 12 }, (_, part) => stream(10 + part, 5_000, 2_000));
    const merged = new FrequentItems();
    for (const part of parts) merged.merge(sketchOf(part));
    assertBounds(merged, exactCounts(parts.flat()));
  });

  it('cuts long values to bound a counter’s size', () => {
    const sketch = new FrequentItems({ maxValueLength: 8 });
    sketch.add('abcdefghijkl');
    assert.deepEqual(sketch.estimates(), [{ value: 'abcdefgh', lower: 1, upper: 1 }]);
    assert.equal(sketch.estimate('abcdefghXYZ').lower, 1);
  });

  it('round-trips through JSON text to the same state, and goes on the same', () => {
    const sketch = sketchOf(stream(6, 20_000, 1_000));
    const copy = FrequentItems.fromJSON(JSON.parse(JSON.stringify(sketch)));
    assert.deepEqual(copy.toJSON(), sketch.toJSON());
    for (const value of stream(7, 5_000, 1_000)) {
      copy.add(value);
      sketch.add(value);
    }
    assert.deepEqual(copy.toJSON(), sketch.toJSON());
  });

  it('refuses a serialised sketch holding more than its total, a repeated value or another k on merge', () => {
    const json = sketchOf(['a', 'b']).toJSON();
    assert.throws(() => FrequentItems.fromJSON({ ...json, total: 1 }), /more than the total/);
    assert.throws(
      () =>
        FrequentItems.fromJSON({
          ...json,
          counters: [
            ['a', 1],
            ['a', 1],
          ],
        }),
      /repeated/,
    );
    assert.throws(() => new FrequentItems().merge(new FrequentItems({ k: 8 })), /different k/);
  });
});
