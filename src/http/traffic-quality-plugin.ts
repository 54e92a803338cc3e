/**
 * Traffic quality on the HTTP edge: the monitors of remote models' tokens, finish reasons
 * and errors, and of every declared input segment (src/quality/traffic-monitors.ts); the
 * segments' counters and latency histograms in /metrics (a remote model's reference is
 * pinned through reference-plugin.ts, and read back from the state store at start and as
 * windows close by `loadPins`). Drift of remote models goes to the same
 * gauges and log lines as local models' (`onWindowClosed` from quality-plugin.ts).
 */
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { RemoteModels } from '../engines/remote/remote-models.ts';
import { LATENCY_BUCKETS_SECONDS } from '../observe/metrics.ts';
import type { QualityMonitorOptions } from '../quality/quality-monitor.ts';
import type { ReferenceKeeper } from '../quality/remote/pinned-reference.ts';
import { StoredPins, type PinEvent } from '../quality/remote/stored-pins.ts';
import type { SegmentSeries } from '../quality/segments/segment-tracker.ts';
import { TrafficMonitors } from '../quality/traffic-monitors.ts';

export function createTrafficMonitors(
  config: Readonly<Config>,
  remote: RemoteModels,
  registry: Registry,
  onWindowClosed: QualityMonitorOptions['onWindowClosed'],
): TrafficMonitors {
  const requests = new Counter({
    name: 'sluice_quality_segment_requests_total',
    help: 'Requests by declared input segment and value, answered (ok) or not (error: any 4xx or 5xx, refusals included).',
    labelNames: ['model', 'segment', 'value', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sluice_quality_segment_duration_seconds',
    help: 'Time of an answered request, from arrival to its answer (a stream: to its end), by input segment and value.',
    labelNames: ['model', 'segment', 'value'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  // A value's series are made once, when the segment first names it; a request then costs two updates.
  const series = (model: string, segment: string, value: string): SegmentSeries => {
    const ok = requests.labels({ model, segment, value, outcome: 'ok' });
    const error = requests.labels({ model, segment, value, outcome: 'error' });
    const latency = duration.labels({ model, segment, value });
    // Both outcomes exported from the start, so an error ratio over them is defined before the first error.
    ok.inc(0);
    error.inc(0);
    return {
      record: (answered, seconds) => {
        (answered ? ok : error).inc();
        if (seconds !== undefined) latency.observe(seconds);
      },
    };
  };
  const openai = remote.all().filter((model) => model.dialect === 'openai');
  return new TrafficMonitors({
    windowItems: config.quality.window_items,
    samplePerSecond: config.quality.sample_per_second,
    windowMs: config.quality.window_seconds * 1000,
    vocabularySize: config.quality.vocabulary_size,
    now: Date.now,
    ...(onWindowClosed === undefined ? {} : { onWindowClosed }),
    remote: openai.map((model) => ({ name: model.name, version: model.version })),
    segments: config.quality.segments,
    series,
  });
}

/**
 * Remote models' references pinned before this start, read from the store, and read again as
 * windows close (pins made on other replicas); the reads are logged. Close the result at
 * shutdown.
 */
export async function loadPins(
  traffic: TrafficMonitors,
  store: ReferenceKeeper,
  logger: Logger,
  now: () => number,
): Promise<StoredPins> {
  const pins = new StoredPins(store, { now, onEvent: (event) => logPinEvent(logger, event) });
  const loaded = await pins.load(traffic.remoteMonitors());
  if (loaded > 0) logger.info({ loaded }, "data quality: remote models' pinned references read from the state store");
  return pins;
}

function logPinEvent(logger: Logger, event: PinEvent): void {
  const { model } = event;
  const of = `data quality: the pinned reference of ${model}`;
  switch (event.kind) {
    case 'unreadable':
      return logger.warn({ err: event.error, model }, `${of} cannot be read; it is skipped`);
    case 'retrying':
      return logger.warn(
        { err: event.error, model, retry_in_ms: event.inMs },
        `${of}: the state store failed; read again in ${event.inMs} ms, the first window held untested until then`,
      );
    case 'gave_up':
      return logger.error(
        { err: event.error, model, attempts: event.attempts },
        `${of}: the state store failed ${event.attempts} reads; the first window closed is the reference`,
      );
    case 'refresh_failed':
      return logger.warn({ err: event.error, model }, `${of}: the state store failed; read again at a later window`);
    case 'taken':
      return logger.info({ model, reference: event.reference }, `${of}: a pin made on another replica is in force`);
  }
}
