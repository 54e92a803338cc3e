import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquaredTest } from './chi-squared.ts';
import type { CategoryCounts } from './samples.ts';
import { assertPValue, assertStatistic } from './testing.ts';

// Expected values: Debian's python3-scipy 1.10.1 (1.17.1 prints the same digits), running
// Evidently's _chi_stat_test (legacy/calculations/stattests/chisquare_stattest.py) on counts:
//   keys = union of categories with a count > 0, reference's first
//   k_norm = sum(cur.values()) / sum(ref.values())
//   r = scipy.stats.chisquare([cur.get(k, 0) for k in keys], [ref.get(k, 0) * k_norm for k in keys])
//   print(r.statistic, len(keys) - 1, r.pvalue)
const tenReference = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), 10 + 3 * i]));
const tenLive = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), 20 + ((i * 7) % 11)]));
const table: ReadonlyArray<[string, CategoryCounts, CategoryCounts, number, number, number]> = [
  ['the same proportions', { a: 50, b: 30, c: 20 }, { a: 5, b: 3, c: 2 }, 0, 2, 1],
  ['a mild shift', { a: 40, b: 35, c: 25 }, { a: 30, b: 40, c: 30 }, 4.214285714285714, 2, 0.12158485594365533],
  [
    'a strong shift',
    { a: 400, b: 350, c: 250 },
    { a: 100, b: 500, c: 400 },
    379.2857142857143,
    2,
    4.356659420144681e-83,
  ],
  ['a category only in the live window', { a: 10, b: 10 }, { a: 5, b: 5, c: 1 }, Number.POSITIVE_INFINITY, 2, 0],
  ['a category only in the reference', { a: 10, b: 10, c: 5 }, { a: 12, b: 8 }, 6, 2, 0.04978706836786395],
  ['ten categories', tenReference, tenLive, 40.13026390062679, 9, 7.196506193403951e-6],
  [
    'reference given as proportions',
    { a: 0.5, b: 0.3, c: 0.2 },
    { a: 40, b: 40, c: 20 },
    5.333333333333334,
    2,
    0.0694834512228015,
  ],
];

describe('chi-squared test against Evidently on scipy.stats.chisquare', () => {
  for (const [name, reference, live, statistic, degreesOfFreedom, pValue] of table) {
    it(name, () => {
      const result = chiSquaredTest(reference, live);
      assertStatistic(result.statistic, statistic, `${name} χ²`);
      assert.equal(result.degreesOfFreedom, degreesOfFreedom);
      assertPValue(result.pValue, pValue, `${name} p`);
    });
  }

  it('names the categories the reference never saw', () => {
    assert.deepEqual(chiSquaredTest({ a: 10, b: 10 }, { a: 5, c: 1, d: 2 }).unseenInReference, ['c', 'd']);
  });

  it('ignores categories counted 0 on both sides', () => {
    assert.deepEqual(
      chiSquaredTest({ a: 40, b: 35, c: 25, z: 0 }, { a: 30, b: 40, c: 30 }),
      chiSquaredTest({ a: 40, b: 35, c: 25 }, { a: 30, b: 40, c: 30 }),
    );
  });

  it('refuses an empty side and negative counts', () => {
    assert.throws(() => chiSquaredTest({}, { a: 1 }), RangeError);
    assert.throws(() => chiSquaredTest({ a: 1 }, { a: -1, b: 2 }), RangeError);
  });
});
