import { describe, it } from 'node:test';
import { jensenShannonDistance, jensenShannonTest } from './jensen-shannon.ts';
import type { FeatureSample } from './samples.ts';
import { assertStatistic, repeat, seq } from './testing.ts';

// Expected values: Debian's python3-scipy 1.10.1 and numpy 1.24.2 (1.17.1 differs in the 17th digit).
//   print(scipy.spatial.distance.jensenshannon(p, q))          # base None: natural log, as Evidently
const vectors: ReadonlyArray<[number[], number[], number]> = [
  [[1, 0, 0], [0, 1, 0], 0.8325546111576977],
  [[0.5, 0.5], [0.5, 0.5], 0],
  [[1, 2, 3, 4], [4, 3, 2, 1], 0.32625164411267443],
  [[0.2, 0.3, 0.5, 0], [0.1, 0.1, 0.1, 0.7], 0.5916372737852732],
];

// Evidently's _jensenshannon (legacy/calculations/stattests/jensenshannon.py): get_binned_data
// without filling empty bins, then jensenshannon(ref_shares, cur_shares). get_binned_data in numpy:
//   numeric with > 20 distinct reference values:
//     bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins='sturges')
//     shares = np.histogram(x, bins)[0] / len(x)
//   otherwise: one bin per category of the union, shares = count / total
const tests: ReadonlyArray<[string, FeatureSample, FeatureSample, number]> = [
  ['identical categories', categorical({ a: 30, b: 20 }), categorical({ a: 3, b: 2 }), 0],
  [
    'shifted categories',
    categorical({ a: 500, b: 300, c: 200 }),
    categorical({ a: 300, b: 300, c: 400 }),
    0.1721147310381218,
  ],
  [
    'a category only in the live window',
    categorical({ a: 600, b: 600 }),
    categorical({ a: 50, b: 40, c: 10 }),
    0.19349646201204088,
  ],
  [
    'few numeric values',
    numeric(repeat([1, 2, 3], 400)),
    numeric(repeat([1, 2, 2, 3, 3, 3], 100)),
    0.15016008250886848,
  ],
  [
    'a numeric histogram',
    numeric(seq(1500, 37, 1499, 0.01)),
    numeric(seq(500, 11, 499, 0.012, 2.0)),
    0.478357372036979,
  ],
];

function categorical(counts: Record<string, number>): FeatureSample {
  return { kind: 'categorical', counts };
}

function numeric(values: number[]): FeatureSample {
  return { kind: 'numeric', values };
}

describe('Jensen–Shannon distance against scipy.spatial.distance.jensenshannon', () => {
  for (const [p, q, expected] of vectors) {
    it(`between [${p.join(', ')}] and [${q.join(', ')}]`, () =>
      assertStatistic(jensenShannonDistance(p, q), expected, 'JS'));
  }
  for (const [name, reference, live, expected] of tests) {
    it(`Evidently's test: ${name}`, () => assertStatistic(jensenShannonTest(reference, live), expected, name));
  }
});
