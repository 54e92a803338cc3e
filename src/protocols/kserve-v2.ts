/**
 * KServe v2 / Open Inference Protocol over HTTP: health, metadata, statistics and infer,
 * for every model. A remote model of an Open Inference server gets the infer body as the
 * client wrote it; its metadata and readiness are its server's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModelDescription } from '../pipeline/model-description.ts';
import type { RowsAnswer, Target } from '../pipeline/target.ts';
import { parseJsonObject } from '../core/json.ts';
import { sendAnswer, type AnswerFormat } from './answers.ts';
import type { ProtocolDeps } from './deps.ts';
import { limitsFromV2, pinnedVersion } from './requested-limits.ts';
import {
  acceptBinaryBodies,
  BINARY_EXTENSION,
  binaryHeaderValidator,
  inferAnswerBody,
  inferWire,
  type BinaryBody,
  type InferBody,
  type V2InferWire,
} from './v2-binary-http.ts';
import { selectOutputs, v2TensorsToItems } from './v2-tensors.ts';

interface ModelParams {
  model: string;
  version?: string;
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
const EXTENSIONS = ['statistics', BINARY_EXTENSION];

const checkBinaryHeader = binaryHeaderValidator(inferBodySchema);

/** In a scope of their own: these routes also take binary bodies, the rest of the server only JSON. */
export function registerKServeV2(app: FastifyInstance, deps: ProtocolDeps): void {
  void app.register(async (scope) => {
    acceptBinaryBodies(scope);
    registerRoutes(scope, deps);
  });
}

function registerRoutes(app: FastifyInstance, deps: ProtocolDeps): void {
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
      const pinned = pinnedVersion(request.headers, request.params.version);
      const target = targets.resolve(request.params.model, pinned);
      const probe = deps.probeContext(request, reply);
      const answer = await target.metadata(probe, {
        versions: pinned === undefined ? targets.versionsOf(target.name) : [target.version],
      });
      return sendAnswer(reply, { answer, signal: probe.signal }, V2_FORMAT);
    });
    app.get<{ Params: ModelParams }>(`${prefix}/ready`, { config }, async (request, reply) => {
      const target = resolve(request);
      const { ready, version } = await target.probeReady(deps.probeContext(request, reply));
      return reply
        .code(ready ? 200 : 503)
        .send({ name: target.name, ...(version === undefined ? {} : { version }), ready });
    });
    app.get<{ Params: ModelParams }>(`${prefix}/stats`, { config }, async (request) => {
      const named = resolve(request);
      const versions =
        request.params.version === undefined ? targets.all().filter((target) => target.name === named.name) : [named];
      return { model_stats: statisticsOf(versions) };
    });
    app.post<{ Params: ModelParams; Body: InferBody | BinaryBody }>(
      `${prefix}/infer`,
      {
        config: { ...config, inference: true },
        schema: { body: { content: { 'application/json': { schema: inferBodySchema } } } },
      },
      async (request, reply) => {
        const { params } = request;
        const wire = inferWire(request.body, checkBinaryHeader);
        const body = wire.header;
        const decode = (model: ModelDescription) => {
          // An output the model lacks is refused before it runs; the answer reads them again from the model that answered.
          selectOutputs(model, body.outputs);
          return v2TensorsToItems(wire.inputs, model);
        };
        const done = await deps.infer(request, reply, 'kserve-v2', {
          operation: 'predict',
          model: params.model,
          version: pinnedVersion(request.headers, params.version),
          limits: limitsFromV2(request.headers, body.parameters),
          stream: false,
          family: 'open-inference',
          get document() {
            return wire.document;
          },
          items: { decode, label: itemLabel },
        });
        return sendAnswer(reply, done, inferFormat(reply, wire));
      },
    );
  }
  app.get('/v2/models/stats', { config }, async () => ({ model_stats: statisticsOf(targets.all()) }));
}

/** Where an item's failure is: its place in the input tensors. */
function itemLabel(index: number): string {
  return `inputs (item ${index})`;
}

/** The outputs of the model that answered: a partial-data fallback answers with its own. */
function inferFormat(reply: FastifyReply, wire: V2InferWire): AnswerFormat {
  const rows = (answer: RowsAnswer) =>
    inferAnswerBody(reply, answer, wire, selectOutputs(answer.model, wire.header.outputs));
  return { ...V2_FORMAT, rows };
}

/** Metadata and errors: nothing a local model answers with rows. */
const V2_FORMAT: AnswerFormat = {
  protocol: 'kserve-v2',
  passThroughError: (text) => {
    const own = parseJsonObject(text)?.error;
    return typeof own === 'string' ? { error: own } : undefined;
  },
};

function statisticsOf(targets: readonly Target[]): Array<Readonly<Record<string, unknown>>> {
  return targets.flatMap((target) => {
    const statistics = target.statistics();
    return statistics === undefined ? [] : [statistics];
  });
}
