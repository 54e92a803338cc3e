/**
 * The binary tensor data extension on the HTTP infer route. A body with an
 * Inference-Header-Content-Length header and a non-JSON content type is parsed by the
 * codec (v2-binary.ts) into its JSON header and decoded tensors; a JSON body's inputs
 * take the same form, so the route, and every transport after it, reads one
 * `V2InferWire` and decodes items through one `v2TensorsToItems`.
 *
 *   application/json ──► fastify's JSON parser + body schema ──┐
 *   octet-stream + header ─► parseBinaryInferRequest + header schema ─┴─► V2InferWire
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import type { OutputTensor } from '../pipeline/model-description.ts';
import type { RowsAnswer } from '../pipeline/target.ts';
import { itemRoutes } from './provenance.ts';
import {
  BINARY_CONTENT_TYPE,
  encodeBinaryInferResponse,
  INFERENCE_HEADER_CONTENT_LENGTH,
  parseBinaryInferRequest,
  wantsBinaryOutput,
  type BinaryInferRequest,
  type DecodedTensor,
  type V2InferRequestHeader,
} from './v2-binary.ts';
import { jsonData } from './v2-binary-datatypes.ts';
import { jsonTensor, rowsToV2Outputs, rowsToV2Tensors, type V2InputTensor } from './v2-tensors.ts';

/** The extension's name in `GET /v2`. */
export const BINARY_EXTENSION = 'binary_tensor_data';

export interface InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2InputTensor[];
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

/** What the content-type parser makes of a binary body; the route tells it from a JSON body by its class. */
export class BinaryBody {
  constructor(readonly parsed: BinaryInferRequest) {}
}

/** An infer request as the route reads it, whichever way it came. */
export interface V2InferWire {
  readonly header: Omit<InferBody, 'inputs'>;
  readonly inputs: readonly DecodedTensor[];
  /** Whether an output is answered in binary (binary_data_output, per-output binary_data). */
  readonly binaryOutput: (name: string) => boolean;
  /** The request as JSON for a remote Open Inference model: built when first read, binary parameters dropped. */
  readonly document: Readonly<Record<string, unknown>>;
}

/**
 * Takes binary bodies on the routes of `scope` (register it in its own scope: the rest of
 * the server stays JSON only). A non-JSON body without the header stays a 415.
 */
export function acceptBinaryBodies(scope: FastifyInstance): void {
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const length = request.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    if (length === undefined) {
      const type = request.headers['content-type'] ?? 'none';
      const message = `request body must be JSON (content-type: application/json), or binary tensor data with an Inference-Header-Content-Length header; content-type ${type} has no such header`;
      done(new SluiceError('ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE', message), undefined);
      return;
    }
    try {
      done(null, new BinaryBody(parseBinaryInferRequest(body as Buffer, length)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The JSON body schema with `data` optional, for a binary body's JSON header: the codec
 * has already required `data` or `parameters.binary_data_size` of every input.
 */
export function binaryHeaderValidator(jsonBodySchema: object): (header: V2InferRequestHeader) => void {
  const schema = structuredClone(jsonBodySchema) as { properties: { inputs: { items: { required: string[] } } } };
  const items = schema.properties.inputs.items;
  items.required = items.required.filter((key) => key !== 'data');
  const check = new Ajv({ allErrors: false, strict: false, coerceTypes: false }).compile(schema);
  return (header) => {
    if (!check(header)) throw new SluiceError('ERR_REQUEST_INVALID', headerError(check.errors?.[0]));
  };
}

function headerError(error: ErrorObject | undefined): string {
  if (error === undefined) return 'the JSON header is invalid';
  return `the JSON header${error.instancePath === '' ? '' : ` (${error.instancePath.slice(1)})`} ${error.message ?? 'is invalid'}`;
}

export function inferWire(
  body: InferBody | BinaryBody,
  checkHeader: (header: V2InferRequestHeader) => void,
): V2InferWire {
  if (body instanceof BinaryBody) {
    const { header, inputs } = body.parsed;
    checkHeader(header);
    return wire(header, inputs, () => jsonDocument(header, inputs));
  }
  return wire(body, body.inputs.map(jsonTensor), () => withoutBinaryParameters(body));
}

function wire(header: Omit<InferBody, 'inputs'>, inputs: readonly DecodedTensor[], toDocument: () => object) {
  const binaryOutput = wantsBinaryOutput(header);
  let document: Readonly<Record<string, unknown>> | undefined;
  return {
    header,
    inputs,
    binaryOutput,
    get document() {
      return (document ??= toDocument() as Readonly<Record<string, unknown>>);
    },
  };
}

/** A binary request as the JSON one it stands for: every binary input's elements as `data`. */
function jsonDocument(header: V2InferRequestHeader, inputs: readonly DecodedTensor[]): object {
  const jsonInputs = header.inputs.map((entry, index) => {
    const tensor = inputs[index];
    if (tensor === undefined || !tensor.binary) return entry;
    const { binary_data_size: _size, ...parameters } = entry.parameters ?? {};
    return {
      name: entry.name,
      datatype: entry.datatype,
      shape: entry.shape,
      ...(Object.keys(parameters).length === 0 ? {} : { parameters }),
      data: jsonData(tensor.datatype, tensor.data),
    };
  });
  return withoutBinaryParameters({ ...header, inputs: jsonInputs });
}

/** The remote model answers in JSON, which sluice forwards: binary output parameters are not passed on. */
function withoutBinaryParameters<T extends Omit<InferBody, 'inputs'>>(request: T): T {
  const asked =
    request.parameters?.['binary_data_output'] !== undefined ||
    (request.outputs ?? []).some((output) => output.parameters?.['binary_data'] !== undefined);
  if (!asked) return request;
  const { binary_data_output: _all, ...parameters } = request.parameters ?? {};
  const outputs = request.outputs?.map((output) => {
    const { binary_data: _one, ...own } = output.parameters ?? {};
    return Object.keys(own).length === 0 ? { name: output.name } : { name: output.name, parameters: own };
  });
  return {
    ...request,
    ...(request.parameters === undefined ? {} : { parameters }),
    ...(outputs === undefined ? {} : { outputs }),
  };
}

/** A local model's answer: JSON, or binary when any selected output is asked for in binary. */
export function inferAnswerBody(
  reply: FastifyReply,
  answer: RowsAnswer,
  wire: V2InferWire,
  selected: readonly OutputTensor[],
): unknown {
  const id = wire.header.id;
  const routes = itemRoutes(answer);
  const header = {
    model_name: answer.model.name,
    model_version: answer.model.version,
    ...(id === undefined ? {} : { id }),
    // Open Inference parameters are scalars: one string, an item's route per comma.
    ...(routes === undefined ? {} : { parameters: { item_routes: routes.join(',') } }),
  };
  if (!selected.some((output) => wire.binaryOutput(output.name)))
    return { ...header, outputs: rowsToV2Outputs(answer.rows, selected) };
  const encoded = encodeBinaryInferResponse(header, rowsToV2Tensors(answer.rows, selected), wire.binaryOutput);
  void reply.header(INFERENCE_HEADER_CONTENT_LENGTH, String(encoded.headerLength)).type(BINARY_CONTENT_TYPE);
  return Buffer.concat(encoded.body, encoded.byteLength);
}
