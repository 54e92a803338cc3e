/**
 * A remote model as a pipeline target. Its backend speaks one API family (OpenAI's or the
 * Open Inference Protocol's); a request of that family goes upstream as the client wrote
 * it, with the model renamed to the upstream's name, and its answer comes back with the
 * sluice name. Requests of another family, and chat or completion requests that break
 * OpenAI's request schema (openai-request/), are refused before anything is sent.
 */
import { performance } from 'node:perf_hooks';
import { isUpstreamUnavailable, SluiceError } from '../../core/errors.ts';
import type { TicketScheduling } from '../../pipeline/admit.ts';
import type { ApiFamily, InferenceRequest, Operation } from '../../pipeline/request.ts';
import type {
  Answer,
  Dispatch,
  PreparedCall,
  ProbeContext,
  Provenance,
  Readiness,
  Target,
} from '../../pipeline/target.ts';
import type { RemoteMetrics } from './remote-metrics.ts';
import type { RemoteModel } from './remote-models.ts';
import { relaySse } from './sse-relay.ts';
import { discardBody } from './upstream-errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';
import { parseJsonObject } from '../../core/json.ts';
import { badResponse, readAll, readJsonAnswer, readRejection } from './upstream-body.ts';
import { measureAnswer, measureStream, type MeasuredCall } from './usage.ts';
import { checkGenerationRequest } from './openai-request/check.ts';

/** Where each operation goes on an OpenAI-compatible server. */
const OPENAI_PATHS: Readonly<Partial<Record<Operation, string>>> = {
  chat: '/v1/chat/completions',
  complete: '/v1/completions',
  embed: '/v1/embeddings',
};

const MAX_READY_BYTES = 64 * 1024;

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

  /** The validate stage: a chat or completion request breaking OpenAI's request schema is refused whole, unsent. */
  async prepare(request: InferenceRequest): Promise<PreparedCall> {
    const path = this.pathOf(request);
    if (this.family === 'openai' && (request.operation === 'chat' || request.operation === 'complete')) {
      checkGenerationRequest(request.operation, request.document);
    }
    const payload =
      this.family === 'openai'
        ? { ...request.document, model: this.model.backend.upstreamName(this.name) }
        : request.document;
    return { run: (dispatch) => this.run(request, path, payload, dispatch) };
  }

  /** An Open Inference server's own metadata; an OpenAI-compatible server has none to forward. */
  async metadata(context: ProbeContext): Promise<Answer> {
    if (this.family === 'openai') {
      const document = { name: this.name, versions: [this.version], platform: this.owner };
      return { kind: 'document', status: 200, document, provenance: this.provenance(performance.now()) };
    }
    const upstream = await this.model.backend.get(this.upstreamPath(''), context.signal, context.requestId);
    if (upstream.statusCode >= 400) return this.rejection(upstream);
    const document = await readJsonAnswer(upstream, 'name', this.name);
    return { kind: 'document', status: upstream.statusCode, document, provenance: this.provenance(upstream.startedAt) };
  }

  /**
   * Servers differ in the body (Triton sends none; KServe `{"ready": true}`), so the status
   * decides, and a JSON `"ready": false` too; an upstream that cannot be reached is not ready.
   * An OpenAI-compatible server has no readiness route: its model is ready while its backend
   * has a replica to send to, which the request itself finds out.
   */
  async probeReady(context: ProbeContext): Promise<Readiness> {
    if (this.family === 'openai') return { ready: true, version: this.version };
    // An Open Inference server chooses the version itself unless the request named one.
    const version = this.pinned;
    try {
      const upstream = await this.model.backend.get(this.upstreamPath('/ready'), context.signal, context.requestId);
      const text = (await readAll(upstream, MAX_READY_BYTES).catch(() => Buffer.alloc(0))).toString('utf8');
      upstream.settle(true);
      return { ready: upstream.statusCode < 300 && parseJsonObject(text)?.ready !== false, version };
    } catch (error) {
      // Failures that mean "the upstream cannot say" are not ready, not an error.
      const unknown =
        error instanceof SluiceError && (isUpstreamUnavailable(error.code) || error.code === 'ERR_UPSTREAM_TIMEOUT');
      if (!unknown) throw error;
      context.log.info({ model: this.name, code: error.code }, error.message);
      return { ready: false, version };
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
          ? 'OpenAI-compatible requests only (use /v1/chat/completions, /v1/completions or /v1/embeddings)'
          : `Open Inference requests only (use /v2/models/${this.name}/infer)`;
      throw new SluiceError(
        'ERR_MODEL_UNSUPPORTED_OPERATION',
        `model "${this.name}" is served by a ${dialect} backend; it takes ${served}`,
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
    const upstream = await this.model.backend.open(path, payload, dispatch.signal, dispatch.requestId, {
      streaming: request.stream,
      ticket: dispatch.ticket,
    });
    if (upstream.statusCode >= 400) return this.rejection(upstream);
    const call: MeasuredCall = {
      metrics: this.metrics,
      log: dispatch.log,
      model: this.name,
      path,
      body: request.document,
    };
    if (request.stream) return this.stream(call, upstream, dispatch.receivedAt);
    const document = await readJsonAnswer(upstream, this.family === 'openai' ? 'model' : 'model_name', this.name);
    const provenance = this.provenance(upstream.startedAt, document['model_version']);
    if (this.family === 'openai' && upstream.statusCode < 300) {
      measureAnswer(call, document, (performance.now() - dispatch.receivedAt) / 1000);
    }
    return { kind: 'document', status: upstream.statusCode, document, provenance };
  }

  private stream(call: MeasuredCall, upstream: UpstreamResponse, receivedAt: number): Answer {
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
      provenance: this.provenance(upstream.startedAt),
      discard: () => {
        discardBody(upstream.body);
        upstream.settle(true);
      },
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
        const { tokens, finishReasons, failure } = outcome;
        const completionTokens = tokens.upstreamCompletion ?? tokens.counted;
        const summary = { promptTokens: tokens.upstreamPrompt, completionTokens, finishReasons, failure };
        return { completed: outcome.completed, clientGone: outcome.clientGone, summary };
      },
    };
  }

  private async rejection(upstream: UpstreamResponse): Promise<Answer> {
    const { text, failure, retryAfter } = await readRejection(upstream);
    const provenance = this.provenance(upstream.startedAt);
    return { kind: 'rejection', status: upstream.statusCode, text, failure, retryAfter, provenance };
  }

  /**
   * An Open Inference upstream says which version answered; otherwise the one configured or
   * pinned. The upstream's time runs from the answering attempt's send (not the wait for a
   * slot, nor failed attempts) to its answer read, or, for a stream, to its headers.
   */
  private provenance(started: number, reportedVersion?: unknown): Provenance {
    const version = typeof reportedVersion === 'string' && reportedVersion !== '' ? reportedVersion : this.version;
    return { model: this.name, version, route: 'direct', engineMs: performance.now() - started };
  }
}
