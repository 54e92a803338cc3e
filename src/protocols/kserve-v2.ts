/**
 * KServe v2 / Open Inference Protocol over HTTP: health, metadata, statistics and infer,
 * for every model. A remote model of an Open Inference server gets the infer body as the
 * client wrote it; its metadata and readiness are its server's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModelDescription, OutputTensor } from '../pipeline/model-description.ts';
import type { ProbeContext, RowsAnswer, Target } from '../pipeline/target.ts';
import { parseJsonObject } from '../core/json.ts';
import { sendAnswer, type AnswerFormat } from './answers.ts';
import type { ProtocolDeps } from './deps.ts';
import { limitsFromV2, pinnedVersion } from './requested-limits.ts';
import { rowsToV2Outputs, selectOutputs, v2Datatype, v2InputsToItems, type V2InputTensor } from './v2-tensors.ts';

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

/** The protocol extensions sluice serves (`GET /v2`). */
const EXTENSIONS = ['statistics'];

export function registerKServeV2(app: FastifyInstance, deps: ProtocolDeps): void {
  const config = { protocol: 'kserve-v2' as const };
  const { targets } = deps;
  const resolve = (request: FastifyRequest<{ Params: ModelParams }>) =>
    targets.resolve(request.params.model, pinnedVersion(request.headers, request.params.version));

  app.get('/v2', { config }, async () => ({ name: 'sluice', version: deps.serverVersion, extensions: EXTENSIONS }));
  app.get('/v2/health/live', { config }, async () => ({ live: true }));
  app.get('/v2/health/ready', { config }, async (_request, reply) => {
    const { ready, reason } = deps.readiness();
    return reply.code(ready ? 200 : 503).send(reason === undefined ? { ready } : { ready, reason });
  });

  for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.get<{ Params: ModelParams }>(prefix, { config }, async (request, reply) => {
      const target = resolve(request);
      if (target.description !== undefined) {
        const pinned = pinnedVersion(request.headers, request.params.version) !== undefined;
        return modelMetadata(target.description, target, pinned, deps);
      }
      const answer = await target.upstreamMetadata(probeContext(request, reply));
      if (answer === undefined) return { name: target.name, versions: [target.version], platform: target.owner };
      return sendAnswer(reply, answer, V2_FORMAT);
    });
    app.get<{ Params: ModelParams }>(`${prefix}/ready`, { config }, async (request, reply) => {
      const target = resolve(request);
      const ready = await target.probeReady(probeContext(request, reply));
      // A remote server's version is its own to choose unless the request named one.
      const known =
        target.description !== undefined || pinnedVersion(request.headers, request.params.version) !== undefined;
      const version = known ? { version: target.version } : {};
      return reply.code(ready ? 200 : 503).send({ name: target.name, ...version, ready });
    });
    app.get<{ Params: ModelParams }>(`${prefix}/stats`, { config }, async (request) => {
      const named = resolve(request);
      const versions =
        request.params.version === undefined ? targets.all().filter((target) => target.name === named.name) : [named];
      return { model_stats: statisticsOf(versions) };
    });
    app.post<{ Params: ModelParams; Body: InferBody }>(
      `${prefix}/infer`,
      { config: { ...config, inference: true }, schema: { body: inferBodySchema } },
      async (request, reply) => {
        const { params, body } = request;
        let selected: readonly OutputTensor[] = [];
        const decode = (model: ModelDescription) => {
          selected = selectOutputs(model, body.outputs);
          return v2InputsToItems(body.inputs, model);
        };
        const { answer } = await deps.infer(request, reply, 'kserve-v2', {
          operation: 'predict',
          model: params.model,
          version: pinnedVersion(request.headers, params.version),
          limits: limitsFromV2(request.headers, body.parameters),
          stream: false,
          family: 'open-inference',
          document: body as unknown as Readonly<Record<string, unknown>>,
          items: { decode, label: (index) => `inputs (item ${index})` },
        });
        return sendAnswer(
          reply,
          answer,
          inferFormat(body, () => selected),
        );
      },
    );
  }
  app.get('/v2/models/stats', { config }, async () => ({ model_stats: statisticsOf(targets.all()) }));
}

function inferFormat(body: InferBody, selected: () => readonly OutputTensor[]): AnswerFormat<object> {
  return {
    ...V2_FORMAT,
    rows: (answer: RowsAnswer) => ({
      model_name: answer.model.name,
      model_version: answer.model.version,
      ...(body.id === undefined ? {} : { id: body.id }),
      outputs: rowsToV2Outputs(answer.rows, selected()),
    }),
  };
}

/** Metadata and errors: no local rows to format. */
const V2_FORMAT: AnswerFormat<never> = {
  protocol: 'kserve-v2',
  ownError: (text) => {
    const own = parseJsonObject(text)?.error;
    return typeof own === 'string' ? { error: own } : undefined;
  },
  rows: () => {
    throw new Error('a metadata request was answered with rows');
  },
};

function statisticsOf(targets: readonly Target[]): Array<Readonly<Record<string, unknown>>> {
  return targets.flatMap((target) => {
    const statistics = target.statistics();
    return statistics === undefined ? [] : [statistics];
  });
}

function modelMetadata(model: ModelDescription, target: Target, pinned: boolean, deps: ProtocolDeps) {
  const versions = deps.targets
    .all()
    .filter((candidate) => candidate.name === model.name)
    .map((candidate) => candidate.version);
  return {
    name: model.name,
    versions: pinned ? [model.version] : versions,
    platform: 'onnxruntime_onnx',
    inputs: model.inputs.map((input) => ({ name: input.name, datatype: input.datatype, shape: [-1, ...input.shape] })),
    outputs: model.tensors.outputs.map((output) => ({
      name: output.name,
      datatype: v2Datatype(output.dtype),
      shape: output.shape,
    })),
    parameters: {
      task: model.task,
      ...(model.labels === undefined ? {} : { labels: model.labels }),
      max_batch_size: model.batching.max_batch_size,
      cost_per_item: model.cost.per_item,
      ready: target.ready,
    },
  };
}

/** A probe of a remote model's server is cancelled when the client hangs up. */
function probeContext(request: FastifyRequest, reply: FastifyReply): ProbeContext {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return { signal: controller.signal, requestId: request.id, log: request.log };
}
