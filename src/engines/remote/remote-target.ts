/**
 * A remote model as a pipeline target. Its backend speaks one API family (OpenAI's or the
 * Open Inference Protocol's); a request of that family goes upstream as the client wrote
 * it, with the model renamed to the upstream's name, and its answer comes back with the
 * sluice name. Requests of another family are refused before anything is sent.
 */
import { performance } from 'node:perf_hooks';
import { SluiceError } from '../../core/errors.ts';
import type { TicketScheduling } from '../../pipeline/admit.ts';
import type { ApiFamily, InferenceRequest, Operation } from '../../pipeline/request.ts';
import type { Answer, Dispatch, PreparedCall, ProbeContext, Provenance, Target } from '../../pipeline/target.ts';
import type { UpstreamResponse } from './remote-backend.ts';
import type { RemoteMetrics } from './remote-metrics.ts';
import type { RemoteModel } from './remote-models.ts';
import { relaySse } from './sse-relay.ts';
import { parseJsonObject } from '../../core/json.ts';
import { badResponse, readAll, readJsonAnswer, readRejection } from './upstream-body.ts';
import { measureAnswer, measureStream, type MeasuredCall } from './usage.ts';

/** Where each operation goes on an OpenAI-compatible server. */
const OPENAI_PATHS: Readonly<Partial<Record<Operation, string>>> = {
  chat: '/v1/chat/completions',
  complete: '/v1/completions',
  embed: '/v1/embeddings',
};

const MAX_READY_BYTES = 64 * 1024;

/**
 * Failures that mean "the upstream cannot say": a readiness probe answers not ready rather
 * than an error (every replica cooling down after a 429 or at its limit counts too).
 */
const NOT_READY_ON = new Set([
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_NO_REPLICA',
  'ERR_UPSTREAM_TIMEOUT',
  'ERR_UPSTREAM_RATE_LIMITED',
  'ERR_UPSTREAM_CONCURRENCY_LIMIT',
]);

/** The route a request came in on, as a client knows it. */
function routeOf(request: InferenceRequest): string {
  if (request.family === 'openai') return OPENAI_PATHS[request.operation] ?? '/v1';
  if (request.family === 'kserve-v1') return `/v1/models/${request.model}:predict`;
  return `/v2/models/${request.model}/infer`;
}

export class RemoteTarget implements Target {
  readonly name: string;
  readonly owner: string;
  readonly description = undefined;
  readonly ready = true;
  readonly state = 'ready';
  private readonly family: ApiFamily;

  /** `pinned`: a version the request named, forwarded to an Open Inference upstream. */
  constructor(
    private readonly model: RemoteModel,
    private readonly metrics: RemoteMetrics,
    private readonly pinned?: string,
  ) {
    this.name = model.name;
    this.owner = model.backend.name;
    this.family = model.dialect === 'openai' ? 'openai' : 'open-inference';
  }

  get version(): string {
    return this.pinned ?? this.model.version;
  }

  get scheduling(): TicketScheduling {
    return this.model.backend.scheduling;
  }

  async prepare(request: InferenceRequest): Promise<PreparedCall> {
    const path = this.pathOf(request);
    const payload =
      this.family === 'openai'
        ? { ...request.document, model: this.model.backend.upstreamName(this.name) }
        : request.document;
    return { run: (dispatch) => this.run(request, path, payload, dispatch) };
  }

  /** An OpenAI-compatible server has no metadata route: there is none to forward. */
  async upstreamMetadata(context: ProbeContext): Promise<Answer | undefined> {
    if (this.family === 'openai') return undefined;
    const started = performance.now();
    const upstream = await this.model.backend.get(this.upstreamPath(''), context.signal, context.requestId);
    if (upstream.statusCode >= 400) return this.rejection(upstream, started);
    const document = await readJsonAnswer(upstream, 'name', this.name);
    return { kind: 'document', status: upstream.statusCode, document, provenance: this.provenance(started) };
  }

  /**
   * Servers differ in the body (Triton sends none; KServe `{"ready": true}`), so the status
   * decides, and a JSON `"ready": false` too; an upstream that cannot be reached is not ready.
   * An OpenAI-compatible server has no readiness route: its model is ready while its backend
   * has a replica to send to, which the request itself finds out.
   */
  async probeReady(context: ProbeContext): Promise<boolean> {
    if (this.family === 'openai') return true;
    try {
      const upstream = await this.model.backend.get(this.upstreamPath('/ready'), context.signal, context.requestId);
      const text = (await readAll(upstream, MAX_READY_BYTES).catch(() => Buffer.alloc(0))).toString('utf8');
      upstream.settle(true);
      return upstream.statusCode < 300 && parseJsonObject(text)?.ready !== false;
    } catch (error) {
      if (!(error instanceof SluiceError) || !NOT_READY_ON.has(error.code)) throw error;
      context.log.info({ model: this.name, code: error.code }, error.message);
      return false;
    }
  }

  statistics(): undefined {
    return undefined;
  }

  private pathOf(request: InferenceRequest): string {
    const { dialect } = this.model;
    if (request.family !== this.family) {
      const served =
        this.family === 'openai'
          ? 'OpenAI-compatible requests (use /v1/chat/completions, /v1/completions or /v1/embeddings)'
          : `Open Inference requests (use /v2/models/${this.name}/infer)`;
      throw new SluiceError(
        'ERR_MODEL_UNSUPPORTED_OPERATION',
        `model "${this.name}" is served by a ${dialect} backend; ${routeOf(request)} cannot reach it: it takes ${served}`,
        { field: 'model' },
      );
    }
    if (this.family === 'open-inference') return this.upstreamPath('/infer');
    const path = OPENAI_PATHS[request.operation];
    if (path === undefined) {
      throw new SluiceError('ERR_MODEL_UNSUPPORTED_OPERATION', `model "${this.name}" cannot ${request.operation}`, {
        field: 'model',
      });
    }
    return path;
  }

  private upstreamPath(suffix: string): string {
    const model = `/v2/models/${encodeURIComponent(this.model.backend.upstreamName(this.name))}`;
    const version = this.pinned === undefined ? '' : `/versions/${encodeURIComponent(this.pinned)}`;
    return `${model}${version}${suffix}`;
  }

  private async run(request: InferenceRequest, path: string, payload: object, dispatch: Dispatch): Promise<Answer> {
    const started = performance.now();
    const upstream = await this.model.backend.open(path, payload, dispatch.signal, dispatch.requestId, {
      streaming: request.stream,
      ticket: dispatch.ticket,
    });
    if (upstream.statusCode >= 400) return this.rejection(upstream, started);
    const call: MeasuredCall = {
      metrics: this.metrics,
      log: dispatch.log,
      model: this.name,
      path,
      body: request.document,
    };
    if (request.stream) return this.stream(call, upstream, started, dispatch.receivedAt);
    const document = await readJsonAnswer(upstream, this.family === 'openai' ? 'model' : 'model_name', this.name);
    const provenance = this.provenance(started, document['model_version']);
    if (this.family === 'openai' && upstream.statusCode < 300) {
      measureAnswer(call, document, (performance.now() - dispatch.receivedAt) / 1000);
    }
    return { kind: 'document', status: upstream.statusCode, document, provenance };
  }

  private stream(call: MeasuredCall, upstream: UpstreamResponse, started: number, receivedAt: number): Answer {
    const contentType = String(upstream.headers['content-type'] ?? '');
    if (!/^text\/event-stream\b/i.test(contentType)) {
      throw badResponse(
        upstream,
        `answered content-type "${contentType || 'none'}" to a streaming request (text/event-stream expected)`,
      );
    }
    const secondsSince = () => (performance.now() - receivedAt) / 1000;
    return {
      kind: 'stream',
      provenance: this.provenance(started),
      relay: async (sink, { signal, errorEvent }) => {
        let firstTokenSeconds: number | undefined;
        const outcome = await relaySse({
          body: upstream.body,
          raw: sink,
          signal,
          model: this.name,
          where: upstream.where,
          onFirstToken: () => (firstTokenSeconds = secondsSince()),
          errorEvent,
        });
        upstream.settle(outcome.clientGone || outcome.failure === undefined);
        measureStream(call, outcome, { firstTokenSeconds, endSeconds: secondsSince() });
        if (outcome.failure !== undefined)
          call.log.warn({ code: outcome.failure.code, model: this.name }, outcome.failure.message);
        return { completed: outcome.completed, clientGone: outcome.clientGone };
      },
    };
  }

  private async rejection(upstream: UpstreamResponse, started: number): Promise<Answer> {
    const { text, failure, retryAfter } = await readRejection(upstream);
    const provenance = this.provenance(started);
    return { kind: 'rejection', status: upstream.statusCode, text, failure, retryAfter, provenance };
  }

  /** An Open Inference upstream says which version answered; otherwise the one configured or pinned. */
  private provenance(started: number, reportedVersion?: unknown): Provenance {
    const version = typeof reportedVersion === 'string' && reportedVersion !== '' ? reportedVersion : this.version;
    return { model: this.name, version, route: 'direct', engineMs: performance.now() - started };
  }
}
