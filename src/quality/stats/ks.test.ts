import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { empiricalCdf } from './empirical-cdf.ts';
import { kolmogorovSf, smirnovSf } from './kolmogorov.ts';
import { ksFromCdfs, ksTwoSample, type KsMethod } from './ks.ts';
import { assertPValue, assertStatistic, seq } from './testing.ts';

// Expected values: Debian bookworm's python3-scipy 1.10.1 (scipy 1.17.1 prints the same digits).
//   def seq(n, a, m, scale, offset=0.0): return [((i * a) % m) * scale + offset for i in range(n)]
//   from scipy.stats import ks_2samp
//   r = ks_2samp(reference, current, method=method); print(r.statistic, r.pvalue)
const equalA = [0.1, 0.4, 0.5, 0.9, 1.2, 1.3, 2.0, 2.2];
const equalB = [0.6, 1.0, 1.4, 1.5, 1.9, 2.1, 2.5, 3.0];
const ks: ReadonlyArray<[string, number[], number[], KsMethod, 'exact' | 'asymp', number, number]> = [
  ['identical samples', [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 'auto', 'exact', 0, 1],
  ['disjoint samples', [1, 2, 3], [4, 5, 6, 7], 'auto', 'exact', 1, 0.05714285714285715],
  ['ties across samples', [1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3], 'auto', 'exact', 0.3, 0.8961038961038962],
  ['a one-value sample', [0.5], [0.2, 0.9], 'auto', 'exact', 0.5, 1],
  ['equal sizes', equalA, equalB, 'auto', 'exact', 0.5, 0.2826728826728826],
  ['60 against 45', seq(60, 7, 61, 0.1), seq(45, 11, 47, 0.1, 0.9), 'auto', 'exact', 0.15, 0.5658078840059115],
  [
    '1000 against 997',
    seq(1000, 37, 1009, 0.01),
    seq(997, 41, 1013, 0.01, 0.3),
    'auto',
    'exact',
    0.036083249749247745,
    0.5167959743979708,
  ],
  [
    '1000 against 12000 (auto goes asymptotic)',
    seq(1000, 37, 1009, 0.01),
    seq(12000, 53, 12007, 0.00085, 0.2),
    'auto',
    'asymp',
    0.03383333333333338,
    0.23593710506848464,
  ],
  [
    'asymptotic, 60 against 45',
    seq(60, 7, 61, 0.1),
    seq(45, 11, 47, 0.1, 0.9),
    'asymp',
    'asymp',
    0.15,
    0.5521009145265033,
  ],
  [
    'asymptotic, 1000 against 997',
    seq(1000, 37, 1009, 0.01),
    seq(997, 41, 1013, 0.01, 0.3),
    'asymp',
    'asymp',
    0.036083249749247814,
    0.522534182107459,
  ],
  ['asymptotic, equal sizes', equalA, equalB, 'asymp', 'asymp', 0.5, 0.1875],
  [
    'exact, 200 against 150',
    seq(200, 13, 211, 0.05),
    seq(150, 17, 151, 0.05, 1.5),
    'exact',
    'exact',
    0.15,
    0.03855214825130296,
  ],
];

// from scipy.stats import kstwo; print(kstwo.sf(x, n))   — one row per region of kolmogorov.ts
const kstwo: ReadonlyArray<[number, number, number]> = [
  [10, 0.07, 0.9999999619492741], // nx ≤ 1, Ruben–Gambino
  [10, 0.95, 1.9531250000000172e-13], // nx ≥ n − 1, Ruben–Gambino
  [50, 0.6, 9.634070456142374e-18], // x ≥ 0.5, 2 × Smirnov
  [100, 0.05, 0.9532159710635725], // Durbin
  [100, 0.15, 0.019839242125641813], // Pomeranz in scipy, Durbin here
  [100, 0.3, 1.7719869892662917e-8], // n ≤ 140, nx² > 4: 2 × Smirnov
  [140, 0.1, 0.11353657290090946],
  [141, 0.1, 0.11128445516467944], // n > 140, nx² ≥ 2.2: 2 × Smirnov
  [1000, 0.01, 0.9999496745370611], // Durbin
  [1000, 0.03, 0.3226902143914636], // Pelz–Good
  [1000, 0.06, 0.001428597887952891],
  [10000, 0.2, 0], // nx² ≥ 370
  [200000, 0.001, 0.9881500208855729], // n > 100000: Pelz–Good
  [200000, 0.003, 0.0545369786611305],
];

// from scipy.special import smirnov; print(smirnov(n, x))
const smirnov: ReadonlyArray<[number, number, number]> = [
  [5, 0.3, 0.34282],
  [100, 0.1, 0.1265906584562817],
  [1000, 0.05, 0.006506037390545166],
  [250000, 0.003, 0.01108674526104188],
];

describe('two-sample Kolmogorov–Smirnov against scipy.stats.ks_2samp', () => {
  for (const [name, reference, current, method, used, statistic, pValue] of ks) {
    it(`${name} (${method})`, () => {
      const result = ksTwoSample(reference, current, method);
      assert.equal(result.method, used);
      assertStatistic(result.statistic, statistic, `${name} D`);
      assertPValue(result.pValue, pValue, `${name} p`);
    });
  }

  it('gives the same answer from CDFs with counts as weights as from the raw samples', () => {
    const reference = seq(1000, 37, 1009, 0.01);
    const current = seq(997, 41, 1013, 0.01, 0.3);
    assert.deepEqual(ksFromCdfs(empiricalCdf(reference), empiricalCdf(current)), ksTwoSample(reference, current));
  });

  it('reads a sketch-like CDF: centroids with counts', () => {
    const sketch = { values: [1, 2, 3], weights: [2, 2, 1] };
    assert.deepEqual(
      ksFromCdfs(sketch, empiricalCdf([1, 2, 2, 3, 3, 3])),
      ksTwoSample([1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3]),
    );
  });

  it('refuses empty samples and malformed CDFs', () => {
    assert.throws(() => ksTwoSample([], [1]), RangeError);
    assert.throws(() => ksTwoSample([1, Number.NaN], [1]), RangeError);
    assert.throws(() => ksFromCdfs({ values: [2, 1], weights: [1, 1] }, { values: [1], weights: [1] }), RangeError);
  });
});

describe('the one-sample Kolmogorov distribution against scipy.stats.kstwo.sf', () => {
  for (const [n, x, expected] of kstwo) {
    it(`Pr(D_${n} ≥ ${x})`, () => assertPValue(kolmogorovSf(n, x), expected, `n=${n} x=${x}`));
  }
  for (const [n, x, expected] of smirnov) {
    it(`Smirnov's one-sided Pr(D+_${n} ≥ ${x})`, () => assertPValue(smirnovSf(n, x), expected, `n=${n} x=${x}`));
  }
});
