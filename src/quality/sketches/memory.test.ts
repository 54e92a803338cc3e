/**
 * Issue 15's proof of bounded memory: a million items into each sketch, with the serialised
 * size and the sketch's own size measure checked every 100 000 items against fixed bounds.
 * Process memory is not read: without --expose-gc it measures the collector, not the sketch.
 * The text summary's million texts are in text-summary.test.ts, to keep each file near 2 s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import { FrequentItems } from './frequent-items.ts';
import { VectorMoments } from './moments.ts';
import { QuantileSketch } from './quantile-sketch.ts';

const ITEMS = 1_000_000;
const CHECK_EVERY = 100_000;

interface Measure {
  /** The sketch's own size: values or counters held. */
  readonly held: number;
  /** Characters of its JSON. */
  readonly bytes: number;
}

/** Feeds `ITEMS` items and returns the size at each checkpoint. */
function grow(add: (i: number) => void, measure: () => Measure): Measure[] {
  const sizes: Measure[] = [];
  for (let i = 0; i < ITEMS; i++) {
    add(i);
    if ((i + 1) % CHECK_EVERY === 0) sizes.push(measure());
  }
  return sizes;
}

function assertBounded(sizes: readonly Measure[], held: number, bytes: number): void {
  assert.equal(sizes.length, ITEMS / CHECK_EVERY);
  for (const size of sizes) {
    assert.ok(size.held <= held, `held ${size.held} > ${held}`);
    assert.ok(size.bytes <= bytes, `JSON ${size.bytes} > ${bytes}`);
  }
}

describe('sketch memory over a million items', () => {
  it('a quantile sketch holds under 800 values and 20 KB of JSON, over a mix of distributions', () => {
    const rng = createRng(1);
    const sketch = new QuantileSketch();
    const draws = [() => rng.normal(), () => Math.exp(3 * rng.normal()), () => rng.next() * 1e6, () => rng.int(10)];
    const sizes = grow(
      (i) => sketch.add((draws[i % 4] as () => number)()),
      () => ({ held: sketch.retained, bytes: JSON.stringify(sketch).length }),
    );
    assertBounded(sizes, 800, 20_000);
    assert.equal(sketch.count, ITEMS);
  });

  it('a frequent-items sketch holds at most 2k counters over 200 000 distinct categories', () => {
    const rng = createRng(2);
    const sketch = new FrequentItems({ k: 64 });
    const sizes = grow(
      // Half from a small popular set, half from a long tail: many values fall out.
      (i) => sketch.add(i % 2 === 0 ? `popular-${rng.int(20)}` : `tail-${rng.int(200_000)}`),
      () => ({ held: sketch.size, bytes: JSON.stringify(sketch).length }),
    );
    assertBounded(sizes, 128, 8_000);
    assert.equal(sketch.total, ITEMS);
    assert.ok(sketch.dropped > 0 && sketch.maxError <= sketch.dropped / 65);
    assert.equal(sketch.estimates().filter((item) => item.value.startsWith('popular-')).length, 20);
  });

  it('vector moments of 16-dimension embeddings stay one fixed size', () => {
    const rng = createRng(3);
    const moments = new VectorMoments(16);
    const row = new Float64Array(16);
    const sizes = grow(
      (i) => {
        // Uniform noise around a drifting centre: cheaper to draw than normals, as good for a size test.
        for (let d = 0; d < row.length; d++) row[d] = d + i / ITEMS + rng.next() - 0.5;
        moments.add(row);
      },
      () => ({ held: moments.dimensions * 2, bytes: JSON.stringify(moments).length }),
    );
    assertBounded(sizes, 32, 2_000);
    assert.equal(moments.count, ITEMS);
  });
});
