/**
 * One FP32 tensor item per request, in each form a client of a tensor model sends it:
 * KServe v2 JSON (shape `[1, ...item]`, flat `data`), the KServe v2 binary tensor extension
 * (the same header, the floats as raw little-endian bytes after it), and the gRPC
 * `ModelInferRequest` with `raw_input_contents`. Built before the run from golden items.
 */
import {
  BINARY_CONTENT_TYPE,
  encodeBinaryInferRequest,
  INFERENCE_HEADER_CONTENT_LENGTH,
} from '../../src/protocols/v2-binary.ts';
import type { GoldenItem } from './golden-items.ts';
import type { RequestSpec } from './http-target.ts';

/** A model input as model.yaml declares it: the per-item shape, no batch dimension. */
export interface TensorInput {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A golden item's field (nested arrays of numbers) as one flat Float32Array of the input's size. */
export function itemFloats(item: GoldenItem, input: TensorInput): Float32Array {
  const value = item[input.name];
  const flat = Array.isArray(value) ? (value as unknown[]).flat(Infinity) : [value];
  const size = input.shape.reduce((product, dim) => product * dim, 1);
  if (flat.length !== size || flat.some((element) => typeof element !== 'number'))
    throw new Error(`golden item's "${input.name}" is not ${size} numbers (shape [${input.shape}])`);
  return Float32Array.from(flat as number[]);
}

/** Request `index` cycles through `specs`, which are built once: the send path only picks. */
export function cycle<Spec>(specs: readonly Spec[]): (index: number) => Spec {
  if (specs.length === 0) throw new Error('no requests to send');
  return (index) => specs[index % specs.length] as Spec;
}

function inferPath(model: string): string {
  return `/v2/models/${encodeURIComponent(model)}/infer`;
}

export function v2JsonTensorRequest(model: string, input: TensorInput, floats: Float32Array): RequestSpec {
  const tensor = { name: input.name, datatype: 'FP32', shape: [1, ...input.shape], data: Array.from(floats) };
  return { method: 'POST', path: inferPath(model), body: JSON.stringify({ inputs: [tensor] }) };
}

/** The binary extension: the input as raw bytes, and the outputs asked for in binary, as a binary client would. */
export function v2BinaryTensorRequest(model: string, input: TensorInput, floats: Float32Array): RequestSpec {
  const encoded = encodeBinaryInferRequest({ parameters: { binary_data_output: true } }, [
    { name: input.name, datatype: 'FP32', shape: [1, ...input.shape], data: floats },
  ]);
  return {
    method: 'POST',
    path: inferPath(model),
    headers: {
      'content-type': BINARY_CONTENT_TYPE,
      [INFERENCE_HEADER_CONTENT_LENGTH]: String(encoded.headerLength),
    },
    body: Buffer.concat(encoded.body),
  };
}

/** `inference.ModelInferRequest` in the proto's JSON form, the tensor in `raw_input_contents`. */
export function grpcTensorRequest(model: string, input: TensorInput, floats: Float32Array): object {
  return {
    model_name: model,
    inputs: [{ name: input.name, datatype: 'FP32', shape: [1, ...input.shape] }],
    raw_input_contents: [Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength)],
  };
}
