/**
 * Running count, mean and variance by Welford's update, merged by Chan, Golub & LeVeque's
 * pairwise formula, so a merge of two windows equals one window of both up to rounding:
 *
 *   n = na + nb,  δ = mean_b − mean_a,  mean = mean_a + δ·nb/n,  M2 = M2a + M2b + δ²·na·nb/n
 *
 * `RunningMoments` keeps five numbers; `VectorMoments` keeps a mean and an M2 per dimension
 * (embedding outputs) plus the moments of each vector's L2 norm. Non-finite inputs are counted
 * in `rejected` and left out, so one NaN cannot poison a window.
 */
import { z } from 'zod';

const momentsJson = z.object({
  kind: z.literal('moments'),
  version: z.literal(1),
  count: z.number().int().min(0),
  mean: z.number(),
  m2: z.number().min(0),
  min: z.number().nullable(),
  max: z.number().nullable(),
  rejected: z.number().int().min(0),
});

export type RunningMomentsJson = z.infer<typeof momentsJson>;

export class RunningMoments {
  private n = 0;
  private mu = 0;
  private m2 = 0;
  private low = Infinity;
  private high = -Infinity;
  private nonFinite = 0;

  get count(): number {
    return this.n;
  }

  /** 0 when empty. */
  get mean(): number {
    return this.mu;
  }

  /** Population variance (M2 / n); 0 when empty. */
  get variance(): number {
    return this.n === 0 ? 0 : this.m2 / this.n;
  }

  /** Unbiased sample variance (M2 / (n − 1)); NaN below two values. */
  get sampleVariance(): number {
    return this.n < 2 ? NaN : this.m2 / (this.n - 1);
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  get min(): number {
    return this.n === 0 ? NaN : this.low;
  }

  get max(): number {
    return this.n === 0 ? NaN : this.high;
  }

  get rejected(): number {
    return this.nonFinite;
  }

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.nonFinite++;
      return;
    }
    this.n++;
    const delta = x - this.mu;
    this.mu += delta / this.n;
    this.m2 += delta * (x - this.mu);
    if (x < this.low) this.low = x;
    if (x > this.high) this.high = x;
  }

  merge(other: RunningMoments): void {
    this.nonFinite += other.nonFinite;
    if (other.n === 0) return;
    const n = this.n + other.n;
    const delta = other.mu - this.mu;
    this.mu += (delta * other.n) / n;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.n = n;
    this.low = Math.min(this.low, other.low);
    this.high = Math.max(this.high, other.high);
  }

  toJSON(): RunningMomentsJson {
    const empty = this.n === 0;
    const base = { kind: 'moments', version: 1, count: this.n, mean: this.mu, m2: this.m2 } as const;
    return { ...base, min: empty ? null : this.low, max: empty ? null : this.high, rejected: this.nonFinite };
  }

  static fromJSON(input: unknown): RunningMoments {
    const json = momentsJson.parse(input);
    const moments = new RunningMoments();
    moments.n = json.count;
    moments.mu = json.mean;
    moments.m2 = json.m2;
    moments.low = json.min ?? Infinity;
    moments.high = json.max ?? -Infinity;
    moments.nonFinite = json.rejected;
    return moments;
  }
}

export const MAX_VECTOR_DIMENSIONS = 65_536;

const vectorJson = z.object({
  kind: z.literal('vector-moments'),
  version: z.literal(1),
  dimensions: z.number().int().min(1).max(MAX_VECTOR_DIMENSIONS),
  count: z.number().int().min(0),
  mean: z.array(z.number()),
  m2: z.array(z.number().min(0)),
  norms: momentsJson,
  rejected: z.number().int().min(0),
});

export type VectorMomentsJson = z.infer<typeof vectorJson>;

/** Mean and spread of embedding outputs of a fixed dimension: 2·dimensions numbers plus the norms' moments. */
export class VectorMoments {
  readonly dimensions: number;
  /** Moments of ‖v‖₂ over the vectors added: a collapse or blow-up of embeddings shows here first. */
  readonly norms = new RunningMoments();
  private n = 0;
  private mu: Float64Array;
  private m2: Float64Array;
  private nonFinite = 0;

  constructor(dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_VECTOR_DIMENSIONS) {
      throw new RangeError(`dimensions must be 1..${MAX_VECTOR_DIMENSIONS}, got ${dimensions}`);
    }
    this.dimensions = dimensions;
    this.mu = new Float64Array(dimensions);
    this.m2 = new Float64Array(dimensions);
  }

  get count(): number {
    return this.n;
  }

  /** Vectors left out for holding a NaN or an infinity. */
  get rejected(): number {
    return this.nonFinite;
  }

  /** Per-dimension mean (a copy). */
  mean(): Float64Array {
    return this.mu.slice();
  }

  /** Per-dimension population variance (a copy); zeros when empty. */
  variance(): Float64Array {
    return this.mu.map((_, i) => (this.n === 0 ? 0 : (this.m2[i] as number) / this.n));
  }

  /** ‖mean‖₂: how far the average embedding sits from the origin. */
  meanNorm(): number {
    return Math.sqrt(this.mu.reduce((sum, value) => sum + value * value, 0));
  }

  /** Sum of the per-dimension variances: the spread of the cloud around its mean. */
  totalVariance(): number {
    return this.n === 0 ? 0 : this.m2.reduce((sum, value) => sum + value, 0) / this.n;
  }

  /** A vector of the wrong length is a caller's bug and throws; a non-finite one is counted and skipped. */
  add(vector: ArrayLike<number>): void {
    if (vector.length !== this.dimensions) {
      throw new RangeError(`expected ${this.dimensions} dimensions, got ${vector.length}`);
    }
    let squares = 0;
    for (let i = 0; i < vector.length; i++) squares += (vector[i] as number) ** 2;
    if (!Number.isFinite(squares)) {
      this.nonFinite++;
      return;
    }
    this.n++;
    for (let i = 0; i < vector.length; i++) {
      const x = vector[i] as number;
      const delta = x - (this.mu[i] as number);
      this.mu[i] = (this.mu[i] as number) + delta / this.n;
      this.m2[i] = (this.m2[i] as number) + delta * (x - (this.mu[i] as number));
    }
    this.norms.add(Math.sqrt(squares));
  }

  merge(other: VectorMoments): void {
    if (other.dimensions !== this.dimensions) throw new RangeError('cannot merge vectors of different dimensions');
    this.nonFinite += other.nonFinite;
    this.norms.merge(other.norms);
    if (other.n === 0) return;
    const n = this.n + other.n;
    for (let i = 0; i < this.dimensions; i++) {
      const delta = (other.mu[i] as number) - (this.mu[i] as number);
      this.mu[i] = (this.mu[i] as number) + (delta * other.n) / n;
      this.m2[i] = (this.m2[i] as number) + (other.m2[i] as number) + (delta * delta * this.n * other.n) / n;
    }
    this.n = n;
  }

  toJSON(): VectorMomentsJson {
    return {
      kind: 'vector-moments',
      version: 1,
      dimensions: this.dimensions,
      count: this.n,
      mean: [...this.mu],
      m2: [...this.m2],
      norms: this.norms.toJSON(),
      rejected: this.nonFinite,
    };
  }

  static fromJSON(input: unknown): VectorMoments {
    const json = vectorJson.parse(input);
    if (json.mean.length !== json.dimensions || json.m2.length !== json.dimensions) {
      throw new RangeError(`vector moments of ${json.dimensions} dimensions hold arrays of another length`);
    }
    const moments = new VectorMoments(json.dimensions);
    moments.n = json.count;
    moments.mu.set(json.mean);
    moments.m2.set(json.m2);
    moments.norms.merge(RunningMoments.fromJSON(json.norms));
    moments.nonFinite = json.rejected;
    return moments;
  }
}
