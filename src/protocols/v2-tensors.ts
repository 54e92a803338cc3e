/**
 * Open Inference Protocol tensors ⇄ protocol-neutral items.
 * A request input has shape [N, ...per-item shape]; it becomes N items, each holding
 * that input's slice. Outputs go the other way: one row per item, stacked on axis 0.
 *
 * A tensor field (a numeric or boolean datatype with a per-item rank of at least 1) skips
 * JS values altogether: its data lands in one typed array (a view of a binary body, or
 * one pass over the JSON `data`), and each item holds a RowTensor viewing its slice,
 * which the `none` preprocessor hands on as it is. Scalar and BYTES fields hold JS values,
 * which the text and tabular preprocessors read.
 *
 * Partial data: a declared input the request leaves out is absent from every item, and a
 * null element of a one-value-per-item field's JSON data is that item's null, so the
 * model's partial-data policy decides what becomes of them, as it does for KServe v1
 * instances (docs/model-yaml.md#normalisation-and-partial-data). A null is let through only
 * where the policy reads it as missing; binary and gRPC data have no way to write one.
 */
import { SluiceError } from '../core/errors.ts';
import {
  allocate,
  elementCount,
  nestArray,
  v2DatatypeOf,
  type Row,
  type RowTensor,
  type TensorData,
  type TensorDType,
  type V2Datatype,
} from '../core/tensors.ts';
import {
  nullsAreMissing,
  type ModelDescription,
  type OutputTensor,
  type RequestField,
} from '../pipeline/model-description.ts';
import type { Item } from '../pipeline/request.ts';
import type { DecodedTensor, EncodableTensor } from './v2-binary.ts';
import type { FixedTensorData } from './v2-binary-datatypes.ts';
import { fillTypedFromJson, checkTypedElements } from './v2-typed-data.ts';

export type { DecodedTensor };

export interface V2InputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown;
}

export interface V2OutputTensor {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  data: Array<number | boolean | string>;
}

/** A JSON request input as `v2TensorsToItems` takes it. */
export function jsonTensor(input: V2InputTensor): DecodedTensor {
  return { binary: false, name: input.name, datatype: input.datatype, shape: input.shape, data: input.data };
}

export function v2InputsToItems(inputs: readonly V2InputTensor[], model: ModelDescription): Item[] {
  return v2TensorsToItems(inputs.map(jsonTensor), model);
}

/**
 * A request's input tensors, however they came (JSON `data`, binary tensor data, gRPC
 * contents), as one item per batch row. Throws a SluiceError naming the input.
 */
export function v2TensorsToItems(inputs: readonly DecodedTensor[], model: ModelDescription): Item[] {
  const declared = new Map(model.inputs.map((input) => [input.name, input]));
  const holes = nullsAreMissing(model.quality?.partial_data.policy);
  const seen = new Set<string>();
  let itemCount: number | undefined;
  const columns: Array<{ name: string; values: unknown[] }> = [];
  for (const [index, input] of inputs.entries()) {
    const field = declaredField(declared, input, index, model.name);
    if (seen.has(input.name))
      throw new SluiceError('ERR_REQUEST_INVALID', `inputs[${index}]: input "${input.name}" is given twice`, {
        field: input.name,
      });
    seen.add(input.name);
    const values = splitItems(input, field, holes && field.shape.length === 0);
    if (itemCount !== undefined && values.length !== itemCount) {
      throw new SluiceError(
        'ERR_TENSOR_SHAPE',
        `input "${input.name}": batch dimension ${values.length} differs from the other inputs' ${itemCount}`,
        { field: input.name },
      );
    }
    itemCount = values.length;
    columns.push({ name: input.name, values });
  }
  // Only the inputs' first dimension says how many items there are: with none, no policy can fill them.
  const first = declared.keys().next();
  if (columns.length === 0 && first.done !== true)
    throw new SluiceError('ERR_TENSOR_MISSING_INPUT', `missing input "${first.value}"`, { field: first.value });
  return Array.from({ length: itemCount ?? 0 }, (_, item) => {
    const entries: Record<string, unknown> = {};
    for (const column of columns) entries[column.name] = column.values[item];
    return entries;
  });
}

function declaredField(
  declared: ReadonlyMap<string, RequestField>,
  input: DecodedTensor,
  index: number,
  model: string,
): RequestField {
  const field = declared.get(input.name);
  if (field !== undefined) return field;
  throw new SluiceError(
    'ERR_TENSOR_UNKNOWN_INPUT',
    `inputs[${index}]: model "${model}" has no input "${input.name}" (inputs: ${[...declared.keys()].join(', ')})`,
    { field: input.name },
  );
}

const DTYPE_OF: Partial<Record<V2Datatype, TensorDType>> = {
  FP32: 'float32',
  FP64: 'float64',
  INT32: 'int32',
  INT64: 'int64',
  BOOL: 'bool',
};

/** `nullable`: a JSON null element is the item's value (a one-value-per-item field whose policy reads it as missing). */
function splitItems(input: DecodedTensor, field: RequestField, nullable: boolean): unknown[] {
  const where = `input "${input.name}"`;
  if (input.datatype !== field.datatype) {
    throw new SluiceError(
      'ERR_TENSOR_DATATYPE',
      `${where}: datatype must be ${field.datatype}, got ${input.datatype}`,
      { field: input.name },
    );
  }
  const itemShape = normaliseShape(input, field);
  const dtype = DTYPE_OF[field.datatype];
  if (dtype !== undefined && itemShape.length > 0) return tensorItems(input, field.datatype, dtype, itemShape);
  const flat = input.binary ? binaryElements(input, field.datatype) : jsonElements(input, field.datatype, nullable);
  const perItem = elementCount(itemShape);
  const batch = input.shape[0] ?? 0;
  return Array.from({ length: batch }, (_, item) =>
    nestArray(flat.slice(item * perItem, (item + 1) * perItem), itemShape),
  );
}

/** Each item's slice of one typed array, shaped: no JS value per element. */
function tensorItems(input: DecodedTensor, datatype: V2Datatype, dtype: TensorDType, dims: number[]): RowTensor[] {
  let data: TensorData;
  if (input.binary) {
    data = input.data as FixedTensorData as TensorData;
    checkTypedElements(data, datatype, `input "${input.name}"`, input.name);
  } else {
    const expected = elementCount(input.shape);
    data = fillTypedFromJson(input.data, dtype, expected) ?? typedFrom(jsonElements(input, datatype), dtype);
  }
  const perItem = elementCount(dims);
  const batch = input.shape[0] ?? 0;
  return Array.from({ length: batch }, (_, item) => ({
    dtype,
    data: data.subarray(item * perItem, (item + 1) * perItem),
    dims,
  }));
}

/** The JSON data's elements, flattened, counted against the shape and each checked. */
function jsonElements(input: DecodedTensor, datatype: V2Datatype, nullable = false): unknown[] {
  const where = `input "${input.name}"`;
  const flat = Array.isArray(input.data) ? (input.data as unknown[]).flat(Infinity) : [input.data];
  const expected = elementCount(input.shape);
  if (flat.length !== expected) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `${where}: shape [${input.shape}] holds ${expected} elements but data has ${flat.length}`,
      { field: input.name },
    );
  }
  flat.forEach((element, index) => {
    if (element !== null || !nullable) checkElement(element, datatype, `${where} data[${index}]`, input.name);
  });
  return flat;
}

/** A binary tensor's elements as the JS values its JSON form would carry (scalar and BYTES fields). */
function binaryElements(input: DecodedTensor, datatype: V2Datatype): unknown[] {
  const data = input.data;
  if (!ArrayBuffer.isView(data)) {
    const elements = data as readonly (string | Buffer)[];
    return elements.map((element) => (typeof element === 'string' ? element : element.toString('utf8')));
  }
  checkTypedElements(data as TensorData, datatype, `input "${input.name}"`, input.name);
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (value) => value !== 0);
  if (data instanceof BigInt64Array) return Array.from(data, Number);
  return Array.from(data as Exclude<TensorData, BigInt64Array>);
}

function typedFrom(flat: readonly unknown[], dtype: TensorDType): TensorData {
  const filled = fillTypedFromJson(flat, dtype, flat.length);
  if (filled === undefined) throw new Error('checked elements did not fill a typed array');
  return filled;
}

/** The per-item shape of a request input; a scalar field also accepts [N, 1]. */
function normaliseShape(input: DecodedTensor, field: RequestField): number[] {
  const shape = input.shape;
  const where = `input "${input.name}"`;
  if (!Array.isArray(shape) || shape.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new SluiceError('ERR_TENSOR_SHAPE', `${where}: shape must be an array of non-negative integers`, {
      field: input.name,
    });
  }
  const itemShape = shape.slice(1);
  if (field.shape.length === 0 && itemShape.length === 1 && itemShape[0] === 1) return [];
  const fits =
    itemShape.length === field.shape.length && field.shape.every((dim, axis) => dim === -1 || dim === itemShape[axis]);
  if (shape.length === 0 || !fits) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `${where}: shape must be [N${field.shape.map((dim) => `, ${dim === -1 ? '*' : dim}`).join('')}], got [${shape}]`,
      { field: input.name },
    );
  }
  return itemShape;
}

function checkElement(element: unknown, datatype: V2Datatype, where: string, field: string): void {
  const ok =
    datatype === 'BYTES'
      ? typeof element === 'string'
      : datatype === 'BOOL'
        ? typeof element === 'boolean'
        : datatype === 'INT32' || datatype === 'INT64'
          ? Number.isInteger(element)
          : typeof element === 'number' && Number.isFinite(element);
  if (!ok)
    throw new SluiceError(
      'ERR_TENSOR_DATA',
      `${where}: ${JSON.stringify(element) ?? 'undefined'} is not a valid ${datatype} value`,
      { field },
    );
}

/** Stacks each item's output row into one typed tensor per requested output (the binary form). */
export function rowsToV2Tensors(rows: readonly Row[], outputs: readonly OutputTensor[]): EncodableTensor[] {
  return outputs.map((spec) => {
    let itemDims: readonly number[] = [];
    const parts = rows.map((row) => {
      const tensor = row[spec.name];
      if (tensor === undefined) throw new Error(`output "${spec.name}" missing from a result row`);
      itemDims = tensor.dims;
      return tensor.data;
    });
    const data = parts.length === 1 && parts[0] !== undefined ? parts[0] : concatenate(spec.dtype, parts);
    return { name: spec.name, datatype: v2DatatypeOf(spec.dtype), shape: [rows.length, ...itemDims], data };
  });
}

function concatenate(dtype: TensorDType, parts: readonly TensorData[]): TensorData {
  const out = allocate(
    dtype,
    parts.reduce((sum, part) => sum + part.length, 0),
  );
  let offset = 0;
  for (const part of parts) {
    if (out instanceof BigInt64Array) out.set(part as BigInt64Array, offset);
    else out.set(part as Exclude<TensorData, BigInt64Array>, offset);
    offset += part.length;
  }
  return out;
}

/** Stacks each item's output row into one tensor per requested output. */
export function rowsToV2Outputs(rows: readonly Row[], outputs: readonly OutputTensor[]): V2OutputTensor[] {
  return outputs.map((spec) => {
    const data: Array<number | boolean | string> = [];
    let itemDims: readonly number[] = [];
    for (const row of rows) {
      const tensor = row[spec.name];
      if (tensor === undefined) throw new Error(`output "${spec.name}" missing from a result row`);
      itemDims = tensor.dims;
      for (const value of tensor.data)
        data.push(spec.dtype === 'bool' ? value !== 0 : typeof value === 'bigint' ? Number(value) : value);
    }
    return { name: spec.name, datatype: v2DatatypeOf(spec.dtype), shape: [rows.length, ...itemDims], data };
  });
}

export function selectOutputs(
  spec: ModelDescription,
  requested: ReadonlyArray<{ name: string }> | undefined,
): readonly OutputTensor[] {
  if (requested === undefined || requested.length === 0) return spec.tensors.outputs;
  return requested.map((output, index) => {
    const match = spec.tensors.outputs.find((candidate) => candidate.name === output.name);
    if (match === undefined) {
      throw new SluiceError(
        'ERR_TENSOR_UNKNOWN_OUTPUT',
        `outputs[${index}]: model "${spec.name}" has no output "${output.name}" (outputs: ${spec.tensors.outputs.map((o) => o.name).join(', ')})`,
        { field: 'outputs' },
      );
    }
    return match;
  });
}
