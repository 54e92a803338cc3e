/**
 * Rows in, batch tensors out, and back: stacks rows along a new leading batch
 * dimension following the model's input specs, and splits batch outputs into rows.
 */
import { SluiceError } from '../../../core/errors.ts';
import type { TensorSpec } from '../models/model-spec.ts';
import {
  allocate,
  elementCount,
  type BatchTensor,
  type BatchTensors,
  type Row,
  type RowTensor,
  type TensorData,
} from '../../../core/tensors.ts';
import type { RaggedMode } from './batch-policy.ts';
import { checkRow, dataMatchesDtype, formatDims } from './tensor-check.ts';

/** Rows with equal keys have identical shapes for every tensor, so `group` mode may stack them. */
export function shapeKey(row: Row): string {
  return Object.keys(row)
    .sort()
    .map((name) => `${name}:${row[name]?.dims.join('x') ?? ''}`)
    .join(';');
}

/**
 * Stacks `rows` into one tensor per input. Variable (-1) dimensions take the longest
 * row's length; shorter rows are padded with the spec's `pad_value` in `pad` mode and
 * rejected in `group` mode, where only rows of identical shape may share a batch.
 */
export function stackRows(rows: readonly Row[], inputs: readonly TensorSpec[], ragged: RaggedMode): BatchTensors {
  if (rows.length === 0) throw new RangeError('cannot assemble an empty batch');
  for (const row of rows) checkRow(inputs, row);
  const batch: Record<string, BatchTensor> = {};
  for (const spec of inputs) {
    const tensors = rows.map((row) => row[spec.name]).filter((tensor) => tensor !== undefined);
    batch[spec.name] = stackTensors(spec, tensors, ragged);
  }
  return batch;
}

function stackTensors(spec: TensorSpec, tensors: readonly RowTensor[], ragged: RaggedMode): BatchTensor {
  const batchDim = spec.shape[0];
  if (batchDim !== undefined && batchDim >= 0 && batchDim !== tensors.length) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `input '${spec.name}' has a fixed batch dimension ${batchDim}; cannot stack ${tensors.length} rows`,
      {
        field: spec.name,
      },
    );
  }
  const rowDims = batchRowDims(spec, tensors, ragged);
  const dims = [tensors.length, ...rowDims];
  const first = tensors[0];
  const padded = tensors.some((tensor) => !sameDims(tensor.dims, rowDims));
  // One unpadded row is already laid out as a batch of one: hand its data on as is.
  if (first !== undefined && tensors.length === 1 && !padded) return { dtype: spec.dtype, dims, data: first.data };

  const data = allocate(spec.dtype, elementCount(dims));
  if (padded) fillPad(data, spec);
  const rowStride = elementCount(rowDims);
  tensors.forEach((tensor, index) => copyRow(data, index * rowStride, rowDims, tensor));
  return { dtype: spec.dtype, dims, data };
}

function batchRowDims(spec: TensorSpec, tensors: readonly RowTensor[], ragged: RaggedMode): number[] {
  const rowShape = spec.shape.slice(1);
  return rowShape.map((specDim, axis) => {
    if (specDim >= 0) return specDim;
    const lengths = tensors.map((tensor) => tensor.dims[axis] ?? 0);
    const longest = Math.max(...lengths);
    if (ragged === 'group' && lengths.some((length) => length !== longest)) {
      const shapes = tensors.map((tensor) => formatDims(tensor.dims)).join(', ');
      throw new SluiceError(
        'ERR_TENSOR_SHAPE',
        `input '${spec.name}' rows differ in shape (${shapes}); group mode stacks only identical shapes`,
        {
          field: spec.name,
        },
      );
    }
    return longest;
  });
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, axis) => dim === b[axis]);
}

function fillPad(data: TensorData, spec: TensorSpec): void {
  const value = spec.pad_value;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    data.fill(value);
    return;
  }
  if (!Number.isInteger(value)) {
    throw new RangeError(`pad_value ${value} of input '${spec.name}' is not a valid ${spec.dtype}`);
  }
  if (data instanceof BigInt64Array) data.fill(BigInt(value));
  else data.fill(value);
}

/**
 * Copies one row into its slot of the batch, which may be larger on every axis. The
 * row's innermost axis is contiguous in both layouts, so it goes as one run per
 * index of the outer axes; `index` counts through those outer axes like an odometer.
 */
function copyRow(target: TensorData, slotOffset: number, slotDims: readonly number[], row: RowTensor): void {
  const dims = row.dims;
  if (sameDims(dims, slotDims) || dims.length === 0) {
    copyRun(target, slotOffset, row.data, 0, row.data.length);
    return;
  }
  if (row.data.length === 0) return;
  const strides = slotDims.map((_, axis) => elementCount(slotDims.slice(axis + 1)));
  const outerAxes = dims.length - 1;
  const runLength = dims[outerAxes] ?? 0;
  const index = new Array<number>(outerAxes).fill(0);
  for (let source = 0; source < row.data.length; source += runLength) {
    const offset = index.reduce((sum, position, axis) => sum + position * (strides[axis] ?? 0), slotOffset);
    copyRun(target, offset, row.data, source, source + runLength);
    for (let axis = outerAxes - 1; axis >= 0; axis -= 1) {
      index[axis] = (index[axis] ?? 0) + 1;
      if ((index[axis] ?? 0) < (dims[axis] ?? 0)) break;
      index[axis] = 0;
    }
  }
}

function copyRun(target: TensorData, offset: number, source: TensorData, start: number, end: number): void {
  if (target instanceof BigInt64Array && source instanceof BigInt64Array) {
    target.set(source.subarray(start, end), offset);
  } else if (!(target instanceof BigInt64Array) && !(source instanceof BigInt64Array)) {
    target.set(source.subarray(start, end), offset);
  } else {
    throw new TypeError(`cannot copy ${source.constructor.name} data into ${target.constructor.name}`);
  }
}

/**
 * Splits batch outputs (batch dimension first) into `size` rows, in batch order. Each
 * row gets a copy of just its slice, so keeping one response alive does not pin the
 * whole batch's buffers.
 */
export function splitOutputs(outputs: BatchTensors, size: number): Row[] {
  const rows: Record<string, RowTensor>[] = Array.from({ length: size }, () => ({}));
  for (const [name, tensor] of Object.entries(outputs)) {
    checkOutput(name, tensor, size);
    const rowDims = tensor.dims.slice(1);
    const rowLength = elementCount(rowDims);
    rows.forEach((row, index) => {
      const data = size === 1 ? tensor.data : tensor.data.slice(index * rowLength, (index + 1) * rowLength);
      row[name] = { dtype: tensor.dtype, dims: rowDims, data };
    });
  }
  return rows;
}

function checkOutput(name: string, tensor: BatchTensor, size: number): void {
  const fail = (problem: string): never => {
    throw new SluiceError('ERR_INFERENCE_FAILED', `output '${name}' ${problem}`, { field: name });
  };
  if (!dataMatchesDtype(tensor.dtype, tensor.data))
    fail(`is ${tensor.dtype} but its data is a ${tensor.data.constructor.name}`);
  if (tensor.dims[0] !== size)
    fail(`has shape ${formatDims(tensor.dims)}; expected a batch dimension of ${size} first`);
  if (tensor.data.length !== elementCount(tensor.dims))
    fail(`has ${tensor.data.length} values for shape ${formatDims(tensor.dims)}`);
}
