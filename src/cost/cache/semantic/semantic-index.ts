/**
 * Where the semantic cache keeps prompts' embeddings and their answers: in this process's
 * memory by default (memory-semantic-index.ts), in Redis when `state.redis_url` is set
 * (redis-semantic-index.ts). One contract suite (semantic-index.contract.ts) runs against both.
 *
 *   bucket (tenant, model) ── at most maxEntries entries, oldest dropped first
 *     entry: parameters key · unit vector · answer · expiry
 *
 * A lookup compares the prompt with every live entry of its bucket that has the same
 * parameters key (brute force: a bucket is small) and returns the most similar one at or
 * above the threshold. Buckets bound a tenant's entries per model whatever parameters its
 * requests vary; the parameters key keeps requests whose answers differ apart.
 */

export interface SemanticEntry {
  /** Everything but the prompt's text that changes the answer (cache-key.ts). */
  readonly paramsKey: string;
  /** Unit length (`unitVector`). */
  readonly vector: Float32Array;
  /** The stored answer (answer-codec.ts). */
  readonly value: string;
}

export interface SemanticMatch {
  readonly value: string;
  /** Cosine similarity to the prompt looked up. */
  readonly similarity: number;
}

export interface SemanticBounds {
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export interface SemanticIndex {
  /** The most similar live entry of `bucket` with the same parameters key and a similarity ≥ `minSimilarity`. */
  nearest(
    bucket: string,
    paramsKey: string,
    vector: Float32Array,
    minSimilarity: number,
  ): Promise<SemanticMatch | undefined>;
  /** Adds an entry, dropping the bucket's oldest beyond `maxEntries`. */
  add(bucket: string, entry: SemanticEntry, bounds: SemanticBounds): Promise<void>;
  close(): Promise<void>;
}

/** The vector scaled to length 1 (a zero vector stays zero: it is similar to nothing). */
export function unitVector(values: ArrayLike<number>): Float32Array {
  const vector = Float32Array.from(values);
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let index = 0; index < vector.length; index++) vector[index] = (vector[index] as number) / norm;
  return vector;
}

/** Cosine similarity of two unit vectors; vectors of different lengths (another embedding model) are not similar. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] as number) * (b[index] as number);
  return sum;
}

/** The best candidate at or above the threshold, by similarity; ties go to the newest. */
export function bestMatch<T extends { readonly vector: Float32Array }>(
  candidates: Iterable<T>,
  vector: Float32Array,
  minSimilarity: number,
): { candidate: T; similarity: number } | undefined {
  let best: { candidate: T; similarity: number } | undefined;
  for (const candidate of candidates) {
    const similarity = cosine(candidate.vector, vector);
    if (similarity >= minSimilarity && (best === undefined || similarity >= best.similarity))
      best = { candidate, similarity };
  }
  return best;
}
