/**
 * Runs preprocessed rows through an ONNX model in onnxruntime, in padded batches,
 * the way the serving path does. The build computes every number in a model card
 * this way, so the card describes what serving produces, not what the trainer thinks.
 */
import ort from 'onnxruntime-node';
import type { Row, RowTensor } from '../../../core/tensors.ts';

export type OrtSession = Awaited<ReturnType<typeof ort.InferenceSession.create>>;
type OrtTensor = InstanceType<typeof ort.Tensor>;

/** Single-threaded sessions give the same floating-point results run after run. */
export async function createSession(model: Uint8Array | string): Promise<OrtSession> {
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

/** Each row's slice of `output`, as a Float32Array of (output width) values. */
export async function runRows(
  session: OrtSession,
  rows: readonly Row[],
  output: string,
  batchSize = 32,
): Promise<Float32Array[]> {
  const results: Float32Array[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const outputs = await session.run(stackRows(batch));
    const tensor = outputs[output];
    if (tensor === undefined) throw new Error(`model has no output "${output}"`);
    const data = tensor.data as Float32Array;
    const width = data.length / batch.length;
    for (let row = 0; row < batch.length; row++) results.push(data.slice(row * width, (row + 1) * width));
  }
  return results;
}

/** The feeds for one batch: every tensor of the rows, padded and stacked. */
export function stackRows(batch: readonly Row[]): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const name of Object.keys(batch[0] ?? {})) {
    feeds[name] = padAndStack(
      batch.map((row) => row[name]).filter((tensor): tensor is RowTensor => tensor !== undefined),
      name,
    );
  }
  return feeds;
}

/** Stacks 1-D row tensors into [rows, longest], padding with zeros (id 0, mask 0). */
export function padAndStack(tensors: readonly RowTensor[], name: string): OrtTensor {
  const first = tensors[0];
  if (first === undefined) throw new Error(`no rows for "${name}"`);
  const longest = Math.max(...tensors.map((tensor) => tensor.dims[0] ?? 1));
  if (first.dtype === 'int64') {
    const data = new BigInt64Array(tensors.length * longest);
    tensors.forEach((tensor, row) => data.set(tensor.data as BigInt64Array, row * longest));
    return new ort.Tensor('int64', data, [tensors.length, longest]);
  }
  if (first.dtype !== 'float32') throw new Error(`"${name}": unsupported dtype ${first.dtype}`);
  const data = new Float32Array(tensors.length * longest);
  tensors.forEach((tensor, row) => data.set(tensor.data as Float32Array, row * longest));
  return new ort.Tensor('float32', data, [tensors.length, longest]);
}
