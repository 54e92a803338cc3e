/**
 * The pure pieces of the floor server (json-floor-server.ts): a KServe v2 body into items
 * the bare way, the greedy choice of the next batch, and the answer sluice writes for the
 * same request. A JSON body: one JSON.parse, one typed array per item of an FP32 input, the
 * strings of a BYTES input as they are. A binary tensor extension body: one JSON.parse of
 * the header, each binary input's bytes viewed as a typed array of its datatype (copied only
 * when unaligned), each item a view of its slice; no finiteness checks.
 */
import type { Row, RowTensor, TensorData, TensorDType } from '../../src/core/tensors.ts';
import type { ModelSpec } from '../../src/engines/local/models/model-spec.ts';
import {
  BINARY_CONTENT_TYPE,
  encodeBinaryInferResponse,
  INFERENCE_HEADER_CONTENT_LENGTH,
  wantsBinaryOutput,
} from '../../src/protocols/v2-binary.ts';
import { viewFixed } from '../../src/protocols/v2-binary-datatypes.ts';
import { rowsToV2Outputs, rowsToV2Tensors } from '../../src/protocols/v2-tensors.ts';

export type FloorItem = Record<string, RowTensor | string>;

/** A request as the floor reads it: its items, and which outputs it asks for in binary. */
export interface FloorRequest {
  readonly items: FloorItem[];
  readonly binaryOutput: (name: string) => boolean;
}

/** Headers and body of the floor's 200 answer. */
export interface FloorAnswer {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/** The datatypes a binary input may have, as the typed array the model takes. */
const DTYPE_OF = { FP32: 'float32', FP64: 'float64', INT32: 'int32', INT64: 'int64', BOOL: 'bool' } as const;

interface WireTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  /** JSON `data`, or a binary input's bytes viewed as a typed array. */
  readonly data: readonly unknown[] | TensorData;
}

/** A request's top level: its inputs, and the parameters that ask for binary outputs. */
interface V2Header {
  readonly inputs?: unknown;
  readonly parameters?: unknown;
  readonly outputs?: unknown;
}

function isWireTensor(value: unknown): value is WireTensor {
  if (typeof value !== 'object' || value === null) return false;
  const { name, datatype, shape, data } = value as Partial<WireTensor>;
  const hasData = Array.isArray(data) || ArrayBuffer.isView(data);
  return typeof name === 'string' && typeof datatype === 'string' && Array.isArray(shape) && hasData;
}

/** A request body, JSON or (with an Inference-Header-Content-Length) binary, as the floor reads it. */
export function decodeRequest(
  body: Buffer,
  headerLength: string | undefined,
  spec: Pick<ModelSpec, 'inputs'>,
): FloorRequest {
  if (headerLength !== undefined) return decodeBinaryItems(body, Number(headerLength), spec);
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  return { items: decodeItems(parsed, spec), binaryOutput: wantsBinaryOutput(parsed as V2Header) };
}

/**
 * The request's items: item i of every input, by name. Only what the benchmark sends is
 * understood (flat FP32 data of shape [n, ...item], BYTES strings of shape [n]); anything
 * else is an error, which the server answers with 400.
 */
export function decodeItems(body: unknown, spec: Pick<ModelSpec, 'inputs'>): FloorItem[] {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs) || !inputs.every(isWireTensor)) throw new Error('inputs must be an array of tensors');
  return itemsOf(inputs, spec);
}

/**
 * A binary tensor extension body's items: the first `headerLength` bytes are the JSON
 * header; each input with `parameters.binary_data_size` takes that many of the bytes after
 * it, in order, as a typed array of its datatype (a view of the body, copied only when
 * unaligned). Sizes are trusted and elements not checked: the floor reads the benchmark's
 * own requests.
 */
export function decodeBinaryItems(body: Buffer, headerLength: number, spec: Pick<ModelSpec, 'inputs'>): FloorRequest {
  const header = JSON.parse(body.toString('utf8', 0, headerLength)) as V2Header | null;
  if (!Array.isArray(header?.inputs)) throw new Error('the JSON header must hold an inputs array');
  let offset = headerLength;
  const inputs = header.inputs.map((entry: unknown) => {
    const { parameters, ...tensor } = entry as { datatype?: unknown; parameters?: { binary_data_size?: unknown } };
    const size = parameters?.binary_data_size;
    if (typeof size !== 'number') return entry;
    const datatype = tensor.datatype;
    if (typeof datatype !== 'string' || !Object.hasOwn(DTYPE_OF, datatype))
      throw new Error(`the floor reads binary ${Object.keys(DTYPE_OF).join(', ')} inputs, not ${String(datatype)}`);
    const bytes = body.subarray(offset, (offset += size));
    return { ...tensor, data: viewFixed(datatype as keyof typeof DTYPE_OF, bytes) as TensorData };
  });
  if (!inputs.every(isWireTensor)) throw new Error('inputs must be an array of tensors');
  return { items: itemsOf(inputs, spec), binaryOutput: wantsBinaryOutput(header) };
}

function itemsOf(inputs: readonly WireTensor[], spec: Pick<ModelSpec, 'inputs'>): FloorItem[] {
  let items: FloorItem[] | undefined;
  for (const declared of spec.inputs) {
    const tensor = inputs.find((input) => input.name === declared.name);
    if (tensor === undefined) throw new Error(`no input "${declared.name}"`);
    const count = tensor.shape[0] ?? 0;
    items ??= Array.from({ length: count }, () => ({}));
    if (items.length !== count) throw new Error(`inputs disagree on the number of items`);
    const { data } = tensor;
    if (ArrayBuffer.isView(data)) {
      viewItems(items, tensor, data);
      continue;
    }
    if (tensor.datatype === 'BYTES') {
      items.forEach((item, index) => (item[declared.name] = String(data[index])));
      continue;
    }
    if (tensor.datatype !== 'FP32') throw new Error(`the floor reads FP32 and BYTES inputs, not ${tensor.datatype}`);
    const dims = tensor.shape.slice(1);
    const size = dims.reduce((product, dim) => product * dim, 1);
    if (data.length !== count * size) throw new Error(`input "${declared.name}" has the wrong number of values`);
    items.forEach((item, index) => {
      const values = new Float32Array(size);
      for (let offset = 0; offset < size; offset++) values[offset] = data[index * size + offset] as number;
      item[declared.name] = { dtype: 'float32', dims, data: values };
    });
  }
  return items ?? [];
}

/** Each item's slice of a binary input, a view of the input's typed array, as sluice's items are. */
function viewItems(items: FloorItem[], tensor: WireTensor, data: TensorData): void {
  const dtype: TensorDType = DTYPE_OF[tensor.datatype as keyof typeof DTYPE_OF];
  const dims = tensor.shape.slice(1);
  const size = dims.reduce((product, dim) => product * dim, 1);
  if (data.length !== items.length * size) throw new Error(`input "${tensor.name}" has the wrong number of bytes`);
  items.forEach((item, index) => {
    item[tensor.name] = { dtype, dims, data: data.subarray(index * size, (index + 1) * size) };
  });
}

/**
 * How many of the waiting requests (their item counts, oldest first) the next batch takes:
 * as many whole requests as fit in `maxBatch` items, and at least one. No waiting for more:
 * whatever queued while the last batch ran is the batch, as on an ideal batcher under load.
 */
export function takeRequests(itemCounts: readonly number[], maxBatch: number): number {
  let items = 0;
  let taken = 0;
  for (const count of itemCounts) {
    if (taken > 0 && items + count > maxBatch) break;
    items += count;
    taken += 1;
  }
  return taken;
}

/**
 * The answer sluice writes: JSON, or the binary tensor extension (the JSON header, then each
 * output asked for in binary as raw bytes) when the request asks for any output in binary.
 */
export function answerOf(
  spec: Pick<ModelSpec, 'name' | 'version' | 'tensors'>,
  rows: readonly Row[],
  binaryOutput: (name: string) => boolean,
): FloorAnswer {
  const outputs = spec.tensors.outputs;
  if (!outputs.some((output) => binaryOutput(output.name)))
    return { headers: { 'content-type': 'application/json; charset=utf-8' }, body: answerBody(spec, rows) };
  const header = { model_name: spec.name, model_version: spec.version };
  const encoded = encodeBinaryInferResponse(header, rowsToV2Tensors(rows, outputs), binaryOutput);
  return {
    headers: { 'content-type': BINARY_CONTENT_TYPE, [INFERENCE_HEADER_CONTENT_LENGTH]: String(encoded.headerLength) },
    body: Buffer.concat(encoded.body, encoded.byteLength),
  };
}

/** The JSON sluice answers a KServe v2 infer with: model name and version, then every output. */
export function answerBody(spec: Pick<ModelSpec, 'name' | 'version' | 'tensors'>, rows: readonly Row[]): string {
  return JSON.stringify({
    model_name: spec.name,
    model_version: spec.version,
    outputs: rowsToV2Outputs(rows, spec.tensors.outputs),
  });
}
