/**
 * The text models' architecture, shared by all three: hashed ids → embedding
 * table → masked mean pool → dense layers → (optionally L2-normalised) → head.
 * The ONNX exporter writes exactly this computation (see `onnx/text-graph.ts`).
 */
import type { Rng } from '../../../core/seeded-rng.ts';
import { createDense, denseForward, type Activation, type DenseLayer } from './dense.ts';

export interface TextModelShape {
  readonly buckets: number;
  readonly embeddingDim: number;
  readonly hidden: ReadonlyArray<{ readonly size: number; readonly activation: Activation }>;
  readonly classes: number;
  /**
   * Embedding models: the last hidden layer is L2-normalised and multiplied by this
   * before the training head (a cosine-softmax), so intents separate by angle.
   */
  readonly normalizeScale?: number;
}

export interface TextModel {
  readonly shape: TextModelShape;
  /** [buckets × embeddingDim]; row 0 (padding) stays zero. */
  readonly embedding: Float32Array;
  readonly body: readonly DenseLayer[];
  readonly head: DenseLayer;
}

/**
 * The embedding table starts at zero: buckets that training never touches (hash
 * collisions aside, n-grams never seen) then contribute nothing at serving time
 * instead of random noise. The dense layers' random init breaks the symmetry.
 */
export function createTextModel(shape: TextModelShape, rng: Rng): TextModel {
  const body: DenseLayer[] = [];
  let width = shape.embeddingDim;
  for (const layer of shape.hidden) {
    body.push(createDense(width, layer.size, layer.activation, rng));
    width = layer.size;
  }
  return {
    shape,
    embedding: initialEmbedding(shape, rng),
    body,
    head: createDense(width, shape.classes, 'none', rng),
  };
}

export function meanPool(embedding: Float32Array, dim: number, batch: readonly Int32Array[]): Float32Array {
  const pooled = new Float32Array(batch.length * dim);
  batch.forEach((ids, row) => {
    const out = row * dim;
    for (const id of ids) {
      const from = id * dim;
      for (let d = 0; d < dim; d++) pooled[out + d]! += embedding[from + d]!;
    }
    const scale = 1 / Math.max(ids.length, 1);
    for (let d = 0; d < dim; d++) pooled[out + d]! *= scale;
  });
  return pooled;
}

export interface TextForward {
  readonly pooled: Float32Array;
  /** Output of each body layer, in order. */
  readonly activations: readonly Float32Array[];
  /** Embedding models: the unit vectors and the norms they were divided by. */
  readonly unit?: Float32Array;
  readonly norms?: Float32Array;
  readonly headInput: Float32Array;
  readonly logits: Float32Array;
}

export function forwardText(model: TextModel, batch: readonly Int32Array[]): TextForward {
  const rows = batch.length;
  const pooled = meanPool(model.embedding, model.shape.embeddingDim, batch);
  const activations: Float32Array[] = [];
  let x = pooled;
  for (const layer of model.body) {
    x = denseForward(layer, x, rows);
    activations.push(x);
  }
  const scale = model.shape.normalizeScale;
  if (scale === undefined) return { pooled, activations, headInput: x, logits: denseForward(model.head, x, rows) };
  const { unit, norms } = l2Normalize(x, rows);
  const headInput = unit.map((value) => value * scale);
  return { pooled, activations, unit, norms, headInput, logits: denseForward(model.head, headInput, rows) };
}

/** Row-wise x / (‖x‖ + 1e-12), the same epsilon the exported graph adds. */
export function l2Normalize(x: Float32Array, rows: number): { unit: Float32Array; norms: Float32Array } {
  const width = x.length / rows;
  const unit = new Float32Array(x.length);
  const norms = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let d = 0; d < width; d++) sum += x[row * width + d]! ** 2;
    const norm = Math.sqrt(sum) + L2_EPSILON;
    norms[row] = norm;
    for (let d = 0; d < width; d++) unit[row * width + d] = x[row * width + d]! / norm;
  }
  return { unit, norms };
}

export const L2_EPSILON = 1e-12;

/** Index of the largest logit of each row. */
export function argmaxRows(logits: Float32Array, classes: number): number[] {
  const predictions: number[] = [];
  for (let offset = 0; offset < logits.length; offset += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[offset + c]! > logits[offset + best]!) best = c;
    predictions.push(best);
  }
  return predictions;
}

function initialEmbedding(shape: TextModelShape, rng: Rng): Float32Array {
  const table = new Float32Array(shape.buckets * shape.embeddingDim);
  for (let index = shape.embeddingDim; index < table.length; index++) table[index] = rng.normal() * EMBEDDING_INIT_STD;
  return table;
}

const EMBEDDING_INIT_STD = 0.1;
