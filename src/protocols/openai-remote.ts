/**
 * OpenAI routes for remote models: `POST /v1/chat/completions` and `/v1/completions`
 * (remote models only), and the forwarding `/v1/embeddings` uses for a remote model.
 * The request body goes upstream as it came, with the model renamed to the upstream's
 * name; the answer comes back with the sluice name. See docs/backends.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { SluiceError } from '../core/errors.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import type { Requester, UpstreamResponse } from '../engines/remote/remote-backend.ts';
import { badResponse, parseObject, readJsonAnswer, readRejection } from '../engines/remote/upstream-body.ts';
import type { RemoteMetrics } from '../engines/remote/remote-metrics.ts';
import type { RemoteModel, RemoteModels } from '../engines/remote/remote-models.ts';
import { relaySse } from '../engines/remote/sse-relay.ts';
import { discardBody } from '../engines/remote/upstream-errors.ts';
import { measureAnswer, measureStream, type MeasuredCall } from '../engines/remote/usage.ts';
import type { TenantDirectory } from '../tenancy/tenant-directory.ts';
import { errorBody } from './envelopes.ts';
import { limitsFromHeaders } from './requested-limits.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The remote model a request went to, for the response hook's metric labels. */
    remoteModel: { readonly name: string; readonly version: string } | null;
  }
}

export interface RemoteRouteDeps {
  readonly remote: RemoteModels;
  readonly models: ModelRegistry;
  readonly tenants: TenantDirectory;
  readonly metrics: RemoteMetrics;
  readonly draining: () => boolean;
}

interface GenerationBody {
  readonly model: string;
  readonly stream?: boolean;
}

const generationBodySchema = {
  type: 'object',
  required: ['model'],
  properties: { model: { type: 'string', minLength: 1 }, stream: { type: 'boolean' } },
} as const;

export function registerOpenAIRemote(app: FastifyInstance, deps: RemoteRouteDeps): void {
  app.decorateRequest('remoteModel', null);
  for (const path of ['/v1/chat/completions', '/v1/completions']) {
    app.post<{ Body: GenerationBody }>(
      path,
      { config: { protocol: 'openai', inference: true, remoteOnly: true }, schema: { body: generationBodySchema } },
      async (request, reply) => {
        const target = generationTarget(deps, request.body.model, path);
        return proxyToRemote(deps, target, path, request.body, request, reply);
      },
    );
  }
}

export function remoteModelObject(model: RemoteModel, created: number) {
  return { id: model.name, object: 'model', created, owned_by: model.backend.name };
}

/** A remote model the OpenAI routes can forward to: one of an OpenAI-compatible backend. */
export function openAIDialect(model: RemoteModel, path: string): RemoteModel {
  if (model.dialect === 'openai') return model;
  throw new SluiceError(
    'ERR_MODEL_UNSUPPORTED_OPERATION',
    `model "${model.name}" is served by a ${model.dialect} backend; ${path} serves OpenAI-compatible models (use /v2/models/${model.name}/infer)`,
    { field: 'model' },
  );
}

function generationTarget(deps: RemoteRouteDeps, name: string, path: string): RemoteModel {
  const remote = deps.remote.find(name);
  if (remote !== undefined) return openAIDialect(remote, path);
  if (deps.models.names().includes(name)) {
    throw new SluiceError(
      'ERR_MODEL_UNSUPPORTED_OPERATION',
      `model "${name}" is a local model; ${path} serves remote models only`,
      { field: 'model' },
    );
  }
  const available = deps.remote.all().map((model) => model.name);
  throw new SluiceError(
    'ERR_MODEL_NOT_FOUND',
    `model "${name}" does not exist (remote models: ${available.join(', ') || 'none'})`,
    { field: 'model' },
  );
}

/** Forwards the request to the model's backend and answers with what comes back. */
export async function proxyToRemote(
  deps: RemoteRouteDeps,
  target: RemoteModel,
  path: string,
  body: object,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const requester: Requester = {
    tenant: deps.tenants.identify(request.headers),
    requested: limitsFromHeaders(request.headers),
  };
  if (deps.draining())
    throw new SluiceError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down and accepts no new requests');
  // A client that hangs up cancels the upstream request, streaming or not.
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  const opened = await openWithFallbacks(
    deps.remote.chain(target),
    path,
    body,
    { signal: controller.signal, requester },
    request,
  );
  if (opened === undefined) return reply.hijack(); // nobody to answer; counted as 499
  const { served, upstream } = opened;
  request.remoteModel = { name: served.name, version: '' };
  if (upstream.statusCode >= 400) return passUpstreamError(upstream, reply);
  const call: MeasuredCall = {
    metrics: deps.metrics,
    log: request.log,
    model: served.name,
    path,
    body: body as Record<string, unknown>,
  };
  if ((body as { stream?: unknown }).stream === true)
    return streamAnswer(call, upstream, request, reply, controller.signal);
  return unaryAnswer(call, upstream, reply);
}

/** Failures after which the next model of the chain is tried: nothing has reached the client yet (the 429s: the backend sheds). */
const FALL_BACK_ON = new Set([
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_NO_REPLICA',
  'ERR_UPSTREAM_RATE_LIMITED',
  'ERR_UPSTREAM_CONCURRENCY_LIMIT',
]);

/**
 * Opens the first model of the chain that answers: a model whose backend is unavailable,
 * or that sheds the request (429), hands it to the next. The last one's answer, whatever
 * it is, goes to the client. Undefined when the client left.
 */
async function openWithFallbacks(
  chain: readonly RemoteModel[],
  path: string,
  body: object,
  asked: { signal: AbortSignal; requester: Requester },
  request: FastifyRequest,
): Promise<{ served: RemoteModel; upstream: UpstreamResponse } | undefined> {
  const { signal, requester } = asked;
  for (const [position, model] of chain.entries()) {
    const last = position === chain.length - 1;
    const payload = { ...body, model: model.backend.upstreamName(model.name) };
    try {
      const upstream = await model.backend.open(path, payload, signal, request.id, { requester });
      if (upstream.statusCode !== 429 || last) return { served: model, upstream };
      discardBody(upstream.body);
      upstream.settle(true);
      request.log.info({ model: model.name, next: chain[position + 1]?.name }, 'model is shedding (429): falling back');
    } catch (error) {
      if (signal.aborted) return undefined;
      if (last || !(error instanceof SluiceError) || !FALL_BACK_ON.has(error.code)) throw error;
      request.log.info(
        { model: model.name, next: chain[position + 1]?.name, code: error.code },
        'model unavailable: falling back',
      );
    }
  }
  throw new Error('a fallback chain always holds its own model');
}

/** The upstream's 4xx, with its status, its error body (wrapped when it is not OpenAI's envelope) and its Retry-After. */
async function passUpstreamError(upstream: UpstreamResponse, reply: FastifyReply): Promise<FastifyReply> {
  const { text, failure, retryAfter } = await readRejection(upstream);
  if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
  return reply
    .code(upstream.statusCode)
    .header('x-sluice-error-code', failure.code)
    .header('content-type', 'application/json; charset=utf-8')
    .send(isOpenAIError(text) ? text : errorBody('openai', failure));
}

async function unaryAnswer(call: MeasuredCall, upstream: UpstreamResponse, reply: FastifyReply): Promise<FastifyReply> {
  const answer = await readJsonAnswer(upstream, 'model', call.model);
  if (upstream.statusCode < 300) measureAnswer(call, answer, reply.elapsedTime / 1000);
  return reply.code(upstream.statusCode).send(answer);
}

async function streamAnswer(
  call: MeasuredCall,
  upstream: UpstreamResponse,
  request: FastifyRequest,
  reply: FastifyReply,
  signal: AbortSignal,
): Promise<FastifyReply> {
  const contentType = String(upstream.headers['content-type'] ?? '');
  if (!/^text\/event-stream\b/i.test(contentType))
    throw badResponse(
      upstream,
      `answered content-type "${contentType || 'none'}" to a streaming request (text/event-stream expected)`,
    );
  reply.hijack();
  startEventStream(reply.raw, request.id);
  let firstTokenSeconds: number | undefined;
  const outcome = await relaySse({
    body: upstream.body,
    raw: reply.raw,
    signal,
    model: call.model,
    where: upstream.where,
    onFirstToken: () => (firstTokenSeconds = reply.elapsedTime / 1000),
  });
  upstream.settle(outcome.clientGone || outcome.failure === undefined);
  measureStream(call, outcome, { firstTokenSeconds, endSeconds: reply.elapsedTime / 1000 });
  if (outcome.failure !== undefined)
    request.log.warn({ code: outcome.failure.code, model: call.model }, outcome.failure.message);
  return reply;
}

function startEventStream(raw: ServerResponse, requestId: string): void {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': requestId,
  });
  raw.flushHeaders();
}

function isOpenAIError(text: string): boolean {
  const parsed = parseObject(text);
  return typeof parsed?.error === 'object' && parsed.error !== null;
}
