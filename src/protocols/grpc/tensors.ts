/**
 * gRPC tensors ⇄ the codec's decoded tensors and the pipeline's rows. Inputs come as
 * `raw_input_contents` (one entry per input, in order: the binary extension's wire form)
 * or as each input's typed `contents`; both become DecodedTensors holding typed arrays
 * (BYTES: strings), as a binary HTTP body does. Outputs always go as `raw_output_contents`.
 */
import { isUtf8 } from 'node:buffer';
import { SluiceError } from '../../core/errors.ts';
import { allocate, elementCount, v2DatatypeOf, type Row, type TensorData } from '../../core/tensors.ts';
import type { OutputTensor } from '../../pipeline/model-description.ts';
import {
  decodeBytes,
  elementSize,
  FIXED_DATATYPES,
  fixedBytes,
  isBinaryDatatype,
  viewFixed,
  type BinaryDatatype,
  type FixedDatatype,
  type FixedTensorData,
} from '../v2-binary-datatypes.ts';
import type { DecodedTensor } from '../v2-binary.ts';
import type { InferInputTensor, InferOutputTensor, InferTensorContents, ModelInferRequest } from './proto.ts';

export function decodeInputs(request: ModelInferRequest): DecodedTensor[] {
  const raw = request.raw_input_contents;
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw new SluiceError(
      'ERR_REQUEST_INVALID',
      `raw_input_contents has ${raw.length} entries for ${request.inputs.length} inputs: give one per input, in the inputs' order`,
      { field: 'raw_input_contents' },
    );
  }
  return request.inputs.map((input, index) => {
    const shape = shapeOf(input);
    const bytes = raw[index];
    if (bytes === undefined) return contentsTensor(input, shape);
    if (hasContents(input.contents)) {
      throw new SluiceError(
        'ERR_REQUEST_INVALID',
        `input "${input.name}": contents must not be set when raw_input_contents is used`,
        { field: input.name },
      );
    }
    return rawTensor(input, shape, bytes, index);
  });
}

function shapeOf(input: InferInputTensor): number[] {
  const shape = input.shape.map(Number);
  if (shape.some((dim) => !Number.isSafeInteger(dim) || dim < 0)) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `input "${input.name}": shape must hold non-negative integers, got [${input.shape.join(', ')}]`,
      { field: input.name },
    );
  }
  return shape;
}

function checkedDatatype(input: InferInputTensor): BinaryDatatype {
  if (isBinaryDatatype(input.datatype)) return input.datatype;
  throw new SluiceError('ERR_TENSOR_DATATYPE', `input "${input.name}": unknown datatype "${input.datatype}"`, {
    field: input.name,
  });
}

function rawTensor(input: InferInputTensor, shape: number[], bytes: Buffer, index: number): DecodedTensor {
  const { name } = input;
  const datatype = checkedDatatype(input);
  const count = elementCount(shape);
  const where = `input "${name}" (raw_input_contents[${index}])`;
  if (datatype === 'BYTES')
    return { binary: true, name, datatype, shape, data: decodeBytes(bytes, count, 'string', where, name) };
  const expected = count * elementSize(datatype);
  if (bytes.length !== expected) {
    throw new SluiceError(
      'ERR_TENSOR_SHAPE',
      `${where}: shape [${shape}] holds ${count} ${datatype} elements (${expected} bytes) but its raw contents have ${bytes.length} bytes`,
      { field: name },
    );
  }
  return { binary: true, name, datatype, shape, data: viewFixed(datatype, bytes) };
}

type ContentsField = keyof InferTensorContents;

/** The `contents` field each datatype travels in; FP16 and BF16 have none (raw only). */
const CONTENTS_FIELD: Readonly<Record<BinaryDatatype, ContentsField | undefined>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

function hasContents(contents: InferTensorContents | null): boolean {
  return contents !== null && Object.values(contents).some((values: readonly unknown[]) => values.length > 0);
}

function contentsTensor(input: InferInputTensor, shape: number[]): DecodedTensor {
  const { name } = input;
  const datatype = checkedDatatype(input);
  const field = CONTENTS_FIELD[datatype];
  const fail = (code: 'ERR_TENSOR_DATA' | 'ERR_TENSOR_SHAPE', message: string) =>
    new SluiceError(code, `input "${name}": ${message}`, { field: name });
  if (field === undefined) throw fail('ERR_TENSOR_DATA', `${datatype} data must be sent in raw_input_contents`);
  const contents = input.contents;
  const stray =
    contents === null
      ? []
      : (Object.keys(contents) as ContentsField[]).filter((key) => key !== field && contents[key].length > 0);
  if (stray.length > 0)
    throw fail('ERR_TENSOR_DATA', `a ${datatype} tensor's contents are ${field}, not ${stray.join(', ')}`);
  const values: readonly unknown[] = contents?.[field] ?? [];
  const count = elementCount(shape);
  if (values.length !== count) {
    throw fail('ERR_TENSOR_SHAPE', `shape [${shape}] holds ${count} elements but ${field} has ${values.length}`);
  }
  if (datatype === 'BYTES') {
    const data = (values as readonly Buffer[]).map((bytes, index) => {
      if (!isUtf8(bytes)) throw fail('ERR_TENSOR_DATA', `${field}[${index}] is not valid UTF-8`);
      return bytes.toString('utf8');
    });
    return { binary: true, name, datatype, shape, data };
  }
  return {
    binary: true,
    name,
    datatype,
    shape,
    data: typedFrom(datatype, values, (index, value) =>
      fail('ERR_TENSOR_DATA', `${field}[${index}]: ${String(value)} is not a valid ${datatype} value`),
    ),
  };
}

/** Proto values as the datatype's typed array, refusing any value the array would change (out of range, not finite). */
export function typedFrom(
  datatype: FixedDatatype,
  values: readonly unknown[],
  invalid: (index: number, value: unknown) => SluiceError,
): FixedTensorData {
  const Type = FIXED_DATATYPES[datatype];
  const data = new Type(values.length);
  values.forEach((value, index) => {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      const big = bigIntOf(value);
      if (big === undefined) throw invalid(index, value);
      data[index] = big;
      if (data[index] !== big) throw invalid(index, value);
      return;
    }
    if (datatype === 'BOOL' ? typeof value !== 'boolean' : typeof value !== 'number') throw invalid(index, value);
    const number = value === true ? 1 : value === false ? 0 : (value as number);
    data[index] = number;
    if (data[index] !== number) throw invalid(index, value);
  });
  return data;
}

/** An integer (64-bit values arrive as decimal strings), or undefined for anything else. */
function bigIntOf(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

export interface RawOutputs {
  readonly outputs: InferOutputTensor[];
  readonly raw: Buffer[];
}

/** Each requested output stacked from the rows, its bytes little-endian (one row: a view of it, no copy). */
export function rowsToRawOutputs(rows: readonly Row[], selected: readonly OutputTensor[]): RawOutputs {
  const outputs: InferOutputTensor[] = [];
  const raw: Buffer[] = [];
  for (const spec of selected) {
    const tensors = rows.map((row) => {
      const tensor = row[spec.name];
      if (tensor === undefined) throw new Error(`output "${spec.name}" missing from a result row`);
      return tensor;
    });
    const itemDims = tensors[0]?.dims ?? spec.shape.slice(1).map((dim) => Math.max(dim, 0));
    outputs.push({ name: spec.name, datatype: v2DatatypeOf(spec.dtype), shape: [rows.length, ...itemDims] });
    raw.push(
      fixedBytes(
        stacked(
          spec,
          tensors.map((tensor) => tensor.data),
        ),
      ),
    );
  }
  return { outputs, raw };
}

function stacked(spec: OutputTensor, parts: readonly TensorData[]): TensorData {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = allocate(
    spec.dtype,
    parts.reduce((sum, part) => sum + part.length, 0),
  );
  let offset = 0;
  for (const part of parts) {
    (out as Uint8Array).set(part as Uint8Array, offset);
    offset += part.length;
  }
  return out;
}
