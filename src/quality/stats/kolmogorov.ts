/**
 * The survival function of the one-sample two-sided Kolmogorov–Smirnov statistic, Pr(Dₙ ≥ x):
 * scipy's `kstwo.sf(x, n)`, which ks_2samp's asymptotic method evaluates at n = round(mn/(m+n)).
 * The regions follow Simard & L'Ecuyer (2011, J. Stat. Softw. 39(11)) with scipy's cut-offs
 * (scipy/stats/_ksstats.py), so the same approximation answers in each region:
 *
 *   nx ≤ 1 or nx ≥ n−1        Ruben–Gambino closed forms (exact)
 *   x ≥ 0.5                   2 × Smirnov's one-sided tail (exact: the two tails cannot both occur)
 *   n ≤ 140, nx² ≤ 4          1 − Durbin's matrix (exact; scipy uses Pomeranz's recursion from
 *                             nx² > 0.754693 on, which computes the same number)
 *   n ≤ 140, nx² > 4          2 × Smirnov (Miller's approximation; the dropped term is < 1e-16 here)
 *   n > 140, nx² ≥ 370        0
 *   n > 140, nx² ≥ 2.2        2 × Smirnov
 *   n > 140, otherwise        1 − Durbin if n ≤ 100000 and nx^{3/2} ≤ 1.4, else 1 − Pelz–Good
 */
import { durbinCdf } from './kolmogorov-durbin.ts';
import { pelzGoodCdf } from './kolmogorov-pelz-good.ts';
import { logGamma } from './special-functions.ts';

function clip(probability: number): number {
  return Math.min(1, Math.max(0, probability));
}

/**
 * Smirnov's one-sided tail Pr(Dₙ⁺ ≥ x), by the Birnbaum–Tingey sum
 * x · Σⱼ C(n, j) (x + j/n)^{j−1} (1 − x − j/n)^{n−j}, j = 0…⌊n(1−x)⌋. Every term is positive, so
 * summing them in log space is accurate to about 1e-13 for any n, provided ln C(n, j) is carried
 * with a compensation term: plain running sums of ln((n−j+1)/j) drift by 1e-9 at n = 250,000.
 */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const last = Math.floor(n * (1 - x));
  let logBinomial = 0;
  let compensation = 0;
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    const at = x + j / n;
    if (at >= 1) break;
    if (j > 0) {
      const increment = Math.log((n - j + 1) / j);
      const next = logBinomial + increment;
      compensation +=
        Math.abs(logBinomial) >= Math.abs(increment) ? logBinomial - next + increment : increment - next + logBinomial;
      logBinomial = next;
    }
    sum += Math.exp(logBinomial + compensation + (j - 1) * Math.log(at) + (n - j) * Math.log1p(-at));
  }
  return clip(x * sum);
}

/** n!/nⁿ · (2nx − 1)ⁿ, Ruben & Gambino's Pr(Dₙ ≤ x) for 1/2n ≤ x ≤ 1/n. */
function rubenGambinoLowCdf(n: number, t: number): number {
  if (n <= 140) {
    let product = 1;
    for (let i = 1; i <= n; i++) product *= (i / n) * (2 * t - 1);
    return product;
  }
  return Math.exp(logGamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1));
}

/** Pr(Dₙ ≥ x) for the one-sample two-sided statistic with a sample of n (scipy.stats.kstwo.sf). */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) return t <= 0.5 ? 1 : clip(1 - rubenGambinoLowCdf(n, t));
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxSquared = t * x;
  if (n <= 140) return clip(nxSquared <= 4 ? 1 - durbinCdf(n, x) : 2 * smirnovSf(n, x));
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}
