/**
 * One ONNX Runtime session, checked against its `model.yaml` at load time so that a
 * declaration that contradicts the graph fails at startup, never at the first request.
 * It runs on the thread that opened it: the event loop's (`models.execution: main`) or
 * a session worker's (`session-worker.ts`).
 */
import ort from 'onnxruntime-node';
import type { DeclaredTensors, ModelSession, SessionOptions } from './model-session.ts';
import type { TensorSpec } from './model-spec.ts';
import type { BatchTensors, TensorDType } from '../../../core/tensors.ts';

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

/** An in-process session never dies on its own, so it has no `onLost`. */
export type OnnxSession = ModelSession;

export async function openOnnxSession(onnxPath: string, declared: DeclaredTensors, options: SessionOptions): Promise<OnnxSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new ModelLoadError(`${onnxPath}: ONNX Runtime cannot load it: ${(error as Error).message}`);
  }
  const problems = [
    ...compareTensors('input', declared.inputs, session.inputMetadata),
    ...compareTensors('output', declared.outputs, session.outputMetadata),
  ];
  if (problems.length > 0) {
    await session.release();
    throw new ModelLoadError(`${onnxPath}: model.yaml contradicts the ONNX graph:\n  ${problems.join('\n  ')}`);
  }
  const outputNames = declared.outputs.map((output) => output.name);
  const dtypes = new Map(declared.inputs.map((input) => [input.name, input.dtype]));
  let released: Promise<void> | undefined;
  return {
    run: async (inputs) => {
      if (released !== undefined) throw new Error(`the session of ${onnxPath} is closed`);
      return fromOrt(await session.run(toOrt(inputs, dtypes), outputNames));
    },
    release: () => (released ??= session.release()),
  };
}

/** Every declared tensor must exist with the same dtype and rank; fixed dims must agree. */
export function compareTensors(
  kind: 'input' | 'output',
  declared: readonly TensorSpec[],
  actual: readonly ort.InferenceSession.ValueMetadata[],
): string[] {
  const problems: string[] = [];
  const byName = new Map(actual.map((value) => [value.name, value]));
  for (const spec of declared) {
    const value = byName.get(spec.name);
    if (value === undefined) {
      problems.push(`tensors.${kind}s: "${spec.name}" is not an ${kind} of the graph (graph has: ${[...byName.keys()].join(', ')})`);
      continue;
    }
    if (!value.isTensor) {
      problems.push(`tensors.${kind}s: "${spec.name}" is not a tensor in the graph`);
      continue;
    }
    problems.push(...compareTensor(kind, spec, value));
  }
  if (kind === 'input') {
    const declaredNames = new Set(declared.map((spec) => spec.name));
    for (const name of byName.keys()) {
      if (!declaredNames.has(name)) problems.push(`tensors.inputs: graph input "${name}" is not declared`);
    }
  }
  return problems;
}

function compareTensor(kind: string, spec: TensorSpec, value: ort.InferenceSession.TensorValueMetadata): string[] {
  const where = `tensors.${kind}s.${spec.name}`;
  const problems: string[] = [];
  if (value.type !== spec.dtype) problems.push(`${where}.dtype: declared ${spec.dtype}, graph has ${value.type}`);
  if (value.shape.length === 0) return problems; // the graph leaves the shape unspecified
  if (value.shape.length !== spec.shape.length) {
    problems.push(`${where}.shape: declared rank ${spec.shape.length} [${spec.shape}], graph has rank ${value.shape.length} [${value.shape}]`);
    return problems;
  }
  value.shape.forEach((graphDim, axis) => {
    const declaredDim = spec.shape[axis];
    if (typeof graphDim === 'number' && graphDim >= 0 && declaredDim !== graphDim) {
      problems.push(`${where}.shape[${axis}]: declared ${declaredDim}, graph has ${graphDim}`);
    }
  });
  return problems;
}

/** ONNX Runtime's own messages for a wrong dtype or a size that does not match the data do not name the input; these do. */
function toOrt(inputs: BatchTensors, dtypes: ReadonlyMap<string, TensorDType>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(inputs)) {
    const dtype = dtypes.get(name);
    if (dtype !== undefined && dtype !== tensor.dtype) {
      throw new TypeError(`input "${name}": the model takes ${dtype}, got ${tensor.dtype}`);
    }
    try {
      feeds[name] = new ort.Tensor(tensor.dtype, tensor.data, [...tensor.dims]);
    } catch (error) {
      throw new TypeError(`input "${name}": ${(error as Error).message}`);
    }
  }
  return feeds;
}

function fromOrt(outputs: ort.InferenceSession.ReturnType): BatchTensors {
  const result: Record<string, BatchTensors[string]> = {};
  for (const [name, value] of Object.entries(outputs)) {
    const tensor = value as ort.Tensor;
    result[name] = { dtype: tensor.type as TensorDType, data: tensor.data as BatchTensors[string]['data'], dims: tensor.dims };
  }
  return result;
}
