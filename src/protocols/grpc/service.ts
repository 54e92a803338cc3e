/**
 * The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`): the same
 * answers and errors as KServe v2 over HTTP (kserve-v2.ts), for every model, through the
 * same pipeline. Each handler takes the decoded message and the call's scope from the
 * gRPC edge (src/grpc), and returns the response message or throws.
 */
import type { AnsweredContext } from '../../pipeline/context.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import type { InferenceRequest, RequestedLimits } from '../../pipeline/request.ts';
import type { Answer, ProbeContext } from '../../pipeline/target.ts';
import type { TargetDirectory } from '../../pipeline/target-directory.ts';
import type { DecodedTensor } from '../v2-binary.ts';
import { limitsFromV2, pinnedVersion } from '../requested-limits.ts';
import { selectOutputs, v2TensorsToItems } from '../v2-tensors.ts';
import type {
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ModelRef,
  ServerMetadataResponse,
  TensorMetadata,
} from './proto.ts';
import { rejectionFailure } from './status.ts';
import { documentToRawOutputs, jsonInferRequest, plainParameters } from './json-bridge.ts';
import { decodeInputs, rowsToRawOutputs } from './tensors.ts';
import { itemRoutes } from '../provenance.ts';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** What the gRPC edge knows of one call. */
export interface CallScope {
  /** The call's metadata as request headers (text entries; several values of one key as an array). */
  readonly headers: Headers;
  /** Milliseconds left until the call's deadline; undefined: it has none. */
  readonly deadlineMs: number | undefined;
  readonly probe: ProbeContext;
  /** Runs the pipeline for the call (authentication included). */
  infer(inference: InferenceRequest): Promise<AnsweredContext>;
}

export interface GrpcServiceDeps {
  readonly targets: TargetDirectory;
  readonly readiness: () => { readonly ready: boolean };
  readonly serverVersion: string;
}

export interface Rpc<Request, Response> {
  /** Counted in sluice_requests_total, authenticated, and admitted by the server-wide gate. */
  readonly inference: boolean;
  handle(request: Request, scope: CallScope): Promise<Response>;
}

/** The service's methods by their proto names. */
export interface InferenceService {
  readonly ServerLive: Rpc<object, { live: boolean }>;
  readonly ServerReady: Rpc<object, { ready: boolean }>;
  readonly ModelReady: Rpc<ModelRef, { ready: boolean }>;
  readonly ServerMetadata: Rpc<object, ServerMetadataResponse>;
  readonly ModelMetadata: Rpc<ModelRef, ModelMetadataResponse>;
  readonly ModelInfer: Rpc<ModelInferRequest, ModelInferResponse>;
}

/** None served over gRPC: statistics are HTTP's (`GET /v2/models/stats`). */
const EXTENSIONS: readonly string[] = [];

export function inferenceService(deps: GrpcServiceDeps): InferenceService {
  const resolve = (ref: ModelRef, scope: CallScope) =>
    deps.targets.resolve(ref.name, pinnedVersion(scope.headers, ref.version || undefined));
  return {
    ServerLive: { inference: false, handle: async () => ({ live: true }) },
    ServerReady: { inference: false, handle: async () => ({ ready: deps.readiness().ready }) },
    ModelReady: {
      inference: false,
      handle: async (ref, scope) => ({ ready: (await resolve(ref, scope).probeReady(scope.probe)).ready }),
    },
    ServerMetadata: {
      inference: false,
      handle: async () => ({ name: 'sluice', version: deps.serverVersion, extensions: EXTENSIONS }),
    },
    ModelMetadata: {
      inference: false,
      handle: async (ref, scope) => {
        const pinned = pinnedVersion(scope.headers, ref.version || undefined);
        const target = deps.targets.resolve(ref.name, pinned);
        const versions = pinned === undefined ? deps.targets.versionsOf(target.name) : [target.version];
        return metadataResponse(await target.metadata(scope.probe, { versions }), target.name);
      },
    },
    ModelInfer: { inference: true, handle: modelInfer },
  };
}

async function modelInfer(request: ModelInferRequest, scope: CallScope): Promise<ModelInferResponse> {
  let decoded: DecodedTensor[] | undefined;
  let document: Readonly<Record<string, unknown>> | undefined;
  const inputs = () => (decoded ??= decodeInputs(request));
  const inference: InferenceRequest = {
    operation: 'predict',
    model: request.model_name,
    version: pinnedVersion(scope.headers, request.model_version || undefined),
    limits: withDeadline(limitsFromV2(scope.headers, plainParameters(request.parameters)), scope.deadlineMs),
    stream: false,
    family: 'open-inference',
    // Built only for a model that reads it (a remote Open Inference server's).
    get document() {
      return (document ??= jsonInferRequest(request, inputs()));
    },
    items: {
      decode: (model: ModelDescription) => {
        // An output the model lacks is refused before it runs; the answer reads them again from the model that answered.
        selectOutputs(model, request.outputs);
        return v2TensorsToItems(inputs(), model);
      },
      label: (index) => `inputs (item ${index})`,
    },
  };
  const { answer } = await scope.infer(inference);
  return inferResponse(answer, request);
}

/** The call's deadline shortens the request's timeout, so a request is dropped from its queue when its caller stops waiting. */
function withDeadline(limits: RequestedLimits, deadlineMs: number | undefined): RequestedLimits {
  if (deadlineMs === undefined) return limits;
  const fromDeadline = Math.max(1, Math.floor(deadlineMs));
  return { ...limits, timeoutMs: Math.min(limits.timeoutMs ?? fromDeadline, fromDeadline) };
}

/** Rows are answered with the outputs of the model that answered: a partial-data fallback's own. */
function inferResponse(answer: Answer, { id, outputs: requested }: ModelInferRequest): ModelInferResponse {
  switch (answer.kind) {
    case 'rows': {
      const { outputs, raw } = rowsToRawOutputs(answer.rows, selectOutputs(answer.model, requested));
      const routes = itemRoutes(answer);
      return {
        model_name: answer.model.name,
        model_version: answer.model.version,
        id,
        outputs,
        raw_output_contents: raw,
        ...(routes === undefined ? {} : { parameters: { item_routes: { string_param: routes.join(',') } } }),
      };
    }
    case 'document': {
      const { document, provenance } = answer;
      const { outputs, raw } = documentToRawOutputs(document);
      const version = typeof document['model_version'] === 'string' ? document['model_version'] : provenance.version;
      return { model_name: provenance.model, model_version: version, id, outputs, raw_output_contents: raw };
    }
    case 'rejection':
      throw rejectionFailure(answer);
    case 'stream':
      throw new Error('an Open Inference request was answered with a stream');
  }
}

/** The JSON metadata (sluice's own, or a remote server's) as the proto's; `parameters` become string properties. */
function metadataResponse(answer: Answer, name: string): ModelMetadataResponse {
  if (answer.kind === 'rejection') throw rejectionFailure(answer);
  if (answer.kind !== 'document') throw new Error(`model metadata was answered with ${answer.kind}`);
  const { document } = answer;
  const tensors = (key: string): TensorMetadata[] => {
    const list = document[key];
    if (!Array.isArray(list)) return [];
    return (list as Array<Record<string, unknown>>).map((tensor) => ({
      name: String(tensor['name'] ?? ''),
      datatype: String(tensor['datatype'] ?? ''),
      shape: Array.isArray(tensor['shape']) ? (tensor['shape'] as number[]) : [],
    }));
  };
  const { versions, platform, parameters } = document;
  const properties: Record<string, string> = {};
  if (typeof parameters === 'object' && parameters !== null) {
    for (const [key, value] of Object.entries(parameters)) {
      properties[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return {
    name: typeof document['name'] === 'string' ? document['name'] : name,
    versions: Array.isArray(versions) ? versions.map(String) : [],
    platform: typeof platform === 'string' ? platform : '',
    inputs: tensors('inputs'),
    outputs: tensors('outputs'),
    properties,
  };
}
