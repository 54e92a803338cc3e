/**
 * The request pipeline: validate → route → admit → batch → execute → observe (see
 * docs/lifecycle.md). The cache stage slots in before route in a later milestone; a
 * stage a model does not use costs nothing because it is simply not in the chain.
 */
import { performance } from 'node:perf_hooks';
import { SluiceError, toSluiceError } from '../core/errors.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { ModelRegistry } from '../engines/local/models/registry.ts';
import { makeTicket } from './admit.ts';
import type { CompletedContext, RequestContext } from './context.ts';

export interface PipelineOptions {
  /** Off: no deadlines, one priority level (the overload benchmark's naive baseline). */
  readonly loadControl: boolean;
  /** True once shutdown began: new requests are refused while accepted ones finish. */
  readonly draining: () => boolean;
}

export class InferencePipeline {
  constructor(
    private readonly models: ModelRegistry,
    private readonly metrics: Metrics,
    private readonly options: PipelineOptions,
  ) {}

  async run(context: RequestContext): Promise<CompletedContext> {
    try {
      await this.validate(context);
      this.route(context);
      this.admit(context);
      await this.batch(context);
      this.observe(context);
      return context as CompletedContext;
    } catch (error) {
      throw toSluiceError(error);
    }
  }

  /** Resolves the model version named by the request, decodes its items and turns them into rows. */
  private async validate(context: RequestContext): Promise<void> {
    const { request } = context;
    const model = this.models.resolve(request.model, request.version);
    context.model = model;
    context.rows = await model.prepare(request.decode(model.spec), request.itemLabel);
  }

  /** Only warmed-up versions take traffic; later milestones pick canaries and cascades here. */
  private route(context: RequestContext): void {
    if (this.options.draining())
      throw new SluiceError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down and accepts no new requests');
    const model = context.model;
    if (model === undefined || !model.ready) {
      throw new SluiceError(
        'ERR_MODEL_NOT_READY',
        `model "${context.request.model}" is not ready yet (${model?.state ?? 'unknown'})`,
      );
    }
  }

  /** Settles the request's priority, tenant share and deadline; the batcher admits or sheds on them. */
  private admit(context: RequestContext): void {
    const model = context.model;
    if (model === undefined) throw new Error('admit stage reached before validate');
    context.ticket = makeTicket(
      model.spec.scheduling,
      context.tenant,
      context.request.limits,
      performance.now(),
      this.options.loadControl,
    );
  }

  /** Hands the rows to the model's batcher; the execute stage runs inside it, one batch at a time. */
  private async batch(context: RequestContext): Promise<void> {
    const { model, rows, ticket } = context;
    if (model === undefined || rows === undefined || ticket === undefined)
      throw new Error('batch stage reached before admit');
    const labels = { model: model.spec.name, version: model.spec.version, protocol: context.protocol };
    this.metrics.inFlight.inc(labels);
    try {
      const results = await model.infer(rows, ticket);
      context.outputs = results.map((result) => result.outputs);
      context.batchSizes = results.map((result) => result.batchSize);
      for (const result of results) {
        context.timings.queueMs = Math.max(context.timings.queueMs, result.queueMs);
        context.timings.inferenceMs = Math.max(context.timings.inferenceMs, result.inferenceMs);
        this.metrics.queueDuration.observe(
          { model: labels.model, version: labels.version, priority: String(ticket.priority) },
          result.queueMs / 1000,
        );
      }
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw new SluiceError(
        'ERR_INFERENCE_FAILED',
        `model "${model.spec.name}" failed to run: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      this.metrics.inFlight.dec(labels);
    }
  }

  /** Per-item queue time was recorded as it came; requests are counted when their response is sent. */
  private observe(context: RequestContext): void {
    context.timings.totalMs = performance.now() - context.receivedAt;
  }
}
