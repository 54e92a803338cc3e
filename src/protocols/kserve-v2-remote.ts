/**
 * KServe v2 (Open Inference Protocol) routes for remote models of `dialect: kserve-v2`
 * backends (Triton, KServe, Seldon MLServer). `kserve-v2.ts` hands a request here when
 * its model name is such a remote model; the infer body goes upstream as it came, and
 * the answer comes back with the sluice name. See docs/backends.md.
 *
 *   POST /v2/models/{m}[/versions/{v}]/infer ─► POST {replica}/v2/models/{upstream}[/versions/{v}]/infer
 *   GET  /v2/models/{m}[/versions/{v}]       ─► GET  {replica}/v2/models/{upstream}[/versions/{v}]
 *   GET  /v2/models/{m}[/versions/{v}]/ready ─► GET  {replica}/v2/models/{upstream}[/versions/{v}]/ready
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError } from '../core/errors.ts';
import type { Requester, UpstreamResponse } from '../engines/remote/remote-backend.ts';
import { parseObject, readAll, readJsonAnswer, readRejection } from '../engines/remote/upstream-body.ts';
import type { RemoteModel } from '../engines/remote/remote-models.ts';
import type { RemoteRouteDeps } from './openai-remote.ts';
import { errorBody } from './envelopes.ts';
import { limitsFromV2 } from './requested-limits.ts';

export interface RemoteModelParams {
  readonly model: string;
  readonly version?: string;
}

const MAX_ERROR_BYTES = 64 * 1024;

/**
 * Failures that mean "the upstream cannot say": a readiness probe answers not ready rather
 * than an error. Every replica cooling down after a 429 or at its concurrency limit counts
 * too: a probe that got 429 would read as not ready anyway, and the body should say so.
 */
const NOT_READY_ON = new Set([
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_NO_REPLICA',
  'ERR_UPSTREAM_TIMEOUT',
  'ERR_UPSTREAM_RATE_LIMITED',
  'ERR_UPSTREAM_CONCURRENCY_LIMIT',
]);

/** The remote model of a kserve-v2 backend with this name, if there is one; local names stay local. */
export function remoteKServeModel(deps: RemoteRouteDeps | undefined, name: string): RemoteModel | undefined {
  const found = deps?.remote.find(name);
  return found?.dialect === 'kserve-v2' ? found : undefined;
}

/** Forwards an OIP infer request; the answer's `model_name` becomes the sluice name. */
export async function inferRemote(
  deps: RemoteRouteDeps,
  target: RemoteModel,
  params: RemoteModelParams,
  body: object,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const parameters = (body as { parameters?: Readonly<Record<string, unknown>> }).parameters;
  const requester: Requester = {
    tenant: deps.tenants.identify(request.headers),
    requested: limitsFromV2(request.headers, parameters),
  };
  if (deps.draining())
    throw new SluiceError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down and accepts no new requests');
  request.remoteModel = { name: target.name, version: params.version ?? '' };
  const signal = abortWhenClientLeaves(reply);
  let upstream: UpstreamResponse;
  try {
    upstream = await target.backend.open(upstreamPath(target, params, '/infer'), body, signal, request.id, {
      streaming: false,
      requester,
    });
  } catch (error) {
    if (signal.aborted) return reply.hijack(); // nobody to answer; counted as 499
    throw error;
  }
  if (upstream.statusCode >= 400) return passUpstreamError(upstream, reply);
  return reply.code(upstream.statusCode).send(await readJsonAnswer(upstream, 'model_name', target.name));
}

/** The upstream's model metadata, with `name` the sluice name. */
export async function remoteMetadata(
  target: RemoteModel,
  params: RemoteModelParams,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const upstream = await target.backend.get(upstreamPath(target, params, ''), abortWhenClientLeaves(reply), request.id);
  if (upstream.statusCode >= 400) return passUpstreamError(upstream, reply);
  return reply.code(upstream.statusCode).send(await readJsonAnswer(upstream, 'name', target.name));
}

/**
 * Readiness as the local route answers it (200 ready, 503 not ready). Servers differ in the
 * body (Triton sends none; KServe `{"ready": true}`), so the status decides, and a JSON
 * `"ready": false` too; an upstream that cannot be reached is not ready.
 */
export async function remoteReady(
  target: RemoteModel,
  params: RemoteModelParams,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  let ready: boolean;
  try {
    const upstream = await target.backend.get(
      upstreamPath(target, params, '/ready'),
      abortWhenClientLeaves(reply),
      request.id,
    );
    const text = (await readAll(upstream, MAX_ERROR_BYTES).catch(() => Buffer.alloc(0))).toString('utf8');
    upstream.settle(true);
    ready = upstream.statusCode < 300 && parseObject(text)?.ready !== false;
  } catch (error) {
    if (!(error instanceof SluiceError) || !NOT_READY_ON.has(error.code)) throw error;
    request.log.info({ model: target.name, code: error.code }, error.message);
    ready = false;
  }
  const version = params.version === undefined ? {} : { version: params.version };
  return reply.code(ready ? 200 : 503).send({ name: target.name, ...version, ready });
}

function upstreamPath(target: RemoteModel, params: RemoteModelParams, suffix: string): string {
  const model = `/v2/models/${encodeURIComponent(target.backend.upstreamName(target.name))}`;
  const version = params.version === undefined ? '' : `/versions/${encodeURIComponent(params.version)}`;
  return `${model}${version}${suffix}`;
}

/** A client that hangs up cancels the upstream request, which frees the upstream's slot. */
function abortWhenClientLeaves(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * The upstream's 4xx with its status and Retry-After: its own body when it is a KServe
 * envelope (`{"error": "..."}`), else sluice's envelope carrying its message.
 */
async function passUpstreamError(upstream: UpstreamResponse, reply: FastifyReply): Promise<FastifyReply> {
  const { text, failure, retryAfter } = await readRejection(upstream);
  const own = parseObject(text)?.error;
  if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
  return reply
    .code(upstream.statusCode)
    .header('x-sluice-error-code', failure.code)
    .send(typeof own === 'string' ? { error: own } : errorBody('kserve-v2', failure));
}
