/**
 * The special functions the drift tests need, written here so no statistics library runs in
 * the gateway: log-gamma, the regularized incomplete gamma functions (chi-squared p-values)
 * and erfc (normal p-values). Series and continued fraction as in Numerical Recipes §6.2,
 * iterated to full double precision; the tests hold them to scipy within 1e-13 relative.
 */

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
/** Stirling-series coefficients B₂ₖ / (2k(2k−1)), k = 1…8. */
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
const EPSILON = Number.EPSILON;
const TINY = Number.MIN_VALUE / EPSILON;
const MAX_ITERATIONS = 100_000;

/** ln Γ(x) for x > 0: the Stirling series, after shifting x above 10 where it is exact to 1e-17. */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  let shift = 0;
  let z = x;
  let product = 1;
  while (z < 10) {
    product *= z;
    z += 1;
    shift += 1;
  }
  const inverse = 1 / z;
  const inverseSquared = inverse * inverse;
  let series = 0;
  for (let k = STIRLING.length - 1; k >= 0; k--) series = series * inverseSquared + (STIRLING[k] ?? 0);
  const stirling = (z - 0.5) * Math.log(z) - z + HALF_LOG_TWO_PI + series * inverse;
  return shift === 0 ? stirling : stirling - Math.log(product);
}

/** ln(xᵃ e⁻ˣ / Γ(a)), the common factor of both incomplete gamma expansions. */
function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** P(a, x) by its power series; converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(logPrefactor(a, x));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x ≥ a + 1. */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(logPrefactor(a, x)) * h;
}

/** The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
}

/** The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) (scipy's gammaincc). */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

/** Survival function of the chi-squared distribution (scipy.stats.chi2.sf). */
export function chiSquaredSf(statistic: number, degreesOfFreedom: number): number {
  if (Number.isNaN(statistic)) return Number.NaN;
  if (statistic <= 0) return degreesOfFreedom > 0 ? 1 : Number.NaN;
  return regularizedGammaQ(degreesOfFreedom / 2, statistic / 2);
}

/**
 * erfc(x) = Q(½, x²) for x ≥ 0: the continued fraction keeps full relative precision in the far
 * tail (down to 1e-300), where 1 − erf(x) would round to 0.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 0) return 2 - erfc(-x);
  const squared = x * x;
  if (squared === 0) return 1;
  return regularizedGammaQ(0.5, squared);
}

/** Survival function of the standard normal, 1 − Φ(z), exact in the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Cumulative distribution of the standard normal, Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}
