/**
 * The JSON side of a gRPC call, for remote Open Inference models, which are sent JSON:
 * the request as the JSON protocol writes it, and a JSON answer's outputs back as raw bytes.
 */
import { SluiceError } from '../../core/errors.ts';
import { elementCount } from '../../core/tensors.ts';
import { encodeBytes, fixedBytes, isBinaryDatatype, jsonData, type BinaryDatatype } from '../v2-binary-datatypes.ts';
import type { DecodedTensor } from '../v2-binary.ts';
import type { InferOutputTensor, InferParameters, ModelInferRequest } from './proto.ts';
import { typedFrom, type RawOutputs } from './tensors.ts';

/** Parameters as the JSON protocol writes them: the value of the member each one sets. */
export function plainParameters(parameters: InferParameters): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, parameter] of Object.entries(parameters)) {
    const choice = parameter.parameter_choice;
    if (choice === undefined) continue;
    const value = parameter[choice];
    plain[key] = choice === 'int64_param' || choice === 'uint64_param' ? Number(value) : value;
  }
  return plain;
}

/** The request as the JSON Open Inference Protocol writes it, for a remote model that is sent it. */
export function jsonInferRequest(
  request: ModelInferRequest,
  inputs: readonly DecodedTensor[],
): Record<string, unknown> {
  const parameters = plainParameters(request.parameters);
  return {
    ...(request.id === '' ? {} : { id: request.id }),
    ...(Object.keys(parameters).length === 0 ? {} : { parameters }),
    inputs: inputs.map((tensor, index) => {
      const own = plainParameters(request.inputs[index]?.parameters ?? {});
      const data = tensor.binary ? jsonData(tensor.datatype, tensor.data) : tensor.data;
      return {
        name: tensor.name,
        datatype: tensor.datatype,
        shape: tensor.shape,
        ...(Object.keys(own).length === 0 ? {} : { parameters: own }),
        data,
      };
    }),
    ...(request.outputs.length === 0
      ? {}
      : {
          outputs: request.outputs.map((output) => {
            const own = plainParameters(output.parameters);
            return { name: output.name, ...(Object.keys(own).length === 0 ? {} : { parameters: own }) };
          }),
        }),
  };
}

/** A JSON Open Inference response (a remote model's) as raw outputs; a malformed one is the upstream's fault. */
export function documentToRawOutputs(document: Readonly<Record<string, unknown>>): RawOutputs {
  const list = document['outputs'];
  if (!Array.isArray(list)) throw badResponse('its answer has no "outputs" list');
  const outputs: InferOutputTensor[] = [];
  const raw: Buffer[] = [];
  for (const [index, output] of (list as unknown[]).entries()) {
    const { name, datatype, shape, data } = (output ?? {}) as Record<string, unknown>;
    const valid =
      typeof name === 'string' &&
      isBinaryDatatype(datatype) &&
      Array.isArray(shape) &&
      shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0);
    if (!valid) throw badResponse(`outputs[${index}] is not a tensor with a name, a datatype and a shape`);
    const flat = Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data];
    if (flat.length !== elementCount(shape as number[])) throw badResponse(`output "${name}": shape and data disagree`);
    outputs.push({ name, datatype, shape: shape as number[] });
    raw.push(rawOf(datatype, flat, name));
  }
  return { outputs, raw };
}

function rawOf(datatype: BinaryDatatype, flat: readonly unknown[], name: string): Buffer {
  if (datatype === 'BYTES') return encodeBytes(flat.map(String));
  if (datatype === 'FP16' || datatype === 'BF16')
    throw badResponse(`output "${name}": ${datatype} in JSON cannot be sent raw`);
  const invalid = (index: number, value: unknown) =>
    badResponse(`output "${name}" data[${index}]: ${String(value)} is not ${datatype}`);
  return fixedBytes(typedFrom(datatype, flat, invalid));
}

function badResponse(why: string): SluiceError {
  return new SluiceError(
    'ERR_UPSTREAM_BAD_RESPONSE',
    `the model's server answered a malformed inference response: ${why}`,
  );
}
