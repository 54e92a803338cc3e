import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import { RunningMoments, VectorMoments } from './moments.ts';

/** Two-pass mean and population variance, the reference Welford must match. */
function exact(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((sum, x) => sum + x, 0) / values.length;
  return { mean, variance: values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / values.length };
}

function close(actual: number, expected: number, relative = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);
}

function momentsOf(values: readonly number[]): RunningMoments {
  const moments = new RunningMoments();
  for (const x of values) moments.add(x);
  return moments;
}

function draws(seed: number, n: number, centre: number, scale: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => centre + scale * rng.normal());
}

function vectors(seed: number, n: number, dimensions: number, shift: number): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: dimensions }, (_, d) => shift + d + rng.normal()));
}

function vectorMomentsOf(rows: readonly Float64Array[], dimensions: number): VectorMoments {
  const moments = new VectorMoments(dimensions);
  for (const row of rows) moments.add(row);
  return moments;
}

describe('running moments', () => {
  it('match a two-pass mean and variance, even far from zero where naive sums lose digits', () => {
    const values = draws(1, 100_000, 1e9, 3);
    const moments = momentsOf(values);
    const reference = exact(values);
    close(moments.mean, reference.mean, 1e-15);
    close(moments.variance, reference.variance, 1e-6);
    close(moments.sampleVariance, (reference.variance * values.length) / (values.length - 1), 1e-6);
    assert.equal(moments.count, values.length);
    assert.equal(
      moments.min,
      values.reduce((a, b) => Math.min(a, b)),
    );
  });

  it('merged from two windows equal one window of both up to rounding', () => {
    const a = draws(2, 30_000, 5, 2);
    const b = draws(3, 10_000, -1, 0.5);
    const merged = momentsOf(a);
    merged.merge(momentsOf(b));
    const single = momentsOf([...a, ...b]);
    assert.equal(merged.count, single.count);
    close(merged.mean, single.mean, 1e-12);
    close(merged.variance, single.variance, 1e-12);
    assert.equal(merged.min, single.min);
    assert.equal(merged.max, single.max);
  });

  it('merge with an empty side changes nothing, and an empty window reads as empty', () => {
    const moments = momentsOf([1, 2, 3]);
    moments.merge(new RunningMoments());
    const empty = new RunningMoments();
    empty.merge(momentsOf([1, 2, 3]));
    assert.deepEqual(empty.toJSON(), moments.toJSON());
    const none = new RunningMoments();
    assert.ok(none.mean === 0 && none.variance === 0 && Number.isNaN(none.sampleVariance) && Number.isNaN(none.min));
  });

  it('count NaN and infinities as rejected and leave them out', () => {
    const moments = momentsOf([1, NaN, 3, Infinity]);
    assert.equal(moments.count, 2);
    assert.equal(moments.rejected, 2);
    assert.equal(moments.mean, 2);
  });

  it('round-trip through JSON text exactly', () => {
    const moments = momentsOf(draws(4, 1_000, 0, 1));
    const copy = RunningMoments.fromJSON(JSON.parse(JSON.stringify(moments)));
    assert.deepEqual(copy.toJSON(), moments.toJSON());
    assert.deepEqual(RunningMoments.fromJSON(new RunningMoments().toJSON()).toJSON(), new RunningMoments().toJSON());
    assert.throws(() => RunningMoments.fromJSON({ ...moments.toJSON(), m2: -1 }));
  });
});

describe('vector moments of embeddings', () => {
  it('give the per-dimension mean and variance, the mean’s norm and the spread', () => {
    const rows = vectors(5, 20_000, 16, 0);
    const moments = vectorMomentsOf(rows, 16);
    for (let d = 0; d < 16; d++) {
      const column = rows.map((row) => row[d] as number);
      const reference = exact(column);
      close(moments.mean()[d] as number, reference.mean, 1e-12);
      close(moments.variance()[d] as number, reference.variance, 1e-9);
    }
    const mean = moments.mean();
    close(moments.meanNorm(), Math.sqrt(mean.reduce((sum, x) => sum + x * x, 0)), 1e-12);
    close(
      moments.totalVariance(),
      moments.variance().reduce((sum, x) => sum + x, 0),
      1e-12,
    );
    const norms = rows.map((row) => Math.sqrt(row.reduce((sum, x) => sum + x * x, 0)));
    close(moments.norms.mean, exact(norms).mean, 1e-12);
  });

  it('merged from two windows equal one window of both up to rounding', () => {
    const a = vectors(6, 5_000, 8, 0);
    const b = vectors(7, 3_000, 8, 2);
    const merged = vectorMomentsOf(a, 8);
    merged.merge(vectorMomentsOf(b, 8));
    const single = vectorMomentsOf([...a, ...b], 8);
    assert.equal(merged.count, single.count);
    single.mean().forEach((x, d) => close(merged.mean()[d] as number, x, 1e-12));
    single.variance().forEach((x, d) => close(merged.variance()[d] as number, x, 1e-12));
    close(merged.norms.variance, single.norms.variance, 1e-12);
  });

  it('skip a vector holding NaN, refuse one of the wrong length, and round-trip through JSON', () => {
    const moments = vectorMomentsOf(vectors(8, 100, 4, 0), 4);
    moments.add([1, NaN, 2, 3]);
    assert.equal(moments.rejected, 1);
    assert.equal(moments.count, 100);
    assert.throws(() => moments.add([1, 2]), /expected 4 dimensions/);
    assert.throws(() => moments.merge(new VectorMoments(3)), /different dimensions/);
    const copy = VectorMoments.fromJSON(JSON.parse(JSON.stringify(moments)));
    assert.deepEqual(copy.toJSON(), moments.toJSON());
    assert.throws(() => VectorMoments.fromJSON({ ...moments.toJSON(), mean: [1] }), /another length/);
  });
});
