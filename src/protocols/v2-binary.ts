/**
 * Triton's binary tensor data extension to the Open Inference Protocol, as a codec.
 * A body is the JSON header (its length in the Inference-Header-Content-Length header),
 * then the bytes of each tensor whose `parameters.binary_data_size` is set, in the
 * header's order:
 *
 *   [ JSON header ][ tensor a bytes ][ tensor c bytes ]   (tensor b carries JSON `data`)
 *   |<- length  ->|<- size of a  ->|<- size of c   ->|
 */
import { SluiceError, type ErrorCode } from '../core/errors.ts';
import { elementCount } from '../core/tensors.ts';
import {
  decodeBytes,
  elementSize,
  encodeBytes,
  FIXED_DATATYPES,
  fixedBytes,
  isBinaryDatatype,
  jsonData,
  viewFixed,
  type BinaryDatatype,
  type BinaryTensorData,
  type BytesAs,
} from './v2-binary-datatypes.ts';

export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

/** The header's value as a number, or as Node's request headers give it. */
export type HeaderLength = number | string | readonly string[] | undefined;

export interface V2TensorHeader {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: Record<string, unknown>;
  data?: unknown;
}

export interface V2InferRequestHeader {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2TensorHeader[];
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

export interface V2InferResponseHeader {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: V2TensorHeader[];
}

/** One tensor of a parsed body: its binary bytes decoded, or its JSON `data` as sent (checked downstream). */
export type DecodedTensor =
  | { readonly binary: true; name: string; datatype: BinaryDatatype; shape: number[]; data: BinaryTensorData }
  | { readonly binary: false; name: string; datatype: string; shape: number[]; data: unknown };

export interface BinaryInferRequest {
  /** The JSON header as sent, `binary_data_size` parameters included. */
  readonly header: V2InferRequestHeader;
  readonly inputs: DecodedTensor[];
}

export interface BinaryInferResponse {
  readonly header: V2InferResponseHeader;
  readonly outputs: DecodedTensor[];
}

export interface ParseOptions {
  /** How BYTES elements decode; strings by default, as the text models take them. */
  readonly bytesAs?: BytesAs;
}

export interface EncodableTensor {
  readonly name: string;
  readonly datatype: BinaryDatatype;
  readonly shape: readonly number[];
  readonly data: BinaryTensorData;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface EncodedBody {
  /** The JSON header, then each binary tensor's bytes: fixed-size tensors are views of their memory. */
  readonly body: Buffer[];
  /** The Inference-Header-Content-Length value; equal to `byteLength` when no tensor went binary. */
  readonly headerLength: number;
  readonly byteLength: number;
}

type List = 'inputs' | 'outputs';

export function parseBinaryInferRequest(
  body: Buffer,
  headerLength: HeaderLength,
  options: ParseOptions = {},
): BinaryInferRequest {
  const { header, tensors } = parseBody(body, checkHeaderLength(headerLength, body.length), 'inputs', options);
  return { header: header as unknown as V2InferRequestHeader, inputs: tensors };
}

/** The client's side: a response without the header is all JSON. Faults are ERR_UPSTREAM_BAD_RESPONSE. */
export function parseBinaryInferResponse(
  body: Buffer,
  headerLength: HeaderLength,
  options: ParseOptions = {},
): BinaryInferResponse {
  try {
    const length = headerLength === undefined ? body.length : checkHeaderLength(headerLength, body.length);
    const { header, tensors } = parseBody(body, length, 'outputs', options);
    return { header: header as unknown as V2InferResponseHeader, outputs: tensors };
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    throw new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', error.message, { field: error.field, cause: error });
  }
}

/** `wantsBinary` is usually `wantsBinaryOutput(request)`. */
export function encodeBinaryInferResponse(
  header: object,
  outputs: readonly EncodableTensor[],
  wantsBinary: (name: string) => boolean,
): EncodedBody {
  return encodeBody(header, 'outputs', outputs, wantsBinary);
}

/** The client's side; every input goes binary unless `asBinary` says otherwise. */
export function encodeBinaryInferRequest(
  header: object,
  inputs: readonly EncodableTensor[],
  asBinary: (name: string) => boolean = () => true,
): EncodedBody {
  return encodeBody(header, 'inputs', inputs, asBinary);
}

/** Which outputs to answer in binary: an output's `binary_data` overrides the request's `binary_data_output`. */
export function wantsBinaryOutput(request: {
  readonly parameters?: unknown;
  readonly outputs?: unknown;
}): (name: string) => boolean {
  const all = booleanParameter(request.parameters, 'binary_data_output', 'parameters') ?? false;
  const perOutput = new Map<string, boolean>();
  const outputs: unknown[] = Array.isArray(request.outputs) ? request.outputs : [];
  for (const [index, output] of outputs.entries()) {
    if (!isObject(output) || typeof output.name !== 'string') continue;
    const value = booleanParameter(output.parameters, 'binary_data', `outputs[${index}].parameters`);
    if (value !== undefined) perOutput.set(output.name, value);
  }
  return (name) => perOutput.get(name) ?? all;
}

function booleanParameter(parameters: unknown, key: string, path: string): boolean | undefined {
  if (!isObject(parameters)) return undefined;
  const value = parameters[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalid(`${path}.${key} must be true or false, got ${JSON.stringify(value)}`, path.split('[')[0]);
}

function checkHeaderLength(value: HeaderLength, bodyLength: number): number {
  const field = 'Inference-Header-Content-Length';
  if (value === undefined || value === '') throw invalid(`a binary body needs the ${field} header`, field);
  const digits = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value);
  const length = typeof value === 'number' ? value : digits ? Number(value) : NaN;
  if (!Number.isSafeInteger(length)) throw invalid(`${field} must be an integer, got ${JSON.stringify(value)}`, field);
  if (length < 0) throw invalid(`${field} must not be negative, got ${length}`, field);
  if (length === 0) throw invalid(`${field} 0 (raw binary data without a JSON header) is not supported`, field);
  if (length > bodyLength) throw invalid(`${field} ${length} is larger than the ${bodyLength}-byte body`, field);
  return length;
}

function parseBody(body: Buffer, length: number, list: List, options: ParseOptions) {
  let header: unknown;
  try {
    header = JSON.parse(body.toString('utf8', 0, length));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SluiceError('ERR_REQUEST_MALFORMED_JSON', `the ${length}-byte JSON header is not JSON: ${reason}`, {
      cause: error,
    });
  }
  if (!isObject(header)) throw invalid('the JSON header must be an object');
  const entries = header[list];
  if (!Array.isArray(entries)) throw invalid(`the JSON header's "${list}" must be an array`, list);
  const plans = entries.map((entry: unknown, index) => planTensor(entry, `${list}[${index}]`, list));
  const binary = body.subarray(length);
  checkSizesAddUp(plans, binary.length, list);
  let offset = 0;
  const tensors = plans.map((plan): DecodedTensor => {
    const { name, datatype, shape, size } = plan;
    if (size === undefined) return { binary: false, name, datatype, shape, data: plan.data };
    const bytes = binary.subarray(offset, (offset += size));
    const data =
      datatype === 'BYTES'
        ? decodeBytes(bytes, elementCount(shape), options.bytesAs ?? 'string', plan.where, name)
        : viewFixed(datatype, bytes);
    return { binary: true, name, datatype, shape, data };
  });
  return { header, tensors };
}

type Plan = { where: string; name: string; shape: number[]; data: unknown } & (
  { size: number; datatype: BinaryDatatype } | { size: undefined; datatype: string }
);

/** A tensor's header entry checked, and how many binary bytes it takes. */
function planTensor(entry: unknown, at: string, list: List): Plan {
  if (!isObject(entry) || typeof entry.name !== 'string') throw invalid(`${at} must be an object with a name`, list);
  const { name, datatype, shape, parameters, data } = entry;
  const where = `${list === 'inputs' ? 'input' : 'output'} "${name}"`;
  if (typeof datatype !== 'string') throw fault('ERR_TENSOR_DATATYPE', `${where}: datatype must be a string`, name);
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0))
    throw fault('ERR_TENSOR_SHAPE', `${where}: shape must be an array of non-negative integers`, name);
  if (parameters !== undefined && !isObject(parameters)) throw invalid(`${where}: parameters must be an object`, name);
  const size = parameters?.binary_data_size;
  if (size === undefined) {
    if (data === undefined) throw invalid(`${where}: has neither data nor parameters.binary_data_size`, name);
    return { where, name, datatype, shape, data, size };
  }
  if (!Number.isSafeInteger(size) || (size as number) < 0)
    throw invalid(
      `${where}: parameters.binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`,
      name,
    );
  if (data !== undefined) throw invalid(`${where}: has both data and parameters.binary_data_size; send one`, name);
  if (!isBinaryDatatype(datatype))
    throw fault('ERR_TENSOR_DATATYPE', `${where}: datatype ${datatype} has no binary form`, name);
  if (datatype !== 'BYTES') {
    const expected = elementCount(shape) * elementSize(datatype);
    if (size !== expected) {
      const takes = `shape [${shape}] of ${datatype} takes ${expected} bytes`;
      throw fault('ERR_TENSOR_SHAPE', `${where}: ${takes} but parameters.binary_data_size is ${size}`, name);
    }
  }
  return { where, name, datatype, shape, data, size: size as number };
}

function checkSizesAddUp(plans: readonly Plan[], available: number, list: List): void {
  let total = 0;
  for (const { size, where, name } of plans) {
    if (size === undefined) continue;
    if (total + size > available) {
      const after = `the ${available} bytes after the JSON header`;
      throw invalid(`${where}: binary_data_size ${size} from byte ${total} overruns ${after}`, name);
    }
    total += size;
  }
  if (total !== available) {
    throw invalid(
      `${available} bytes follow the JSON header but the ${list}' binary_data_size add up to ${total}`,
      list,
    );
  }
}

function encodeBody(
  header: object,
  list: List,
  tensors: readonly EncodableTensor[],
  asBinary: (name: string) => boolean,
): EncodedBody {
  const chunks: Buffer[] = [];
  const entries = tensors.map((tensor) => {
    const { name, datatype, shape, data, parameters } = tensor;
    checkEncodable(tensor);
    if (!asBinary(name)) return { name, datatype, shape, parameters, data: jsonData(datatype, data) };
    const bytes = ArrayBuffer.isView(data) ? fixedBytes(data) : encodeBytes(data);
    chunks.push(bytes);
    return { name, datatype, shape, parameters: { ...parameters, binary_data_size: bytes.length } };
  });
  const text = JSON.stringify({ ...header, [list]: entries });
  // Trailing spaces end the header on a multiple of 8, so the receiver can view the first tensor without a copy.
  const json = Buffer.from(text.padEnd(text.length + ((8 - (Buffer.byteLength(text) % 8)) % 8)), 'utf8');
  const byteLength = chunks.reduce((sum, chunk) => sum + chunk.length, json.length);
  return { body: [json, ...chunks], headerLength: json.length, byteLength };
}

/** A tensor the server or a test built wrongly is a bug, not a bad request: a plain Error. */
function checkEncodable({ name, datatype, shape, data }: EncodableTensor): void {
  const ok =
    datatype === 'BYTES'
      ? !ArrayBuffer.isView(data)
      : isBinaryDatatype(datatype) && data instanceof FIXED_DATATYPES[datatype];
  if (!ok) throw new Error(`tensor "${name}": its data does not hold ${datatype} elements`);
  const count = elementCount(shape);
  if (data.length !== count)
    throw new Error(`tensor "${name}": shape [${shape}] holds ${count} elements, data ${data.length}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, field?: string): SluiceError {
  return fault('ERR_REQUEST_INVALID', message, field);
}

function fault(code: ErrorCode, message: string, field: string | undefined): SluiceError {
  return new SluiceError(code, message, field === undefined ? {} : { field });
}
