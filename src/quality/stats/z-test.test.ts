import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CategoryCounts } from './samples.ts';
import { assertPValue, assertStatistic } from './testing.ts';
import { zTest } from './z-test.ts';

// Expected values: Debian's python3-scipy 1.10.1 (1.17.1 prints the same digits), running
// Evidently's _z_stat_test (legacy/calculations/stattests/z_stattest.py) on counts:
//   keys = sorted(union of categories); one key on both sides -> p = 1
//   p1, p2 = ref.get(keys[1], 0) / n1, cur.get(keys[1], 0) / n2; P = (p1*n1 + p2*n2) / (n1 + n2)
//   z = (p1 - p2) / np.sqrt(P * (1 - P) * (1/n1 + 1/n2))
//   print(z, 2 * norm.sf(abs(z)), 2 * (1 - norm.cdf(abs(z))))   # exact, then Evidently's form
const table: ReadonlyArray<[string, CategoryCounts, CategoryCounts, number, number, number]> = [
  ['the same proportions', { no: 70, yes: 30 }, { no: 7, yes: 3 }, 0, 1, 1],
  [
    'a mild shift',
    { no: 70, yes: 30 },
    { no: 55, yes: 45 },
    -2.1908902300206647,
    0.02845973691631065,
    0.02845973691631055,
  ],
  ['one value on both sides', { a: 10 }, { a: 4 }, 0, 1, 1],
  ['disjoint values', { a: 10 }, { b: 10 }, -4.47213595499958, 7.744216431015971e-6, 7.74421643104407e-6],
  [
    'a value only in the live window',
    { a: 50 },
    { a: 45, b: 5 },
    -2.294157338705618,
    0.021781462791119477,
    0.021781462791119477,
  ],
  ['the far tail', { a: 900, b: 100 }, { a: 100, b: 900 }, -35.77708763999664, 2.509158096763144e-280, 0],
];

describe('two-proportion Z-test against Evidently on scipy.stats.norm', () => {
  for (const [name, reference, live, statistic, pValue, evidentlyPValue] of table) {
    it(name, () => {
      const result = zTest(reference, live);
      assertStatistic(result.statistic, statistic, `${name} z`);
      assertPValue(result.pValue, pValue, `${name} p`);
      // Evidently's 2(1 − Φ(|z|)) loses the tail to cancellation, never more than 1e-15.
      assert.ok(Math.abs(result.pValue - evidentlyPValue) < 1e-15, `${name}: ${result.pValue} vs ${evidentlyPValue}`);
    });
  }

  it('refuses more than two categories', () => {
    assert.throws(() => zTest({ a: 1, b: 1 }, { c: 1 }), RangeError);
  });
});
