/** The OpenAI-compatible API: `/v1/models` and `/v1/embeddings` (remote models: see openai-remote.ts). */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import type { ServedModel } from '../engines/local/models/served-model.ts';
import type { ModelSpec } from '../engines/local/models/model-spec.ts';
import { normalizeText } from '../engines/local/preprocess/text-hash.ts';
import type { ProtocolDeps } from './kserve-v2.ts';
import { limitsFromHeaders } from './requested-limits.ts';
import { openAIDialect, proxyToRemote, remoteModelObject, type RemoteRouteDeps } from './openai-remote.ts';
import { runInference } from './run-inference.ts';

interface EmbeddingsBody {
  model: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

const embeddingsBodySchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: {},
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1 },
    user: { type: 'string' },
  },
} as const;

const STARTED_AT = Math.floor(Date.now() / 1000);

export function registerOpenAI(app: FastifyInstance, deps: ProtocolDeps, remote?: RemoteRouteDeps): void {
  const config = { protocol: 'openai' as const };
  // Remote models (remote backends): listed after the local ones, `owned_by` their backend.
  const remoteObjects = () => remote?.remote.all().map((model) => remoteModelObject(model, STARTED_AT)) ?? [];
  app.get('/v1/models', { config }, async () => ({
    object: 'list',
    data: [...deps.models.names().map((name) => modelObject(deps.models.resolve(name))), ...remoteObjects()],
  }));
  // KServe v1 reads the same path for model status, hence `name` and `ready` beside OpenAI's fields.
  app.get<{ Params: { model: string } }>('/v1/models/:model', { config }, async (request) => {
    const remoteModel = remote?.remote.find(request.params.model);
    return remoteModel === undefined
      ? modelObject(deps.models.resolve(request.params.model))
      : remoteModelObject(remoteModel, STARTED_AT);
  });

  app.post<{ Body: EmbeddingsBody }>(
    '/v1/embeddings',
    { config: { ...config, inference: true }, schema: { body: embeddingsBodySchema } },
    async (request, reply) => {
      const body = request.body;
      // A remote model's embeddings are the backend's: forwarded as they came.
      const remoteModel = remote?.remote.find(body.model);
      if (remote !== undefined && remoteModel !== undefined)
        return proxyToRemote(
          remote,
          openAIDialect(remoteModel, '/v1/embeddings'),
          '/v1/embeddings',
          body,
          request,
          reply,
        );
      const texts = embeddingInputs(body.input);
      const decode = (spec: ModelSpec) => {
        checkEmbeddingModel(spec, body);
        const field = spec.inputs[0]?.name ?? 'text';
        return texts.map((text) => ({ [field]: text }));
      };
      const label = (index: number) => (typeof body.input === 'string' ? 'input' : `input[${index}]`);
      const done = await runInference(deps, request, 'openai', {
        model: body.model,
        version: undefined,
        decode,
        itemLabel: label,
        limits: limitsFromHeaders(request.headers),
      });
      const outputName = done.model.spec.tensors.outputs[0]?.name ?? '';
      const promptTokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
      return {
        object: 'list',
        data: done.outputs.map((row, index) => ({
          object: 'embedding',
          index,
          embedding: encode(row[outputName]?.data as Float32Array, body.encoding_format),
        })),
        model: done.model.spec.name,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
    },
  );
}

function checkEmbeddingModel(spec: ModelSpec, body: EmbeddingsBody): void {
  if (spec.task !== 'text-embedding') {
    throw new SluiceError(
      'ERR_MODEL_UNSUPPORTED_OPERATION',
      `model "${body.model}" is a ${spec.task} model, not an embedding model`,
      { field: 'model' },
    );
  }
  const dimension = spec.tensors.outputs[0]?.shape[1];
  if (body.dimensions !== undefined && body.dimensions !== dimension) {
    throw new SluiceError(
      'ERR_REQUEST_INVALID',
      `model "${body.model}" returns ${dimension} dimensions; "dimensions": ${body.dimensions} is not supported`,
      { field: 'dimensions' },
    );
  }
}

function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((element) => typeof element === 'string')) return input as string[];
  throw new SluiceError(
    'ERR_REQUEST_INVALID',
    '"input" must be a string or an array of strings (token arrays are not supported)',
    { field: 'input' },
  );
}

/** Usage counts the words the model actually sees, after normalisation. */
function countTokens(text: string): number {
  const normalised = normalizeText(text);
  return normalised.length === 0 ? 0 : normalised.split(' ').length;
}

function encode(vector: Float32Array, format: EmbeddingsBody['encoding_format']): number[] | string {
  if (format === 'base64') return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
  return Array.from(vector);
}

function modelObject(model: ServedModel) {
  return {
    id: model.spec.name,
    object: 'model',
    created: STARTED_AT,
    owned_by: 'sluice',
    name: model.spec.name,
    version: model.spec.version,
    task: model.spec.task,
    ready: model.ready,
  };
}
