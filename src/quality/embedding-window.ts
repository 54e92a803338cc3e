/**
 * A window of an embedding model's output vectors, kept as their per-dimension mean and
 * variance and the moments of their norms (`VectorMoments`): O(dimensions) memory and work
 * per item, no vector kept. The dimension is the first vector's, so a model's spec need not
 * declare it; a later vector of another length is counted apart, not mixed in.
 */
import type { Row } from '../core/tensors.ts';
import { VectorMoments } from './sketches/moments.ts';

export class EmbeddingWindow {
  private moments: VectorMoments | undefined;
  private otherLength = 0;

  /** `output` is the tensor holding a row's embedding. */
  constructor(readonly output: string) {}

  /** The vectors' moments; undefined until the first vector. */
  get vectors(): VectorMoments | undefined {
    return this.moments;
  }

  /** Vectors held. */
  get count(): number {
    return this.moments?.count ?? 0;
  }

  /** Vectors left out: non-finite, or not the window's dimension. */
  get rejected(): number {
    return this.otherLength + (this.moments?.rejected ?? 0);
  }

  /** A row without the tensor, or with integer data, is not an embedding and is skipped. */
  add(row: Row | undefined): void {
    const tensor = row?.[this.output];
    if (tensor === undefined || tensor.data.length === 0) return;
    const { data } = tensor;
    if (!(data instanceof Float32Array || data instanceof Float64Array)) return;
    this.moments ??= new VectorMoments(data.length);
    if (data.length === this.moments.dimensions) this.moments.add(data);
    else this.otherLength += 1;
  }

  /** Adds another window's vectors (a replica's, or the next window's): the same as one window of both. */
  merge(other: EmbeddingWindow): void {
    this.otherLength += other.otherLength;
    if (other.moments === undefined) return;
    if (this.moments === undefined) this.moments = VectorMoments.fromJSON(other.moments.toJSON());
    else this.moments.merge(other.moments);
  }
}
