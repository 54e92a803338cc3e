/**
 * Errors and latencies of one model by input segment. Each request counts once in each
 * declared segment, under its value there: as answered or as an error (any 4xx or 5xx,
 * refusals heard by the observe slot included), and, when answered, with its latency.
 * Counts and a KLL sketch of latencies are kept per value in windows that close like the
 * model's data quality windows (`window_items` requests or `window_seconds`); the report
 * reads the last closed window, or the open one while none has closed. Metrics see every
 * request (`SegmentSeries`).
 *
 * Values come from clients, so each segment names at most MAX_SEGMENT_VALUES values (the
 * first seen, for the process's life, so metric series stay bounded); others share "(other)".
 */
import { QuantileSketch } from '../sketches/quantile-sketch.ts';
import type { SegmentReader, SegmentSource } from './segment-value.ts';

export const MAX_SEGMENT_VALUES = 32;
export const OTHER_VALUE = '(other)';

/** Where one segment value's requests are exported (the metrics), made once per value. */
export interface SegmentSeries {
  /** `seconds` is undefined for an error. */
  record(ok: boolean, seconds: number | undefined): void;
}

export interface SegmentTrackerOptions {
  readonly windowItems: number;
  readonly windowMs: number;
  /** Milliseconds since the epoch (Date.now). */
  readonly now: () => number;
  readonly series: (segment: string, value: string) => SegmentSeries;
}

export interface SegmentReport {
  readonly segment: string;
  readonly value: string;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
  /** Over the answered requests; null when none was. */
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
}

interface ValueStats {
  requests: number;
  errors: number;
  readonly latencyMs: QuantileSketch;
}

interface Window {
  readonly start: number;
  requests: number;
  /** Per segment (declaration order): its values' stats. */
  readonly segments: ReadonlyArray<Map<string, ValueStats>>;
}

export class SegmentTracker {
  /** Per segment: the values named so far and their series. */
  private readonly named: ReadonlyArray<Map<string, SegmentSeries>>;
  private current: Window;
  private closed: Window | undefined;

  constructor(
    private readonly segments: ReadonlyArray<{ readonly name: string; readonly read: SegmentReader }>,
    private readonly options: SegmentTrackerOptions,
  ) {
    this.named = segments.map(() => new Map());
    this.current = this.openWindow(options.now());
  }

  /** One request: answered (`ok`, with its latency) or not. */
  record(source: SegmentSource, ok: boolean, latencyMs: number | undefined): void {
    const now = this.options.now();
    if (this.current.requests > 0 && now - this.current.start >= this.options.windowMs) this.roll(now);
    this.segments.forEach((segment, index) => {
      const value = this.admit(index, segment.read(source));
      const series = this.named[index]?.get(value);
      series?.record(ok, ok && latencyMs !== undefined ? latencyMs / 1000 : undefined);
      const values = this.current.segments[index] as Map<string, ValueStats>;
      let stats = values.get(value);
      if (stats === undefined) values.set(value, (stats = { requests: 0, errors: 0, latencyMs: new QuantileSketch() }));
      stats.requests += 1;
      if (!ok) stats.errors += 1;
      else if (latencyMs !== undefined) stats.latencyMs.add(latencyMs);
    });
    this.current.requests += 1;
    if (this.current.requests >= this.options.windowItems) this.roll(now);
  }

  /** Every value of every segment in the last closed window (the open one while none has closed). */
  report(): SegmentReport[] {
    const window = this.closed ?? this.current;
    return this.segments.flatMap((segment, index) =>
      [...(window.segments[index] ?? new Map<string, ValueStats>())].map(([value, stats]) => ({
        segment: segment.name,
        value,
        requests: stats.requests,
        errors: stats.errors,
        error_rate: stats.requests === 0 ? 0 : stats.errors / stats.requests,
        p50_ms: stats.latencyMs.count === 0 ? null : stats.latencyMs.quantile(0.5),
        p99_ms: stats.latencyMs.count === 0 ? null : stats.latencyMs.quantile(0.99),
      })),
    );
  }

  /** The value as it is counted: named if it already is or there is room, else "(other)". */
  private admit(index: number, value: string): string {
    const named = this.named[index] as Map<string, SegmentSeries>;
    if (named.has(value)) return value;
    const counted = named.size < MAX_SEGMENT_VALUES ? value : OTHER_VALUE;
    if (!named.has(counted)) named.set(counted, this.options.series(this.segments[index]?.name ?? '', counted));
    return counted;
  }

  private roll(now: number): void {
    this.closed = this.current;
    this.current = this.openWindow(now);
  }

  private openWindow(start: number): Window {
    return { start, requests: 0, segments: this.segments.map(() => new Map()) };
  }
}
