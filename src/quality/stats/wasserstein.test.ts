import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertStatistic, seq } from './testing.ts';
import { normedWasserstein, wassersteinDistance, wassersteinFromCdfs } from './wasserstein.ts';

// Expected values: Debian's python3-scipy 1.10.1 and numpy 1.24.2 (scipy 1.17.1 differs in the
// 16th digit for the generated samples: the order of summation).
//   def seq(n, a, m, scale, offset=0.0): return [((i * a) % m) * scale + offset for i in range(n)]
//   print(scipy.stats.wasserstein_distance(u, v))
const distances: ReadonlyArray<[string, number[], number[], number]> = [
  ['identical samples', [1, 2, 3], [1, 2, 3], 0],
  ["scipy's own example", [0, 1, 3], [5, 6, 8], 5],
  ['ties', [1, 1, 1, 2, 5], [1, 2, 2, 2, 3, 3], 0.9666666666666667],
  ['one value each', [1], [2.5], 1.5],
  ['300 against 200', seq(300, 7, 301, 0.02), seq(200, 13, 199, 0.025, 0.4), 0.25602499999999995],
];

// Evidently's _wasserstein_distance_norm (legacy/calculations/stattests/wasserstein_distance_norm.py):
//   d = wasserstein_distance(ref, cur); norm = max(np.std(ref), 0.001); print(d / norm, d, norm)
const normed: ReadonlyArray<[string, number[], number[], number, number, number]> = [
  [
    'a spread reference',
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5],
    0.17407765595569785,
    0.5,
    2.8722813232690143,
  ],
  [
    'a zero-variance reference (norm floored)',
    [2, 2, 2, 2],
    [2, 2, 2.0005, 2.001],
    0.3750000000000142,
    0.0003750000000000142,
    0.001,
  ],
  [
    '1200 against 400',
    seq(1200, 37, 1201, 0.005),
    seq(400, 11, 401, 0.005, 0.1),
    1.0982637832741284,
    1.902525,
    1.7323024112915928,
  ],
];

describe('Wasserstein distance against scipy.stats.wasserstein_distance', () => {
  for (const [name, u, v, expected] of distances) {
    it(name, () => assertStatistic(wassersteinDistance(u, v), expected, name));
  }

  it('weighs values by their counts: wasserstein_distance([0,1,3], [5,6,8], [1,1,2], [3,1,1]) = 4.05', () => {
    const u = { values: [0, 1, 3], weights: [1, 1, 2] };
    const v = { values: [5, 6, 8], weights: [3, 1, 1] };
    assertStatistic(wassersteinFromCdfs(u, v), 4.05, 'weighted');
  });

  it('refuses an empty sample', () => assert.throws(() => wassersteinDistance([], [1]), RangeError));
});

describe("Evidently's normed Wasserstein distance", () => {
  for (const [name, reference, current, statistic, distance, norm] of normed) {
    it(name, () => {
      const result = normedWasserstein(reference, current);
      assertStatistic(result.statistic, statistic, `${name} statistic`);
      assertStatistic(result.distance, distance, `${name} distance`);
      assertStatistic(result.norm, norm, `${name} norm`);
    });
  }
});
