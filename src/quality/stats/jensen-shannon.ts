/**
 * Jensen–Shannon distance, √(½ KL(p‖m) + ½ KL(q‖m)) with m = (p + q)/2, as
 * scipy.spatial.distance.jensenshannon computes it: each vector normalised to sum 1, natural log
 * (Evidently passes base=None, evidently/legacy/calculations/stattests/jensenshannon.py), so the
 * distance lies in [0, √ln 2]. Evidently bins with `get_binned_data` and no smoothing (empty bins
 * stay 0, which the 0·ln 0 = 0 convention handles); drift when ≥ 0.1.
 */
import { binnedShares } from './binning.ts';
import type { FeatureSample } from './samples.ts';

/** x·ln(x/y), with scipy.special.rel_entr's conventions at 0. */
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

function normalise(vector: readonly number[]): number[] {
  let sum = 0;
  for (const value of vector) sum += value;
  return vector.map((value) => value / sum);
}

export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length || p.length === 0)
    throw new RangeError('the two distributions need the same, non-zero length');
  const pn = normalise(p);
  const qn = normalise(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < pn.length; i++) {
    const pi = pn[i] ?? 0;
    const qi = qn[i] ?? 0;
    const mi = (pi + qi) / 2;
    left += relativeEntropy(pi, mi);
    right += relativeEntropy(qi, mi);
  }
  return Math.sqrt((left + right) / 2);
}

/** Evidently's `jensenshannon` stattest on a feature's two samples. */
export function jensenShannonTest(reference: FeatureSample, live: FeatureSample): number {
  const shares = binnedShares(reference, live);
  return jensenShannonDistance(shares.reference, shares.live);
}
