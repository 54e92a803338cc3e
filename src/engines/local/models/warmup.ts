/**
 * Warm-up: a new session runs one batch at every batch size the batcher may form before
 * it takes traffic, so no request pays for a cold session. The timings seed the
 * batcher's service model, so admission can predict waits from the first request on.
 */
import { stackRows } from '../batching/assemble.ts';
import type { Preprocessor } from '../preprocess/index.ts';
import { allocate, elementCount, type Row, type RowTensor } from '../../../core/tensors.ts';
import type { ModelSpec } from './model-spec.ts';
import type { ModelSession } from './model-session.ts';

export function warmupBatchSizes(spec: ModelSpec): number[] {
  if (spec.warmup?.batch_sizes !== undefined) return spec.warmup.batch_sizes;
  return Array.from({ length: spec.batching.max_batch_size }, (_, index) => index + 1);
}

/** Runs every warm-up batch on the session and returns how long each size took, in ms. */
export async function warmUpSession(session: ModelSession, spec: ModelSpec, preprocess: Preprocessor): Promise<Map<number, number>> {
  const timings = new Map<number, number>();
  for (const size of warmupBatchSizes(spec)) {
    // Fresh rows per batch: a session may take a batch's buffers, and a batch of one is its row's own data.
    const samples = warmupRows(spec, preprocess);
    // Grouped models only batch rows of one shape, so their warm-up repeats one sample.
    const rows = spec.batching.ragged === 'group' ? samples.slice(0, 1) : samples;
    const batch = stackRows(Array.from({ length: size }, (_, index) => rows[index % rows.length] as Row), spec.tensors.inputs, spec.batching.ragged);
    const started = performance.now();
    await session.run(batch);
    timings.set(size, performance.now() - started);
  }
  return timings;
}

/** The model's declared sample items when it has them, otherwise zero rows from its tensor declarations. */
function warmupRows(spec: ModelSpec, preprocess: Preprocessor): Row[] {
  const samples = spec.warmup?.samples;
  if (samples !== undefined) return samples.map((sample) => preprocess(sample));
  const row: Record<string, RowTensor> = {};
  for (const tensor of spec.tensors.inputs) {
    const dims = tensor.shape.slice(1).map((dim) => (dim === -1 ? 1 : dim));
    row[tensor.name] = { dtype: tensor.dtype, data: allocate(tensor.dtype, elementCount(dims)), dims };
  }
  return [row];
}
