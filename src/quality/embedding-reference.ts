/**
 * The reference side of embedding drift: the statistics of a model's output vectors that a
 * reference profile stores (reference-profile.ts), made from the profile's rows or a window,
 * and checked when a profile file is read. The test itself is in embedding-drift.ts.
 */
import type { Row } from '../core/tensors.ts';
import { EmbeddingWindow } from './embedding-window.ts';
import type { VectorMoments } from './sketches/moments.ts';

/** The reference's statistics of a model's output vectors, as a profile stores them. */
export interface EmbeddingReference {
  readonly dimensions: number;
  readonly count: number;
  readonly mean: readonly number[];
  /** Per-dimension population variance. */
  readonly variance: readonly number[];
  /** The mean of the vectors' L2 norms. */
  readonly mean_norm: number;
}

export function embeddingReferenceOf(vectors: VectorMoments): EmbeddingReference {
  return {
    dimensions: vectors.dimensions,
    count: vectors.count,
    mean: [...vectors.mean()],
    variance: [...vectors.variance()],
    mean_norm: vectors.norms.mean,
  };
}

/** The statistics of the embeddings in `rows` (a profile's reference rows); undefined when none holds one. */
export function embeddingOfRows(
  output: string | undefined,
  rows: Iterable<Row | undefined>,
): EmbeddingReference | undefined {
  if (output === undefined) return undefined;
  const window = new EmbeddingWindow(output);
  for (const row of rows) window.add(row);
  const vectors = window.vectors;
  return vectors === undefined || vectors.count === 0 ? undefined : embeddingReferenceOf(vectors);
}

/** An embedding reference read from a profile file; throws naming what is wrong. */
export function parseEmbeddingReference(value: unknown): EmbeddingReference {
  const candidate = (typeof value === 'object' && value !== null ? value : {}) as Partial<EmbeddingReference>;
  const { dimensions, count, mean, variance, mean_norm: meanNorm } = candidate;
  const numbers = (array: unknown): array is number[] =>
    Array.isArray(array) && array.length === dimensions && array.every((x) => typeof x === 'number');
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1)
    throw new Error('embedding.dimensions must be a positive integer');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
    throw new Error('embedding.count must be a whole number');
  if (!numbers(mean) || !numbers(variance))
    throw new Error(`embedding.mean and .variance must hold ${dimensions} numbers`);
  if (typeof meanNorm !== 'number') throw new Error('embedding.mean_norm must be a number');
  return { dimensions, count, mean, variance, mean_norm: meanNorm };
}
