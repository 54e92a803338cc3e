/**
 * The OpenAI-compatible API: `/v1/models`, `/v1/embeddings`, `/v1/chat/completions` and
 * `/v1/completions`. Each request becomes one pipeline request whatever model it names;
 * an OpenAI-compatible remote model gets the body as the client wrote it.
 */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import type { ModelDescription } from '../pipeline/model-description.ts';
import type { Operation } from '../pipeline/request.ts';
import type { RowsAnswer, Target } from '../pipeline/target.ts';
import { normalizeText } from '../core/text.ts';
import { sendAnswer, type AnswerFormat } from './answers.ts';
import type { ProtocolDeps } from './deps.ts';
import { parseJsonObject } from '../core/json.ts';
import { limitsFromHeaders, pinnedVersion } from './requested-limits.ts';

interface EmbeddingsBody {
  model: string;
  input: unknown;
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

interface GenerationBody {
  readonly model: string;
  readonly stream?: unknown;
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

/**
 * Only what resolving the model needs: a remote model checks the whole body against OpenAI's
 * request schema in the pipeline's validate stage, and reports every failure at once,
 * `stream` among them.
 */
const generationBodySchema = {
  type: 'object',
  required: ['model'],
  properties: { model: { type: 'string', minLength: 1 } },
} as const;

const GENERATION_ROUTES: ReadonlyArray<readonly [string, Operation]> = [
  ['/v1/chat/completions', 'chat'],
  ['/v1/completions', 'complete'],
];

export function registerOpenAI(app: FastifyInstance, deps: ProtocolDeps): void {
  const config = { protocol: 'openai' as const };
  const modelObject = (target: Target) => openAIModel(target, deps.startedAt);
  app.get('/v1/models', { config }, async () => ({
    object: 'list',
    data: deps.targets.names().map((name) => modelObject(deps.targets.resolve(name))),
  }));
  // KServe v1 reads the same path for model status, hence `name` and `ready` beside OpenAI's fields.
  app.get<{ Params: { model: string } }>('/v1/models/:model', { config }, async (request) =>
    modelObject(deps.targets.resolve(request.params.model, pinnedVersion(request.headers))),
  );

  app.post<{ Body: EmbeddingsBody }>(
    '/v1/embeddings',
    { config: { ...config, inference: true }, schema: { body: embeddingsBodySchema } },
    async (request, reply) => {
      const { body } = request;
      const label = (index: number) => (typeof body.input === 'string' ? 'input' : `input[${index}]`);
      const decode = (model: ModelDescription) => {
        checkEmbeddingModel(model, body);
        const field = model.inputs[0]?.name ?? 'text';
        return embeddingInputs(body.input).map((text) => ({ [field]: text }));
      };
      const done = await deps.infer(request, reply, 'openai', {
        operation: 'embed',
        model: body.model,
        version: pinnedVersion(request.headers),
        limits: limitsFromHeaders(request.headers),
        stream: false,
        family: 'openai',
        document: body as unknown as Readonly<Record<string, unknown>>,
        items: { decode, label },
      });
      return sendAnswer(reply, done, embeddingsFormat(body));
    },
  );

  for (const [path, operation] of GENERATION_ROUTES) {
    app.post<{ Body: GenerationBody }>(
      path,
      { config: { ...config, inference: true, remoteOnly: true }, schema: { body: generationBodySchema } },
      async (request, reply) => {
        const done = await deps.infer(request, reply, 'openai', {
          operation,
          model: request.body.model,
          version: pinnedVersion(request.headers),
          limits: limitsFromHeaders(request.headers),
          stream: request.body.stream === true,
          family: 'openai',
          document: request.body as unknown as Readonly<Record<string, unknown>>,
          items: undefined,
        });
        return sendAnswer(reply, done, GENERATION_FORMAT);
      },
    );
  }
}

/** A local model's embeddings as OpenAI writes them; usage counts the words the model sees. */
function embeddingsFormat(body: EmbeddingsBody): AnswerFormat {
  return {
    protocol: 'openai',
    passThroughError: openAIError,
    rows: (answer: RowsAnswer) => {
      const outputName = answer.model.tensors.outputs[0]?.name ?? '';
      const promptTokens = embeddingInputs(body.input).reduce((sum, text) => sum + countWords(text), 0);
      return {
        object: 'list',
        data: answer.rows.map((row, index) => ({
          object: 'embedding',
          index,
          embedding: encode(row[outputName]?.data as Float32Array, body.encoding_format),
        })),
        model: answer.model.name,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
    },
  };
}

/** Generation has no local form: local models refuse it in the pipeline. */
const GENERATION_FORMAT: AnswerFormat = { protocol: 'openai', passThroughError: openAIError };

/** An upstream's error body that already is OpenAI's envelope goes to the client as it came. */
function openAIError(text: string): string | undefined {
  const parsed = parseJsonObject(text);
  return typeof parsed?.error === 'object' && parsed.error !== null ? text : undefined;
}

function checkEmbeddingModel(model: ModelDescription, body: EmbeddingsBody): void {
  if (model.task !== 'text-embedding') {
    throw new SluiceError(
      'ERR_MODEL_UNSUPPORTED_OPERATION',
      `model "${body.model}" is a ${model.task} model, not an embedding model`,
      { field: 'model' },
    );
  }
  const dimension = model.tensors.outputs[0]?.shape[1];
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

function countWords(text: string): number {
  const normalised = normalizeText(text);
  return normalised.length === 0 ? 0 : normalised.split(' ').length;
}

function encode(vector: Float32Array, format: EmbeddingsBody['encoding_format']): number[] | string {
  if (format === 'base64') return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
  return Array.from(vector);
}

/** OpenAI's model object; a model sluice knows the inside of says its version, task and readiness too. */
function openAIModel(target: Target, created: number) {
  const own = { id: target.name, object: 'model', created, owned_by: target.owner };
  const task = target.description?.task;
  if (task === undefined) return own;
  return { ...own, name: target.name, version: target.version, task, ready: target.ready };
}
