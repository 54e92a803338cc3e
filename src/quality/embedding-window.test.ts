import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Row } from '../core/tensors.ts';
import { createRng } from '../core/seeded-rng.ts';
import { EmbeddingWindow } from './embedding-window.ts';

function rowOf(values: ArrayLike<number>): Row {
  return { embedding: { dtype: 'float32', data: Float32Array.from(values), dims: [values.length] } };
}

function unitRows(seed: number, count: number, dimensions: number, shift = 0): Row[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const vector = Array.from({ length: dimensions }, (_, d) => (d === 0 ? shift : 0) + rng.normal());
    const norm = Math.hypot(...vector);
    return rowOf(vector.map((x) => x / norm));
  });
}

function windowOf(rows: readonly Row[]): EmbeddingWindow {
  const window = new EmbeddingWindow('embedding');
  for (const row of rows) window.add(row);
  return window;
}

describe('an embedding window', () => {
  test('two windows merged hold the same mean, variance and norms as one window of both', () => {
    const a = unitRows(1, 700, 16);
    const b = unitRows(2, 300, 16, 2);
    const merged = windowOf(a);
    merged.merge(windowOf(b));
    const single = windowOf([...a, ...b]);
    assert.equal(merged.count, 1000);
    const [m, s] = [merged.vectors, single.vectors];
    assert.ok(m !== undefined && s !== undefined);
    s.mean().forEach((x, d) => assert.ok(Math.abs((m.mean()[d] as number) - x) < 1e-12, `mean ${d}`));
    s.variance().forEach((x, d) => assert.ok(Math.abs((m.variance()[d] as number) - x) < 1e-12, `variance ${d}`));
    assert.ok(Math.abs(m.norms.mean - s.norms.mean) < 1e-12);
  });

  test('merged into an empty window, a window is copied: the same count, means and variances', () => {
    const empty = new EmbeddingWindow('embedding');
    empty.merge(windowOf(unitRows(3, 50, 4)));
    const copy = empty.vectors?.toJSON();
    const original = windowOf(unitRows(3, 50, 4)).vectors?.toJSON();
    assert.deepEqual([copy?.count, copy?.mean, copy?.m2], [original?.count, original?.mean, original?.m2]);
    assert.ok(Math.abs((copy?.norms.mean ?? 0) - (original?.norms.mean ?? 1)) < 1e-12);
  });

  test('its memory does not grow with the items: the same JSON size after 1,000 and after 100,000 vectors', () => {
    const window = new EmbeddingWindow('embedding');
    const rng = createRng(4);
    const row = new Float32Array(64);
    const tensor: Row = { embedding: { dtype: 'float32', data: row, dims: [64] } };
    const sizes: number[] = [];
    for (let i = 1; i <= 100_000; i++) {
      for (let d = 0; d < 64; d++) row[d] = rng.next() - 0.5;
      window.add(tensor);
      if (i === 1_000 || i === 100_000) sizes.push(JSON.stringify(window.vectors).length);
    }
    assert.equal(window.count, 100_000);
    // Every number is written to its full precision, so the two sizes differ by a few digits at most.
    assert.ok(Math.abs((sizes[1] as number) - (sizes[0] as number)) < 200, `${sizes.join(' vs ')}`);
    assert.ok((sizes[1] as number) < 6_000, `${sizes[1]}`);
  });

  test('takes its dimension from the first vector and counts any vector of another length apart', () => {
    const window = windowOf([rowOf([1, 0, 0]), rowOf([0, 1]), rowOf([0, 0, 1]), rowOf([NaN, 0, 0])]);
    assert.equal(window.vectors?.dimensions, 3);
    assert.equal(window.count, 2);
    assert.equal(window.rejected, 2);
  });

  test('skips a row without the output tensor, or with integer data', () => {
    const integers: Row = { embedding: { dtype: 'int64', data: BigInt64Array.from([1n, 2n]), dims: [2] } };
    const window = windowOf([{}, integers, rowOf([])]);
    window.add(undefined);
    assert.equal(window.vectors, undefined);
    assert.equal(window.count, 0);
  });
});
