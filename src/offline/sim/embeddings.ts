/**
 * Deterministic embeddings: a seeded normal vector per (seed, model, text), scaled to
 * unit length. Similar texts are not close; only identity is preserved.
 */
import { createRng, deriveSeed } from '../../core/seeded-rng.ts';

export function embed(seed: number, model: string, text: string, dimensions: number): Float32Array {
  const rng = createRng(deriveSeed(seed, `embed\u0000${model}\u0000${text}`));
  const vector = new Float32Array(dimensions);
  let squares = 0;
  for (let index = 0; index < dimensions; index++) {
    const value = rng.normal();
    vector[index] = value;
    squares += value * value;
  }
  const norm = Math.sqrt(squares) || 1;
  for (let index = 0; index < dimensions; index++) vector[index] = (vector[index] ?? 0) / norm;
  return vector;
}

/** OpenAI's `encoding_format: "base64"`: the little-endian float32 bytes, base64-encoded. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}
