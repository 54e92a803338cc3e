import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillEmptyShares, histogramCounts, sturgesEdges } from './binning.ts';
import { psiTest } from './psi.ts';
import type { FeatureSample } from './samples.ts';
import { assertStatistic, repeat, seq } from './testing.ts';

// Expected values: Debian's python3-scipy 1.10.1 and numpy 1.24.2 (1.17.1 prints the same digits).
// Evidently's _psi (legacy/calculations/stattests/psi.py) with get_binned_data(fill zeroes) in numpy:
//   shares as in jensen-shannon.test.ts, then for each side a:
//     m = min(a[a != 0]); np.place(a, a == 0, m / 10**6 if m <= 0.0001 else 0.0001)
//   print(np.sum((ref - cur) * np.log(ref / cur)))
const table: ReadonlyArray<[string, FeatureSample, FeatureSample, number]> = [
  ['identical categories', categorical({ a: 30, b: 20 }), categorical({ a: 3, b: 2 }), 0],
  [
    'an empty bin filled with 0.0001',
    categorical({ a: 60, b: 40 }),
    categorical({ a: 30, b: 50, c: 20 }),
    1.749678910961867,
  ],
  [
    'a rare category: fill = share / 10⁶',
    categorical({ a: 19999, b: 1 }),
    categorical({ a: 900, b: 100 }),
    0.7702359867462892,
  ],
  ['few numeric values', numeric(repeat([1, 2, 3], 400)), numeric(repeat([1, 2, 2, 3, 3, 3], 100)), 0.1831020481113516],
  [
    'a numeric histogram with empty bins',
    numeric(seq(200, 37, 199, 0.05)),
    numeric(seq(100, 3, 101, 0.01, 8.0)),
    7.310684253656569,
  ],
  [
    'a numeric histogram',
    numeric(seq(1500, 37, 1499, 0.01)),
    numeric(seq(500, 11, 499, 0.012, 2.0)),
    3.8216808862031764,
  ],
];

function categorical(counts: Record<string, number>): FeatureSample {
  return { kind: 'categorical', counts };
}

function numeric(values: number[]): FeatureSample {
  return { kind: 'numeric', values };
}

describe('PSI against Evidently on numpy', () => {
  for (const [name, reference, live, expected] of table) {
    it(name, () => assertStatistic(psiTest(reference, live), expected, name));
  }
});

describe("the bins of Evidently's get_binned_data", () => {
  const reference = seq(200, 37, 199, 0.05);
  const both = [...reference, ...seq(100, 3, 101, 0.01, 8.0)];

  // print(list(np.histogram_bin_edges(both, bins='sturges'))); print(list(np.histogram(ref, edges)[0]))
  it("numpy's 'sturges' edges over both samples, to the last bit", () => {
    const edges = [0, 0.99, 1.98, 2.9699999999999998, 3.96, 4.95, 5.9399999999999995, 6.93, 7.92, 8.91, 9.9];
    assert.deepEqual(sturgesEdges(both), edges);
    assert.deepEqual(histogramCounts(reference, edges), [21, 20, 20, 20, 19, 20, 20, 20, 20, 20]);
  });

  it('closes the last bin and leaves values outside the edges out', () => {
    assert.deepEqual(histogramCounts([0, 1, 2, 3, -1, 3.5], [0, 1, 2, 3]), [1, 1, 2]);
  });

  it('fills empty shares with 0.0001, or the smallest share / 10⁶ when that is ≤ 0.0001', () => {
    assert.deepEqual(fillEmptyShares([0.5, 0, 0.5]), [0.5, 0.0001, 0.5]);
    assert.deepEqual(fillEmptyShares([0.99995, 0.00005, 0]), [0.99995, 0.00005, 0.00005 / 10 ** 6]);
  });
});
