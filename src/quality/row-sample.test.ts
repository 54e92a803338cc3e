import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowSample } from './row-sample.ts';

function sampleOf(count: number, size: number, seed = 1): RowSample<number> {
  const sample = new RowSample<number>(size, seed);
  for (let n = 0; n < count; n++) {
    const slot = sample.slot();
    if (slot !== undefined) sample.put(slot, n);
  }
  return sample;
}

test('keeps every row while fewer than its size were offered, in order', () => {
  const sample = sampleOf(7, 10);
  assert.deepEqual(sample.rows, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(sample.seen, 7);
});

test('keeps exactly its size of a long stream, distinct rows, and the same ones for the same seed', () => {
  const sample = sampleOf(100_000, 1000);
  assert.equal(sample.rows.length, 1000);
  assert.equal(new Set(sample.rows).size, 1000);
  assert.equal(sample.seen, 100_000);
  assert.deepEqual(sampleOf(100_000, 1000).rows, sample.rows);
  assert.notDeepEqual(sampleOf(100_000, 1000, 2).rows, sample.rows);
});

test('is uniform: each tenth of a stream holds about a tenth of the sample', () => {
  // 20 seeds × 1,000 rows: each decile's expected 2,000, binomial sd ≈ 42; 5 sd is 212.
  const deciles = Array.from({ length: 10 }, () => 0);
  for (let seed = 1; seed <= 20; seed++) {
    for (const row of sampleOf(50_000, 1000, seed).rows) {
      const decile = Math.floor(row / 5_000);
      deciles[decile] = (deciles[decile] ?? 0) + 1;
    }
  }
  for (const [decile, count] of deciles.entries()) {
    assert.ok(Math.abs(count - 2000) < 212, `decile ${decile} holds ${count} of 20,000`);
  }
});

test('refuses a size below 1', () => {
  assert.throws(() => new RowSample(0), /1 row or more, not 0/);
});
