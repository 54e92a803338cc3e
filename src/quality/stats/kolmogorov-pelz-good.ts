/**
 * The Pelz–Good approximation (1976, JRSS B 38(2)) of the one-sample two-sided Kolmogorov
 * distribution: Pr(Dₙ ≤ z/√n) ≈ K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^{3/2}, each Kᵢ written as a
 * theta series that converges fast for small z. Simard & L'Ecuyer (2011) use it for n > 140 in
 * the middle of the range, and so does scipy's kstwo; we reproduce it to match scipy there,
 * not because it is exact (it is good to about 5 significant digits of the survival function).
 */

const PI2 = Math.PI ** 2;
const PI4 = PI2 * PI2;
const PI6 = PI4 * PI2;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Below this z the leading term exp(−π²/8z²) underflows: the probability is 0. */
const MIN_LOG = -708;

/** Sums over odd m = 2k − 1 of c(m) · exp(−π²m²/8z²) for K₀…K₃, largest k first. */
function oddSums(z: number, terms: number): [number, number, number, number] {
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const sums: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = terms; k >= 1; k--) {
    const m2 = (2 * k - 1) ** 2;
    const weight = Math.exp((-PI2 * m2) / (8 * z2));
    sums[0] += weight;
    sums[1] += weight * ((PI2 * m2) / 4 - z2);
    sums[2] +=
      weight * (6 * z6 + 2 * z4 + ((PI2 * m2) / 4) * (2 * z4 - 5 * z2) + ((PI4 * m2 * m2) / 16) * (1 - 2 * z2));
    sums[3] +=
      weight *
      (-30 * z6 -
        90 * z6 * z2 +
        ((PI2 * m2) / 4) * (135 * z4 - 96 * z6) +
        ((PI4 * m2 * m2) / 16) * (212 * z4 - 60 * z2) +
        ((PI6 * m2 * m2 * m2) / 64) * (5 - 30 * z2));
  }
  return sums;
}

/** Sums over all k ≥ 1 of k²·exp(−π²k²/2z²) terms that K₂ and K₃ add. */
function integerSums(z: number, terms: number): [number, number] {
  const z2 = z * z;
  let second = 0;
  let third = 0;
  for (let k = terms; k >= 1; k--) {
    const k2 = k * k;
    const weight = k2 * Math.exp((-PI2 * k2) / (2 * z2));
    second += weight;
    third += weight * (3 * z2 - PI2 * k2);
  }
  return [second, third];
}

/** Pr(Dₙ ≤ x) by Pelz–Good, for 0 < x < 1. */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  if (-PI2 / (8 * z * z) < MIN_LOG) return 0;
  // Past k ≈ 16z/π every further term is below e⁻¹²⁸ of the first.
  const terms = Math.ceil((16 * z) / Math.PI);
  const [s0, s1, s2, s3] = oddSums(z, terms);
  const [e2, e3] = integerSums(z, terms);
  const k0 = (SQRT_2PI / z) * s0;
  const k1 = (SQRT_2PI / (6 * z ** 4)) * s1;
  const k2 = (SQRT_2PI / (72 * z ** 7)) * s2 - ((PI2 * SQRT_2PI) / (36 * z ** 3)) * e2;
  const k3 = (SQRT_2PI / (6480 * z ** 10)) * s3 + ((PI2 * SQRT_2PI) / (216 * z ** 6)) * e3;
  return k0 + k1 / Math.sqrt(n) + k2 / n + k3 / n ** 1.5;
}
