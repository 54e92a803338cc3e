/**
 * Request validation for the simulator's OpenAI endpoints. Each parser returns the
 * normalised request or a `SimRequestError` that the server sends in OpenAI's envelope.
 */
import { z } from 'zod';
import { findModel, type SimModel } from './catalog.ts';

export class SimRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null,
    readonly code: string,
  ) {
    super(message);
  }
}

const positiveInt = z.number().int().positive();
const textPart = z.object({ type: z.literal('text'), text: z.string() });
const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(textPart)]),
});
const streamFields = {
  model: z.string(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, { error: 'only n=1 is supported' }).nullish(),
  seed: z.number().int().nullish(),
  max_tokens: positiveInt.nullish(),
};
const chatSchema = z.object({
  ...streamFields,
  messages: z.array(message).min(1),
  max_completion_tokens: positiveInt.nullish(),
});
const completionSchema = z.object({
  ...streamFields,
  prompt: z.union([z.string(), z.array(z.string()).length(1, 'only one prompt per request is supported')]),
});
const embeddingSchema = z.object({
  model: z.string(),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: positiveInt.nullish(),
});

export interface GenerationRequest {
  kind: 'chat' | 'completion';
  model: SimModel;
  prompt: string;
  maxTokens?: number;
  stream: boolean;
  includeUsage: boolean;
  /** The request's own `seed`, mixed into the server's. */
  seed?: number;
}

export interface EmbeddingRequest {
  model: SimModel;
  inputs: string[];
  encoding: 'float' | 'base64';
  dimensions: number;
}

export function parseChatRequest(body: unknown): GenerationRequest {
  const request = parse(chatSchema, body);
  const prompt = request.messages
    .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join('')}`)
    .join('\n');
  return generationRequest('chat', request, prompt, request.max_completion_tokens ?? request.max_tokens);
}

export function parseCompletionRequest(body: unknown): GenerationRequest {
  const request = parse(completionSchema, body);
  const prompt = typeof request.prompt === 'string' ? request.prompt : (request.prompt[0] ?? '');
  return generationRequest('completion', request, prompt, request.max_tokens);
}

export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  const request = parse(embeddingSchema, body);
  const model = resolveModel(request.model);
  const dimensions = request.dimensions ?? model.embeddingDimensions;
  if (dimensions > model.embeddingDimensions) {
    throw invalid(`dimensions must be at most ${model.embeddingDimensions} for model ${model.id}`, 'dimensions');
  }
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  return { model, inputs, encoding: request.encoding_format ?? 'float', dimensions };
}

export function resolveModel(id: string): SimModel {
  const model = findModel(id);
  if (model === undefined)
    throw new SimRequestError(404, `The model '${id}' does not exist`, 'model', 'model_not_found');
  return model;
}

type StreamFields = z.infer<z.ZodObject<typeof streamFields>>;

function generationRequest(
  kind: GenerationRequest['kind'],
  request: StreamFields,
  prompt: string,
  maxTokens: number | null | undefined,
): GenerationRequest {
  const model = resolveModel(request.model);
  if (maxTokens != null && maxTokens > model.maxTokens) {
    throw invalid(
      `max_tokens must be at most ${model.maxTokens} for model ${model.id}, got ${maxTokens}`,
      'max_tokens',
    );
  }
  return {
    kind,
    model,
    prompt,
    ...(maxTokens == null ? {} : { maxTokens }),
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    ...(request.seed == null ? {} : { seed: request.seed }),
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue === undefined || issue.path.length === 0 ? null : issue.path.join('.');
  throw invalid(
    param === null ? (issue?.message ?? 'invalid request') : `${param}: ${issue?.message ?? 'invalid'}`,
    param,
  );
}

function invalid(message: string, param: string | null): SimRequestError {
  return new SimRequestError(400, message, param, 'invalid_request');
}
