import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oovBand, oovDrift } from './oov-drift.ts';
import { OovCounts } from './sketches/oov-counts.ts';
import type { TextReference } from './text-reference.ts';

/** Counts of items given as (tokens, oov) per item. */
function countsOf(tokens: readonly number[], oov: readonly number[]): OovCounts {
  const counts = new OovCounts();
  tokens.forEach((t, index) => counts.addCounts(t, oov[index] ?? 0));
  return counts;
}

// Expected values: python3 with numpy 2.4 and scipy 1.17.1, from the items themselves (the
// delta method on their sample covariance matrix), not from the sums the code keeps:
//   t, o = np.array(tokens, float), np.array(oov, float); m = len(t); r = o.sum() / t.sum()
//   c = np.cov(np.vstack([o, t]), ddof=1); s2 = c[0,0] - 2*r*c[0,1] + r*r*c[1,1]
//   sigma = np.sqrt(s2 / t.mean()**2 * (1/n + 1/m)); band = min(1, r + max(0.01, 3*sigma))
//   print(repr(r), repr(s2), repr(sigma), repr(band))
// (3σ one-sided: scipy.stats.norm.sf(3) = 0.00135 of healthy windows above the band.)
const table: ReadonlyArray<[string, number[], number[], number, number, number, number]> = [
  [
    'a spread-out reference, a window of 600',
    [5, 12, 7, 20, 3, 9, 15, 6],
    [0, 1, 0, 3, 0, 0, 2, 1],
    600,
    0.09090909090909091,
    0.4817001180637545,
    0.16790010923157356,
  ],
  [
    'the same reference, a window of 20',
    [5, 12, 7, 20, 3, 9, 15, 6],
    [0, 1, 0, 3, 0, 0, 2, 1],
    20,
    0.09090909090909091,
    0.4817001180637545,
    0.18140478539412314,
  ],
  // Counted as 60 independent tokens the band would be 0.1 + 3·0.041; by items it is 3·0.106.
  [
    'unknown tokens clustered in one text',
    [10, 10, 10, 10, 10, 10],
    [0, 0, 0, 6, 0, 0],
    50,
    0.1,
    6.0,
    0.41749015732775085,
  ],
  ['no unknown token in the reference: the 1% floor', [4, 8, 6], [0, 0, 0], 10, 0, 0, 0.01],
];

describe('the out-of-vocabulary band against numpy', () => {
  for (const [name, tokens, oov, items, rate, variance, band] of table) {
    it(name, () => {
      const reference = countsOf(tokens, oov);
      assert.equal(reference.rate, rate);
      assert.ok(Math.abs(reference.residualVariance(rate) - variance) <= 1e-12 * Math.max(1, variance));
      assert.ok(Math.abs(oovBand(reference, items) - band) <= 1e-15, `${oovBand(reference, items)} against ${band}`);
    });
  }
});

describe('the OOV rate of a window against its reference', () => {
  const [, tokens, oov] = table[0] as (typeof table)[number];
  const reference: TextReference = {
    vocabulary: ['a', 'b'],
    vocabulary_items: 8,
    held_out: countsOf(tokens, oov).toJSON(),
  };

  it('is flagged above the band, and reported with both rates, its counts and the vocabulary size', () => {
    // 600 texts of 10 tokens, 2 of them unknown: a rate of 0.2 over the band of 0.168.
    const live = countsOf(Array<number>(600).fill(10), Array<number>(600).fill(2));
    assert.deepEqual(oovDrift('text', reference, live), [
      {
        name: 'text.oov_rate',
        kind: 'text_oov',
        test: 'oov_band',
        statistic: 0.2,
        p_value: null,
        threshold: 0.16790010923157356,
        drifted: true,
        reference_count: 8,
        live_count: 600,
        rate: 0.2,
        reference_rate: 0.09090909090909091,
        tokens: 6000,
        oov_tokens: 1200,
        vocabulary_size: 2,
      },
    ]);
  });

  it('is not flagged at the reference rate, nor below it (the test is one-sided)', () => {
    const same = countsOf(Array<number>(600).fill(11), Array<number>(600).fill(1));
    assert.equal(oovDrift('text', reference, same)[0]?.drifted, false);
    const none = countsOf(Array<number>(600).fill(11), Array<number>(600).fill(0));
    assert.equal(oovDrift('text', reference, none)[0]?.drifted, false);
  });

  it('is not tested while the window has no token', () => {
    assert.deepEqual(oovDrift('text', reference, countsOf([0, 0], [0, 0])), []);
  });

  it('reads the same from counts merged from replicas as from one window of both', () => {
    const whole = countsOf([3, 5, 8, 13], [0, 1, 2, 3]);
    const merged = countsOf([3, 5], [0, 1]);
    merged.merge(countsOf([8, 13], [2, 3]));
    assert.deepEqual(merged.toJSON(), whole.toJSON());
    assert.deepEqual(OovCounts.fromJSON(JSON.parse(JSON.stringify(whole))).toJSON(), whole.toJSON());
    assert.throws(() => OovCounts.fromJSON({ ...whole.toJSON(), oov_tokens: 99 }), /oov_tokens must not exceed/);
    assert.throws(() => OovCounts.fromJSON({ ...whole.toJSON(), items: -1 }), /items must be a whole number/);
  });
});
