/**
 * Exact null distribution of the two-sample Kolmogorov–Smirnov statistic, as ks_2samp's
 * method='exact' computes it (scipy/stats/_stats_py.py `_attempt_exact_2kssamp`): the
 * statistic is a multiple h/lcm(m, n), and its p-value is the share of monotone lattice paths
 * from (0, 0) to (m, n) that touch the band |x/m − y/n| ≥ h/lcm(m, n) (Hodges 1958).
 */

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * Equal samples: Pr(D ≥ h/n) = 2 Σₖ (−1)^{k+1} C(2n, n−kh) / C(2n, n), evaluated from the far end
 * as 2A₀(1 − A₁(1 − A₂(…))) with Aₖ = C(2n, n−(k+1)h) / C(2n, n−kh), so no term cancels another.
 */
function equalSizesSf(n: number, h: number): number {
  let nested = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    nested = ratio * (1 - nested);
  }
  return 2 * nested;
}

/**
 * Unequal samples: walks the lattice column by column keeping, for each point inside the band,
 * the probability that a uniformly random path to it has already left the band (Viehmann 2021,
 * arXiv:2102.08037). A point's value averages its two predecessors weighted by how many paths
 * come from each (x/(x+y) and y/(x+y)); points outside the band are 1. No binomial overflows.
 */
function unequalSizesSf(m0: number, n0: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const g = gcd(m, n);
  const mg = m / g;
  const ng = n / g;
  // Inside the band at column i: |ng·i − mg·j| < h.
  const low = (i: number) => Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
  const high = (i: number) => Math.min(Math.ceil((ng * i + h) / mg) - 1, n);
  const column = new Float64Array(n + 1);
  let previousLow = 0;
  let previousHigh = high(0);
  for (let j = 0; j <= previousHigh; j++) column[j] = 0;
  for (let i = 1; i <= m; i++) {
    const from = Math.min(low(i), n);
    const to = high(i);
    if (to < from) return 1;
    for (let j = from; j <= to; j++) {
      const left = j >= previousLow && j <= previousHigh ? (column[j] ?? 1) : 1;
      const below = j === 0 ? 0 : j - 1 >= from ? (column[j - 1] ?? 1) : 1;
      column[j] = (left * i + below * j) / (i + j);
    }
    previousLow = from;
    previousHigh = to;
  }
  return column[n] ?? 1;
}

export interface ExactKs {
  /** The statistic snapped to its lattice value h/lcm(m, n), as scipy returns it. */
  readonly statistic: number;
  readonly pValue: number;
}

/** Two-sided exact p-value of the two-sample KS statistic `d` for samples of sizes m and n. */
export function exactTwoSampleSf(d: number, m: number, n: number): ExactKs {
  const lcm = (m / gcd(m, n)) * n;
  const h = Math.round(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const pValue = m === n ? equalSizesSf(m, h) : unequalSizesSf(m, n, h);
  return { statistic, pValue: Math.min(1, Math.max(0, pValue)) };
}

/** scipy gives up on 'exact' when lcm(m, n) would overflow a 32-bit integer. */
export function exactIsFeasible(m: number, n: number): boolean {
  const g = gcd(m, n);
  return m / g < (2 ** 31 - 1) / (n / g);
}
