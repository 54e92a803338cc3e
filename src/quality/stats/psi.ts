/**
 * Population Stability Index, Σ (rᵢ − cᵢ) ln(rᵢ/cᵢ) over shared bins, as Evidently's `psi`
 * stattest computes it (evidently/legacy/calculations/stattests/psi.py): bins by
 * `get_binned_data` (binning.ts), empty bins filled on each side by Evidently's rule, drift
 * when ≥ 0.1. Offered on request; the default choice never picks it.
 */
import { binnedShares, fillEmptyShares } from './binning.ts';
import type { FeatureSample } from './samples.ts';

/** PSI of two share vectors over the same bins, after Evidently's fill of empty bins. */
export function psiFromShares(reference: readonly number[], live: readonly number[]): number {
  if (reference.length !== live.length || reference.length === 0)
    throw new RangeError('PSI needs shares over the same bins');
  const r = fillEmptyShares(reference);
  const c = fillEmptyShares(live);
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    const ri = r[i] ?? 0;
    const ci = c[i] ?? 0;
    psi += (ri - ci) * Math.log(ri / ci);
  }
  return psi;
}

export function psiTest(reference: FeatureSample, live: FeatureSample): number {
  const shares = binnedShares(reference, live);
  return psiFromShares(shares.reference, shares.live);
}
