/**
 * Turns one validated request item into the row of tensors its graph takes.
 * The text and tabular preprocessors are shared with training, so the serving path
 * computes exactly the features the model was trained on.
 */
import { SluiceError } from '../../../core/errors.ts';
import type { ModelSpec, RequestInputSpec, TensorSpec } from '../models/model-spec.ts';
import {
  allocate,
  elementCount,
  type Row,
  type RowTensor,
  type TensorData,
  type TensorDType,
} from '../../../core/tensors.ts';
import { tabularRow } from './tabular.ts';
import { textHashRow } from './text-hash.ts';

import type { Item } from '../../../pipeline/request.ts';

export type { Item };
export type Preprocessor = (item: Item) => Row;

export function makePreprocessor(spec: ModelSpec): Preprocessor {
  const preprocessing = spec.preprocessing;
  switch (preprocessing.kind) {
    case 'text-hash':
      return (item) => textHashRow(String(item[preprocessing.input]), preprocessing);
    case 'tabular':
      return (item) => tabularRow(item, preprocessing);
    case 'none':
      return passThroughPreprocessor(spec);
  }
}

/**
 * A field value that is already a tensor: a protocol that decoded typed data (KServe v2
 * tensors, JSON or binary) hands each item its slice as a RowTensor. JSON alone never
 * yields a typed array, so a value sent as an object cannot pass for one.
 */
export function isRowTensor(value: unknown): value is RowTensor {
  if (typeof value !== 'object' || value === null) return false;
  const { data, dims, dtype } = value as Partial<RowTensor>;
  return ArrayBuffer.isView(data) && Array.isArray(dims) && typeof dtype === 'string';
}

/**
 * Request inputs are the graph's inputs: a row tensor of the right dtype and shape passes
 * through as it is; another dtype is converted; a nested array is reshaped into one.
 */
function passThroughPreprocessor(spec: ModelSpec): Preprocessor {
  const pairs = spec.inputs.map((input) => {
    const tensor = spec.tensors.inputs.find((candidate) => candidate.name === input.name);
    if (tensor === undefined)
      throw new Error(`input "${input.name}" has no tensor of the same name (preprocessing: none)`);
    return { input, tensor };
  });
  return (item) => {
    const row: Record<string, RowTensor> = {};
    for (const { input, tensor } of pairs) row[tensor.name] = toRowTensor(item[input.name], input, tensor);
    return row;
  };
}

function toRowTensor(value: unknown, input: RequestInputSpec, tensor: TensorSpec): RowTensor {
  const typed = isRowTensor(value);
  const dims: readonly number[] = typed ? value.dims : shapeOf(value);
  const expected = tensor.shape.slice(1);
  const fits = dims.length === expected.length && expected.every((dim, axis) => dim === -1 || dim === dims[axis]);
  if (!fits) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `input "${input.name}": each item must have shape [${expected}], got [${dims}]`,
      { field: input.name },
    );
  }
  if (typed) return value.dtype === tensor.dtype ? value : converted(value, tensor, input.name);
  const flat = dims.length === 0 ? [value] : (value as unknown[]).flat(dims.length);
  const data = allocate(tensor.dtype, elementCount(dims));
  flat.forEach((element, index) => writeElement(data, index, element, tensor.dtype, input.name));
  return { dtype: tensor.dtype, data, dims };
}

/**
 * A request field's elements in the graph tensor's dtype (an FP32 field feeding a float64
 * input, say), under the rules the same elements sent as JSON values would meet.
 */
function converted(value: RowTensor, tensor: TensorSpec, field: string): RowTensor {
  const data = allocate(tensor.dtype, value.data.length);
  const source: TensorData = value.data;
  for (let index = 0; index < source.length; index++) {
    const element = source[index] ?? 0;
    const asJson = value.dtype === 'bool' ? element !== 0 : Number(element);
    writeElement(data, index, asJson, tensor.dtype, field);
  }
  return { dtype: tensor.dtype, data, dims: value.dims };
}

function shapeOf(value: unknown): number[] {
  const dims: number[] = [];
  let node = value;
  while (Array.isArray(node)) {
    dims.push(node.length);
    node = node[0];
  }
  return dims;
}

function writeElement(
  data: ReturnType<typeof allocate>,
  index: number,
  element: unknown,
  dtype: TensorDType,
  field: string,
): void {
  if (dtype === 'bool') {
    if (typeof element !== 'boolean') throw dataError(field, 'booleans');
    data[index] = element ? 1 : 0;
  } else if (data instanceof BigInt64Array) {
    if (typeof element !== 'number' || !Number.isInteger(element)) throw dataError(field, 'integers');
    data[index] = BigInt(element);
  } else {
    if (typeof element !== 'number' || !Number.isFinite(element)) throw dataError(field, 'finite numbers');
    if (dtype === 'int32' && !Number.isInteger(element)) throw dataError(field, 'integers');
    data[index] = element;
  }
}

function dataError(field: string, kind: string): SluiceError {
  return new SluiceError('ERR_TENSOR_DATA', `input "${field}": data must be ${kind} of an even (non-ragged) shape`, {
    field,
  });
}
