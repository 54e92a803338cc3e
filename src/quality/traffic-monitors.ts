/**
 * Data quality of traffic as a whole, as a stage of the pipeline's observe slot: the token
 * counts, finish reasons and errors of every remote OpenAI-compatible model
 * (remote/remote-monitor.ts), and errors and latencies by input segment for the models
 * that declare segments (segments/). Only those models are watched: any other request
 * costs one map lookup.
 *
 * A stream's usage and finish reasons are known only once it has been relayed, after the
 * pipeline returned, so a watched stream's relay is wrapped: it is observed when it ends,
 * with nothing held but what the relay already tallied on the way.
 */
import { performance } from 'node:perf_hooks';
import { toSluiceError, type SluiceError } from '../core/errors.ts';
import type { PipelineStage } from '../pipeline/pipeline.ts';
import type { RequestContext } from '../pipeline/context.ts';
import type { Item } from '../pipeline/request.ts';
import type { StreamAnswer, StreamEnd } from '../pipeline/target.ts';
import type { ModelRef, QualityReport } from './quality-monitor.ts';
import { promptWords } from './remote/prompt-words.ts';
import { RemoteQualityMonitor, type RemoteMonitorOptions } from './remote/remote-monitor.ts';
import type { SegmentSpec } from './segments/segment-spec.ts';
import { SegmentTracker, type SegmentReport, type SegmentSeries } from './segments/segment-tracker.ts';
import { segmentReader, type SegmentSource } from './segments/segment-value.ts';

export interface TrafficMonitorsOptions extends RemoteMonitorOptions {
  /** The remote OpenAI-compatible models: their tokens, finish reasons and errors are watched. */
  readonly remote: readonly ModelRef[];
  /** `quality.segments`: per model name, its segments. */
  readonly segments: Readonly<Record<string, readonly SegmentSpec[]>>;
  readonly series: (model: string, segment: string, value: string) => SegmentSeries;
}

interface Watched {
  readonly remote: RemoteQualityMonitor | undefined;
  readonly segments: SegmentTracker | undefined;
}

export class TrafficMonitors {
  private readonly watched = new Map<string, Watched>();

  constructor(options: TrafficMonitorsOptions) {
    const remote = new Map(options.remote.map((model) => [model.name, new RemoteQualityMonitor(model, options)]));
    const names = new Set([...remote.keys(), ...Object.keys(options.segments)]);
    for (const name of names) {
      const specs = options.segments[name];
      const segments =
        specs === undefined
          ? undefined
          : new SegmentTracker(
              specs.map((spec) => ({ name: spec.name, read: segmentReader(spec) })),
              { ...options, series: (segment, value) => options.series(name, segment, value) },
            );
      this.watched.set(name, { remote: remote.get(name), segments });
    }
  }

  readonly stage: PipelineStage = {
    name: 'quality-traffic',
    run: (context) => {
      const watched = context.target === undefined ? undefined : this.watched.get(context.target.name);
      if (watched !== undefined) this.answered(watched, context);
    },
    rejected: (context, failure) => {
      const watched = context.target === undefined ? undefined : this.watched.get(context.target.name);
      if (watched === undefined) return;
      watched.remote?.failed(failure.code);
      watched.segments?.record(sourceOf(context, true), false, undefined);
    },
  };

  /** Whether any model is watched: when none is, the stage need not be in the slot at all. */
  get watching(): boolean {
    return this.watched.size > 0;
  }

  /** A remote model's report; undefined when its traffic is not watched. */
  report(name: string): QualityReport | undefined {
    return this.watched.get(name)?.remote?.report();
  }

  /** A model's segments in the last closed window; empty when it declares none. */
  segments(name: string): SegmentReport[] {
    return this.watched.get(name)?.segments?.report() ?? [];
  }

  /** Whether a remote model's traffic (tokens, finish reasons, errors) is watched. */
  watchesRemote(name: string): boolean {
    return this.watched.get(name)?.remote !== undefined;
  }

  /** A remote model's monitor (its reference pinned, read, or loaded at start); undefined when its traffic is not watched. */
  remoteMonitor(name: string): RemoteQualityMonitor | undefined {
    return this.watched.get(name)?.remote;
  }

  /** Every remote model's monitor. */
  remoteMonitors(): RemoteQualityMonitor[] {
    return [...this.watched.values()].flatMap((watched) => (watched.remote === undefined ? [] : [watched.remote]));
  }

  private answered(watched: Watched, context: RequestContext): void {
    const { answer } = context;
    if (answer === undefined) return;
    if (answer.kind === 'stream') {
      context.answer = this.observedStream(watched, context, answer);
      return;
    }
    const remote = this.watched.get(answer.provenance.model)?.remote;
    if (answer.kind === 'document') {
      const usage = answer.document.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
      // An optional call's arguments are not evaluated without a monitor: no other model's prompt is split.
      remote?.answered(
        count(usage?.prompt_tokens),
        count(usage?.completion_tokens),
        answer.document.choices,
        remote.takesPrompt() ? promptWords(context.request.document) : undefined,
      );
    } else if (answer.kind === 'rejection') remote?.failed(`${answer.failure.code}:${answer.status}`);
    const ok = answer.kind !== 'rejection';
    watched.segments?.record(sourceOf(context, false), ok, performance.now() - context.receivedAt);
  }

  /** The stream, observed once relayed; a stream its client left is not counted. */
  private observedStream(watched: Watched, context: RequestContext, stream: StreamAnswer): StreamAnswer {
    const remote = this.watched.get(stream.provenance.model)?.remote;
    const ended = (end: StreamEnd | undefined, failure: SluiceError | undefined) => {
      if (end?.clientGone === true) return;
      const failed = failure ?? end?.summary?.failure;
      const summary = end?.summary;
      if (failed !== undefined) remote?.failed(failed.code);
      else
        remote?.answered(
          summary?.promptTokens,
          summary?.completionTokens,
          summary?.finishReasons,
          remote.takesPrompt() ? promptWords(context.request.document) : undefined,
        );
      const latency = performance.now() - context.receivedAt;
      watched.segments?.record(sourceOf(context, false), failed === undefined, latency);
    };
    return {
      ...stream,
      relay: (sink, control) =>
        stream.relay(sink, control).then(
          (end) => (ended(end, undefined), end),
          (error: unknown) => {
            ended(undefined, toSluiceError(error));
            throw error;
          },
        ),
    };
  }
}

/** What segments read: a local model's items (decoded again for a request refused before they were kept). */
function sourceOf(context: RequestContext, refused: boolean): SegmentSource {
  return {
    items: context.prepared?.items ?? (refused ? decodedItems(context) : undefined),
    document: context.request.document,
    tenant: context.tenant.name,
  };
}

function decodedItems(context: RequestContext): readonly Item[] | undefined {
  const description = context.target?.description;
  if (description === undefined || context.request.items === undefined) return undefined;
  try {
    return context.request.items.decode(description);
  } catch {
    return undefined;
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
