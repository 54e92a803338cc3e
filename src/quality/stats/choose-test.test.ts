import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasetDrift, featureDrift, type DriftTestName, type FeatureDrift } from './choose-test.ts';
import type { FeatureSample } from './samples.ts';
import { assertPValue, assertStatistic, repeat, seq } from './testing.ts';

// Expected values: Debian's python3-scipy 1.10.1 and numpy 1.24.2, with Evidently's default choice
// (_get_default_stattest, legacy/calculations/stattests/registry.py) written out in Python:
//   drop NaN and ±inf; n_ref = reference rows; n_values = distinct values of both sides together
//   n_ref <= 1000: 'ks' if numeric and n_values > 5 else 'chisquare' if n_values > 2 else 'z'
//   n_ref >  1000: 'wasserstein' if numeric and n_values > 5 else 'jensenshannon'
// then the recipe of that test's own table (ks.test.ts, chi-squared.test.ts, …) and its verdict:
//   ks: p <= 0.05; chisquare, z: p < 0.05; wasserstein, jensenshannon: distance >= 0.1
const { NaN: nan, POSITIVE_INFINITY: inf } = Number;
const table: ReadonlyArray<[string, FeatureSample, FeatureSample, DriftTestName, number, number | undefined, boolean]> =
  [
    [
      'numeric, 100 reference rows',
      numeric(seq(100, 7, 101, 0.1)),
      numeric(seq(80, 9, 83, 0.1, 1.0)),
      'ks',
      0.1,
      0.7289558095085651,
      false,
    ],
    [
      'numeric, exactly 1000 reference rows',
      numeric(seq(1000, 37, 1009, 0.01)),
      numeric(seq(300, 41, 307, 0.01, 0.5)),
      'ks',
      0.643,
      3.603050714820975e-91,
      true,
    ],
    [
      'numeric, 1001 reference rows',
      numeric(seq(1001, 37, 1009, 0.01)),
      numeric(seq(300, 41, 307, 0.01, 0.5)),
      'wasserstein',
      1.0374385518984681,
      undefined,
      true,
    ],
    [
      'numeric, NaN and infinities dropped to 999 rows',
      numeric([...seq(999, 37, 1009, 0.01), nan, inf, -inf]),
      numeric([...seq(300, 41, 307, 0.01, 0.5), nan]),
      'ks',
      0.6426426426426426,
      4.456658847285766e-91,
      true,
    ],
    [
      'numeric with three values',
      numeric(repeat([1, 2, 3], 60)),
      numeric(repeat([1, 1, 2, 3], 20)),
      'chisquare',
      10,
      0.006737946999085468,
      true,
    ],
    [
      'numeric with two values',
      numeric(repeat([0, 1, 1], 100)),
      numeric(repeat([0, 1], 40)),
      'z',
      2.745848236826379,
      0.006035467586545997,
      true,
    ],
    [
      'numeric with five values, 1200 rows',
      numeric(repeat([1, 2, 3, 4, 5], 240)),
      numeric(repeat([1, 2, 3, 4, 5, 5], 50)),
      'jensenshannon',
      0.10703679508281445,
      undefined,
      true,
    ],
    [
      'categorical, four categories',
      categorical({ a: 40, b: 30, c: 20, d: 10 }),
      categorical({ a: 20, b: 30, c: 30, d: 20 }),
      'chisquare',
      25,
      1.5440498291101365e-5,
      true,
    ],
    [
      'categorical, two categories',
      categorical({ cat: 400, dog: 600 }),
      categorical({ cat: 520, dog: 480 }),
      'z',
      5.3838190205816545,
      7.292182531953517e-8,
      true,
    ],
    ['categorical, one category', categorical({ cat: 10 }), categorical({ cat: 7 }), 'z', 0, 1, false],
    [
      'categorical, 1500 rows',
      categorical({ a: 700, b: 500, c: 300 }),
      categorical({ a: 300, b: 500, c: 700 }),
      'jensenshannon',
      0.23421198162498263,
      undefined,
      true,
    ],
  ];

function categorical(counts: Record<string, number>): FeatureSample {
  return { kind: 'categorical', counts };
}

function numeric(values: number[]): FeatureSample {
  return { kind: 'numeric', values };
}

describe("Evidently's default drift test per feature", () => {
  for (const [name, reference, live, test, statistic, pValue, drifted] of table) {
    it(`${name}: ${test}, ${drifted ? 'drift' : 'no drift'}`, () => {
      const result = featureDrift(reference, live);
      assert.equal(result.test, test);
      assertStatistic(result.statistic, statistic, `${name} statistic`);
      if (pValue === undefined) assert.equal(result.pValue, undefined);
      else assertPValue(result.pValue ?? Number.NaN, pValue, `${name} p`);
      assert.equal(result.drifted, drifted);
      assert.equal(result.threshold, test === 'wasserstein' || test === 'jensenshannon' ? 0.1 : 0.05);
    });
  }

  it('runs PSI when asked, with its threshold of 0.1', () => {
    const result = featureDrift(categorical({ a: 60, b: 40 }), categorical({ a: 30, b: 50, c: 20 }), { test: 'psi' });
    assert.deepEqual(
      { ...result, statistic: Math.round(result.statistic * 1e6) / 1e6 },
      {
        test: 'psi',
        statistic: 1.749679,
        threshold: 0.1,
        drifted: true,
      },
    );
  });
});

describe('the comparisons at the threshold, as in each Evidently stattest', () => {
  const numericReference = numeric(seq(100, 7, 101, 0.1));
  const numericLive = numeric(seq(80, 9, 83, 0.1, 1.0));

  it('KS drifts when p equals the threshold (p ≤ threshold)', () => {
    const p = featureDrift(numericReference, numericLive).pValue ?? Number.NaN;
    assert.equal(featureDrift(numericReference, numericLive, { threshold: p }).drifted, true);
  });

  it('chi-squared and Z do not drift when p equals the threshold (p < threshold)', () => {
    for (const [reference, live] of [
      [categorical({ a: 40, b: 35, c: 25 }), categorical({ a: 30, b: 40, c: 30 })],
      [categorical({ no: 70, yes: 30 }), categorical({ no: 55, yes: 45 })],
    ] as const) {
      const p = featureDrift(reference, live).pValue ?? Number.NaN;
      assert.equal(featureDrift(reference, live, { threshold: p }).drifted, false);
    }
  });

  it('distances drift when they equal the threshold (distance ≥ threshold)', () => {
    for (const test of ['wasserstein', 'jensenshannon', 'psi'] as const) {
      const statistic = featureDrift(numericReference, numericLive, { test }).statistic;
      assert.equal(featureDrift(numericReference, numericLive, { test, threshold: statistic }).drifted, true, test);
    }
  });

  it('finds no drift between identical samples with any test', () => {
    const values = numeric(seq(300, 7, 301, 0.02));
    for (const test of ['ks', 'wasserstein', 'jensenshannon', 'psi'] as const) {
      const result = featureDrift(values, values, { test });
      assert.equal(result.drifted, false, test);
    }
  });

  it('refuses an empty side and a test of the wrong kind', () => {
    assert.throws(() => featureDrift(numeric([nan]), numeric([1])), RangeError);
    assert.throws(() => featureDrift(categorical({ a: 1 }), categorical({ a: 1 }), { test: 'ks' }), RangeError);
    assert.throws(() => featureDrift(categorical({ a: 1 }), numeric([1])), RangeError);
  });
});

describe('a live window given as values with counts, as a sketch gives it', () => {
  // Values in any order, ties and a zero count included, and the same window written out value by value.
  const values = [0.3, 0.1, 0.2, 0.1, 0.5, 0.4];
  const weights = [30, 10, 20, 5, 0, 40];
  const expanded = values.flatMap((value, i) => repeat([value], weights[i] ?? 0));

  it('gives each test the same result as the window written out', () => {
    const cases: ReadonlyArray<[FeatureSample, DriftTestName]> = [
      [numeric(seq(500, 7, 503, 0.001)), 'ks'],
      [numeric(seq(500, 7, 503, 0.001)), 'wasserstein'],
      [numeric(seq(500, 7, 503, 0.001)), 'jensenshannon'],
      [numeric(seq(500, 7, 503, 0.001)), 'psi'],
      [numeric(repeat([0.1, 0.2, 0.3, 0.4], 30)), 'chisquare'],
    ];
    for (const [reference, test] of cases) {
      const weighted = featureDrift(reference, { kind: 'numeric', values, weights }, { test });
      const written = featureDrift(reference, numeric(expanded), { test });
      assert.equal(weighted.drifted, written.drifted, test);
      assert.ok(
        Math.abs(weighted.statistic - written.statistic) <= 1e-12,
        `${test}: ${weighted.statistic} ${written.statistic}`,
      );
      assert.ok(Math.abs((weighted.pValue ?? 0) - (written.pValue ?? 0)) <= 1e-12, `${test} p`);
    }
  });

  it('counts the weights as rows when choosing the test', () => {
    const reference = { kind: 'numeric', values: [1, 2, 3, 4, 5, 6], weights: [200, 200, 200, 200, 200, 1] } as const;
    assert.equal(featureDrift(reference, numeric([1, 2, 3])).test, 'wasserstein');
  });

  it('refuses weights that do not match the values', () => {
    assert.throws(() => featureDrift({ kind: 'numeric', values: [1, 2], weights: [1] }, numeric([1])), RangeError);
    assert.throws(() => featureDrift({ kind: 'numeric', values: [1, 2], weights: [1, -1] }, numeric([1])), RangeError);
  });
});

describe('dataset drift', () => {
  const feature = (drifted: boolean): FeatureDrift => ({
    test: 'ks',
    statistic: 0,
    pValue: 1,
    threshold: 0.05,
    drifted,
  });

  it('is declared when at least half of the features drift', () => {
    assert.deepEqual(datasetDrift([true, true, false, false].map(feature)), {
      drifted: true,
      driftedFeatures: 2,
      features: 4,
      driftedShare: 0.5,
    });
    assert.equal(datasetDrift([true, false, false].map(feature)).drifted, false);
  });

  it('takes another share, and finds none without features', () => {
    assert.equal(datasetDrift([true, false, false].map(feature), 1 / 3).drifted, true);
    assert.equal(datasetDrift([]).drifted, false);
  });
});
