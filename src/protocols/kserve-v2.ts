/** KServe v2 / Open Inference Protocol over HTTP: health, metadata, statistics and infer. */
import type { FastifyInstance } from 'fastify';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { ServedModel } from '../engines/local/models/served-model.ts';
import type { ModelSpec, TensorSpec } from '../engines/local/models/model-spec.ts';
import { inferRemote, remoteKServeModel, remoteMetadata, remoteReady } from './kserve-v2-remote.ts';
import type { RemoteRouteDeps } from './openai-remote.ts';
import { limitsFromV2 } from './requested-limits.ts';
import { runInference, type InferenceRuntime } from './run-inference.ts';
import { modelStatistics } from './statistics.ts';
import { rowsToV2Outputs, selectOutputs, v2Datatype, v2InputsToItems, type V2InputTensor } from './v2-tensors.ts';

export interface ProtocolDeps extends InferenceRuntime {
  readonly models: ModelRegistry;
  readonly serverVersion: string;
  /** Every model warmed up and the server not shutting down. */
  readonly ready: () => boolean;
  /** Remote models; those of `kserve-v2` backends are served by kserve-v2-remote.ts. */
  readonly remote?: RemoteRouteDeps;
}

interface ModelParams {
  model: string;
  version?: string;
}

interface InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2InputTensor[];
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

const inferBodySchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters: { type: 'object' },
    inputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer' } },
          datatype: { type: 'string' },
          parameters: { type: 'object' },
          data: {},
        },
      },
    },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, parameters: { type: 'object' } },
      },
    },
  },
} as const;

export function registerKServeV2(app: FastifyInstance, deps: ProtocolDeps): void {
  const config = { protocol: 'kserve-v2' as const };
  const { models } = deps;

  app.get('/v2', { config }, async () => ({
    name: 'sluice',
    version: deps.serverVersion,
    extensions: ['model_repository', 'statistics'],
  }));
  app.get('/v2/health/live', { config }, async () => ({ live: true }));
  app.get('/v2/health/ready', { config }, async (_request, reply) => {
    const ready = deps.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.get<{ Params: ModelParams }>(prefix, { config }, async (request, reply) => {
      // Remote kserve-v2 models are forwarded (kserve-v2-remote.ts); every other name is local.
      const remote = remoteKServeModel(deps.remote, request.params.model);
      if (remote !== undefined) return remoteMetadata(remote, request.params, request, reply);
      return modelMetadata(models, request.params);
    });
    app.get<{ Params: ModelParams }>(`${prefix}/ready`, { config }, async (request, reply) => {
      const remote = remoteKServeModel(deps.remote, request.params.model);
      if (remote !== undefined) return remoteReady(remote, request.params, request, reply);
      const model = models.resolve(request.params.model, request.params.version);
      return reply
        .code(model.ready ? 200 : 503)
        .send({ name: model.spec.name, version: model.spec.version, ready: model.ready });
    });
    app.get<{ Params: ModelParams }>(`${prefix}/stats`, { config }, async (request) => ({
      model_stats: modelsFor(models, request.params).map(modelStatistics),
    }));
    app.post<{ Params: ModelParams; Body: InferBody }>(
      `${prefix}/infer`,
      { config: { ...config, inference: true }, schema: { body: inferBodySchema } },
      async (request, reply) => {
        const { params, body } = request;
        const remote = remoteKServeModel(deps.remote, params.model);
        if (remote !== undefined && deps.remote !== undefined)
          return inferRemote(deps.remote, remote, params, body, request, reply);
        let selected: TensorSpec[] = [];
        const decode = (spec: ModelSpec) => {
          selected = selectOutputs(spec, body.outputs);
          return v2InputsToItems(body.inputs, spec);
        };
        const done = await runInference(deps, request, 'kserve-v2', {
          model: params.model,
          version: params.version,
          decode,
          itemLabel: (index) => `inputs (item ${index})`,
          limits: limitsFromV2(request.headers, body.parameters),
        });
        return {
          model_name: done.model.spec.name,
          model_version: done.model.spec.version,
          ...(body.id === undefined ? {} : { id: body.id }),
          outputs: rowsToV2Outputs(done.outputs, selected),
        };
      },
    );
  }
  app.get('/v2/models/stats', { config }, async () => ({ model_stats: models.all().map(modelStatistics) }));
}

function modelsFor(models: ModelRegistry, params: ModelParams): ServedModel[] {
  if (params.version !== undefined) return [models.resolve(params.model, params.version)];
  models.resolve(params.model);
  return models.all().filter((model) => model.spec.name === params.model);
}

function modelMetadata(models: ModelRegistry, params: ModelParams) {
  const model = models.resolve(params.model, params.version);
  const { spec } = model;
  const versions = models
    .all()
    .filter((candidate) => candidate.spec.name === spec.name)
    .map((candidate) => candidate.spec.version);
  return {
    name: spec.name,
    versions: params.version === undefined ? versions : [spec.version],
    platform: 'onnxruntime_onnx',
    inputs: spec.inputs.map((input) => ({ name: input.name, datatype: input.datatype, shape: [-1, ...input.shape] })),
    outputs: spec.tensors.outputs.map((output) => ({
      name: output.name,
      datatype: v2Datatype(output.dtype),
      shape: output.shape,
    })),
    parameters: {
      task: spec.task,
      ...(spec.labels === undefined ? {} : { labels: spec.labels }),
      max_batch_size: spec.batching.max_batch_size,
      cost_per_item: spec.cost.per_item,
      ready: model.ready,
    },
  };
}
