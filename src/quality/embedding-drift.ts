/**
 * Embedding drift: how far a window's mean embedding moved from the reference's, in units of
 * the reference's spread (docs/quality.md#embedding-drift):
 *
 *   d = ‖μ_live − μ_ref‖₂ / √(Σᵢ σ²_ref,i)
 *
 * Evidently's `distance` method compares mean embeddings by Euclidean distance too, but
 * against a threshold in the embedding's own units; dividing by the reference's total spread
 * makes d scale-free (the same for a model whose vectors are ten times longer, and unchanged by
 * a rotation), so one threshold serves every embedding model.
 *
 * Two windows of one population are apart too: E[d²] = 1/n + 1/m for n live and m reference
 * vectors, whatever the covariance. The threshold is therefore the larger of a fixed distance
 * and a multiple of that sampling noise, so a short window is not flagged for being short.
 */
import type { FeatureDrift } from './drift.ts';
import type { EmbeddingReference } from './embedding-reference.ts';
import type { EmbeddingWindow } from './embedding-window.ts';

export const EMBEDDING_FEATURE = 'embedding';
/** Drift at a mean moved by at least this share of the reference's spread (docs/quality.md: how it was chosen). */
export const EMBEDDING_MIN_DISTANCE = 0.15;
/** ... or by this many times the distance sampling alone gives, √(1/n + 1/m), when that is larger. */
export const EMBEDDING_NOISE_MULTIPLE = 3;

/** The embedding feature's drift, with the mean norms beside it for an operator to read. */
export interface EmbeddingDrift extends FeatureDrift {
  readonly dimensions: number;
  readonly mean_norm: number;
  readonly reference_mean_norm: number;
}

/** ‖live − reference‖ / √(Σ spread); 0 for equal means, ∞ when they differ around a reference with no spread. */
export function meanDistance(
  reference: Pick<EmbeddingReference, 'mean' | 'variance'>,
  live: ArrayLike<number>,
): number {
  if (live.length !== reference.mean.length) throw new RangeError('mean vectors of different dimensions');
  let squares = 0;
  for (let i = 0; i < live.length; i++) squares += ((live[i] as number) - (reference.mean[i] as number)) ** 2;
  const spread = reference.variance.reduce((sum, value) => sum + value, 0);
  if (squares === 0) return 0;
  return spread > 0 ? Math.sqrt(squares / spread) : Infinity;
}

/** The distance at which a window of `live` vectors against `reference` ones is flagged. */
export function embeddingThreshold(live: number, reference: number): number {
  return Math.max(EMBEDDING_MIN_DISTANCE, EMBEDDING_NOISE_MULTIPLE * Math.sqrt(1 / live + 1 / reference));
}

/** The window's embedding feature, or none when the reference has no embedding, the window no vector, or they differ in dimension. */
export function embeddingDrift(
  reference: EmbeddingReference | undefined,
  live: EmbeddingWindow | undefined,
): EmbeddingDrift[] {
  const vectors = live?.vectors;
  if (reference === undefined || vectors === undefined || vectors.count === 0 || reference.count === 0) return [];
  if (vectors.dimensions !== reference.dimensions) return [];
  const statistic = meanDistance(reference, vectors.mean());
  const threshold = embeddingThreshold(vectors.count, reference.count);
  return [
    {
      name: EMBEDDING_FEATURE,
      kind: 'embedding',
      test: 'mean_distance',
      statistic,
      p_value: null,
      threshold,
      drifted: statistic >= threshold,
      reference_count: reference.count,
      live_count: vectors.count,
      dimensions: vectors.dimensions,
      mean_norm: vectors.norms.mean,
      reference_mean_norm: reference.mean_norm,
    },
  ];
}
