/**
 * Open Inference Protocol tensors ⇄ protocol-neutral items.
 * A request input has shape [N, ...per-item shape]; it becomes N items, each holding
 * that input's slice. Outputs go the other way: one row per item, stacked on axis 0.
 */
import { SluiceError } from '../core/errors.ts';
import { elementCount, nestArray, type Row, type TensorDType, type V2Datatype } from '../core/tensors.ts';
import type { ModelDescription, OutputTensor, RequestField } from '../pipeline/model-description.ts';
import type { Item } from '../pipeline/request.ts';

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

export function v2InputsToItems(inputs: readonly V2InputTensor[], spec: ModelDescription): Item[] {
  const declared = new Map(spec.inputs.map((input) => [input.name, input]));
  const seen = new Set<string>();
  let itemCount: number | undefined;
  const columns: Array<{ name: string; values: unknown[] }> = [];
  for (const [index, input] of inputs.entries()) {
    const field = declared.get(input.name);
    if (field === undefined) {
      throw new SluiceError(
        'ERR_TENSOR_UNKNOWN_INPUT',
        `inputs[${index}]: model "${spec.name}" has no input "${input.name}" (inputs: ${[...declared.keys()].join(', ')})`,
        { field: input.name },
      );
    }
    if (seen.has(input.name))
      throw new SluiceError('ERR_REQUEST_INVALID', `inputs[${index}]: input "${input.name}" is given twice`, {
        field: input.name,
      });
    seen.add(input.name);
    const values = splitItems(input, field);
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
  for (const name of declared.keys()) {
    if (!seen.has(name)) throw new SluiceError('ERR_TENSOR_MISSING_INPUT', `missing input "${name}"`, { field: name });
  }
  return Array.from({ length: itemCount ?? 0 }, (_, item) =>
    Object.fromEntries(columns.map((column) => [column.name, column.values[item]])),
  );
}

function splitItems(input: V2InputTensor, field: RequestField): unknown[] {
  const where = `input "${input.name}"`;
  if (input.datatype !== field.datatype) {
    throw new SluiceError(
      'ERR_TENSOR_DATATYPE',
      `${where}: datatype must be ${field.datatype}, got ${input.datatype}`,
      { field: input.name },
    );
  }
  const itemShape = normaliseShape(input, field);
  const flat = Array.isArray(input.data) ? (input.data as unknown[]).flat(Infinity) : [input.data];
  const expected = elementCount(input.shape);
  if (flat.length !== expected) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `${where}: shape [${input.shape}] holds ${expected} elements but data has ${flat.length}`,
      { field: input.name },
    );
  }
  flat.forEach((element, index) => checkElement(element, field.datatype, `${where} data[${index}]`, input.name));
  const perItem = elementCount(itemShape);
  const batch = input.shape[0] ?? 0;
  return Array.from({ length: batch }, (_, item) =>
    nestArray(flat.slice(item * perItem, (item + 1) * perItem), itemShape),
  );
}

/** The per-item shape of a request input; a scalar field also accepts [N, 1]. */
function normaliseShape(input: V2InputTensor, field: RequestField): number[] {
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

const DATATYPE_OF: Record<TensorDType, V2Datatype> = {
  float32: 'FP32',
  float64: 'FP64',
  int64: 'INT64',
  int32: 'INT32',
  bool: 'BOOL',
};

export function v2Datatype(dtype: TensorDType): V2Datatype {
  return DATATYPE_OF[dtype];
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
    return { name: spec.name, datatype: v2Datatype(spec.dtype), shape: [rows.length, ...itemDims], data };
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
