/**
 * Rows for warm-up batches: the model's declared sample items when it has them,
 * otherwise zero-filled rows built from its tensor declarations (variable dims as 1).
 */
import type { Preprocessor } from '../preprocess/index.ts';
import { allocate, elementCount, type Row, type RowTensor } from '../tensors.ts';
import type { ModelSpec } from './model-spec.ts';

export function warmupRows(spec: ModelSpec, preprocess: Preprocessor): Row[] {
  const samples = spec.warmup?.samples;
  if (samples !== undefined) return samples.map((sample) => preprocess(sample));
  const row: Record<string, RowTensor> = {};
  for (const tensor of spec.tensors.inputs) {
    const dims = tensor.shape.slice(1).map((dim) => (dim === -1 ? 1 : dim));
    row[tensor.name] = { dtype: tensor.dtype, data: allocate(tensor.dtype, elementCount(dims)), dims };
  }
  return [row];
}
