/**
 * Checks that rows and batch outputs match what the model declares, with errors that
 * name the tensor and both shapes, so a bad row is rejected on its own before it can
 * fail the batch it would have joined.
 */
import { SluiceError } from '../../../core/errors.ts';
import type { TensorSpec } from '../models/model-spec.ts';
import { elementCount, type Row, type RowTensor, type TensorData, type TensorDType } from '../../../core/tensors.ts';

export function dataMatchesDtype(dtype: TensorDType, data: TensorData): boolean {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array;
    case 'float64':
      return data instanceof Float64Array;
    case 'int64':
      return data instanceof BigInt64Array;
    case 'int32':
      return data instanceof Int32Array;
    case 'bool':
      return data instanceof Uint8Array;
  }
}

export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** Throws a SluiceError (ERR_TENSOR_*) unless `row` has exactly the inputs of `inputs`, each well formed. */
export function checkRow(inputs: readonly TensorSpec[], row: Row): void {
  for (const name of Object.keys(row)) {
    if (!inputs.some((spec) => spec.name === name)) {
      const known = inputs.map((spec) => spec.name).join(', ');
      throw new SluiceError('ERR_TENSOR_UNKNOWN_INPUT', `unknown input tensor '${name}'; the model takes ${known}`, {
        field: name,
      });
    }
  }
  for (const spec of inputs) {
    const tensor = row[spec.name];
    if (tensor === undefined) {
      throw new SluiceError('ERR_TENSOR_MISSING_INPUT', `input tensor '${spec.name}' is missing`, { field: spec.name });
    }
    checkTensor(spec, tensor);
  }
}

function checkTensor(spec: TensorSpec, tensor: RowTensor): void {
  const field = spec.name;
  if (tensor.dtype !== spec.dtype) {
    throw new SluiceError(
      'ERR_TENSOR_DATATYPE',
      `input '${field}' has dtype ${tensor.dtype}; the model expects ${spec.dtype}`,
      { field },
    );
  }
  if (!dataMatchesDtype(tensor.dtype, tensor.data)) {
    throw new SluiceError(
      'ERR_TENSOR_DATATYPE',
      `input '${field}' is ${tensor.dtype} but its data is a ${tensor.data.constructor.name}`,
      { field },
    );
  }
  const rowShape = spec.shape.slice(1);
  const fits =
    tensor.dims.length === rowShape.length &&
    tensor.dims.every(
      (dim, axis) => Number.isInteger(dim) && dim >= 0 && (rowShape[axis] === -1 || rowShape[axis] === dim),
    );
  if (!fits) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `input '${field}' has row shape ${formatDims(tensor.dims)}; the model expects ${formatDims(rowShape)} per row (-1 = any length)`,
      { field },
    );
  }
  const expected = elementCount(tensor.dims);
  if (tensor.data.length !== expected) {
    throw new SluiceError(
      'ERR_TENSOR_DATA',
      `input '${field}' has ${tensor.data.length} values; shape ${formatDims(tensor.dims)} needs ${expected}`,
      { field },
    );
  }
}

/**
 * Throws unless every input can carry batches of 1..maxBatchSize rows: its batch
 * dimension must be variable (-1), or fixed at 1 for a model that never batches.
 */
export function checkBatchDimensions(inputs: readonly TensorSpec[], maxBatchSize: number): void {
  for (const spec of inputs) {
    const batchDim = spec.shape[0];
    if (batchDim === -1 || (batchDim === 1 && maxBatchSize === 1)) continue;
    throw new RangeError(
      `input '${spec.name}' has a fixed batch dimension ${String(batchDim)}, so it cannot carry batches of 1..${maxBatchSize}; declare it as -1`,
    );
  }
}
