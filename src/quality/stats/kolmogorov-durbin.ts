/**
 * Durbin's matrix formula for the one-sample two-sided Kolmogorov distribution, Pr(Dₙ ≤ d), as
 * evaluated by Marsaglia, Tsang & Wang (2003, J. Stat. Softw. 8(18)): with k = ⌈nd⌉, h = k − nd
 * and m = 2k − 1, the probability is n!/nⁿ · (Hⁿ)ₖₖ for an m×m matrix H of Poisson-like terms.
 * Exact up to rounding for every n and d; it costs O(m³ log n), so the caller keeps nd small.
 * Powers are rescaled by powers of two as they grow, with the exponent kept apart.
 */

interface Scaled {
  readonly matrix: Float64Array;
  /** The true matrix is `matrix · 2^exponent`. */
  readonly exponent: number;
}

const RESCALE_AT = 2 ** 256;

function multiply(a: Scaled, b: Scaled, size: number): Scaled {
  const out = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      const aik = a.matrix[i * size + k] ?? 0;
      if (aik === 0) continue;
      for (let j = 0; j < size; j++) out[i * size + j] = (out[i * size + j] ?? 0) + aik * (b.matrix[k * size + j] ?? 0);
    }
  }
  return rescale({ matrix: out, exponent: a.exponent + b.exponent });
}

/** Keeps entries within a few hundred binary orders of 1, so Hⁿ neither overflows nor underflows. */
function rescale(scaled: Scaled): Scaled {
  let largest = 0;
  for (const value of scaled.matrix) largest = Math.max(largest, Math.abs(value));
  if (largest < RESCALE_AT && largest > 1 / RESCALE_AT) return scaled;
  if (largest === 0) return scaled;
  const shift = Math.floor(Math.log2(largest));
  const factor = 2 ** -shift;
  const matrix = scaled.matrix.map((value) => value * factor);
  return { matrix, exponent: scaled.exponent + shift };
}

/** Durbin's H: H[i][j] = 1/(i−j+1)! below the superdiagonal, corrected along the first column and last row. */
function durbinMatrix(k: number, h: number): Float64Array {
  const size = 2 * k - 1;
  const matrix = new Float64Array(size * size);
  const factorial = [1];
  for (let i = 1; i <= size; i++) factorial.push((factorial[i - 1] ?? 1) * i);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (i - j + 1 >= 0) matrix[i * size + j] = 1 / (factorial[i - j + 1] ?? 1);
    }
  }
  for (let i = 0; i < size; i++) {
    const power = i + 1;
    const correction = h ** power / (factorial[power] ?? 1);
    matrix[i * size] = (matrix[i * size] ?? 0) - correction;
    matrix[(size - 1) * size + (size - 1 - i)] = (matrix[(size - 1) * size + (size - 1 - i)] ?? 0) - correction;
  }
  const corner = 2 * h - 1 > 0 ? (2 * h - 1) ** size / (factorial[size] ?? 1) : 0;
  matrix[(size - 1) * size] = (matrix[(size - 1) * size] ?? 0) + corner;
  return matrix;
}

function power(base: Scaled, n: number, size: number): Scaled {
  const identity = new Float64Array(size * size);
  for (let i = 0; i < size; i++) identity[i * size + i] = 1;
  let result: Scaled = { matrix: identity, exponent: 0 };
  let square = base;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) result = multiply(result, square, size);
    if (remaining > 1) square = multiply(square, square, size);
  }
  return result;
}

/** Pr(Dₙ ≤ d) for the one-sample two-sided Kolmogorov–Smirnov statistic, by Durbin's matrix. */
export function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const size = 2 * k - 1;
  const hn = power({ matrix: durbinMatrix(k, h), exponent: 0 }, n, size);
  let value = hn.matrix[(k - 1) * size + (k - 1)] ?? 0;
  let exponent = hn.exponent;
  // Multiply by n!/nⁿ one factor at a time, rescaling as the product shrinks.
  for (let i = 1; i <= n; i++) {
    value = (value * i) / n;
    if (value !== 0 && Math.abs(value) < 1 / RESCALE_AT) {
      value *= RESCALE_AT;
      exponent -= 256;
    }
  }
  return Math.min(1, Math.max(0, value * 2 ** exponent));
}
