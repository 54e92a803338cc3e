import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rankOf, zipfCumulative, zipfSequence } from '../benchmarks/lib/zipf.ts';

test('the cumulative Zipf distribution weighs rank k by 1/k^s and ends at 1', () => {
  const cumulative = zipfCumulative(4, 1);
  const harmonic = 1 + 1 / 2 + 1 / 3 + 1 / 4;
  const expected = [1, 1.5, 1.5 + 1 / 3, harmonic].map((sum) => sum / harmonic);
  for (const [index, value] of expected.entries()) assert.ok(Math.abs((cumulative[index] ?? 0) - value) < 1e-12);
  assert.deepEqual(
    [...zipfCumulative(3, 0)].map((value) => Number(value.toFixed(12))),
    [0.333333333333, 0.666666666667, 1],
  );
});

test('a draw falls on the first rank whose cumulative probability exceeds it', () => {
  const cumulative = Float64Array.from([0.5, 0.75, 1]);
  assert.deepEqual(
    [0, 0.49, 0.5, 0.74, 0.75, 0.999].map((u) => rankOf(cumulative, u)),
    [0, 0, 1, 1, 2, 2],
  );
});

test('a sequence is the same for a seed, and its ranks follow the distribution', () => {
  const [one, two] = [zipfSequence(100, 1, 50_000, 7), zipfSequence(100, 1, 50_000, 7)];
  assert.deepEqual(one, two);
  const first = one.filter((rank) => rank === 0).length / one.length;
  const expectedFirst = 1 / Array.from({ length: 100 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b);
  assert.ok(Math.abs(first - expectedFirst) < 0.01, `rank 1 drawn ${first}, expected ${expectedFirst}`);
  assert.ok(one.every((rank) => rank < 100));
  assert.throws(() => zipfSequence(0, 1, 1, 1), /n must be a positive whole number/);
});
