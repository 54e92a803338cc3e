/**
 * Latencies of one load run, one HDR histogram per outcome class, and the run's
 * summary: percentiles, counts, offered rate, throughput and goodput.
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** `ok` 2xx, `shed` 429, `timeout` 504, `error` any other status or a network or client failure. */
export type Outcome = 'ok' | 'shed' | 'timeout' | 'error';
export const OUTCOMES: readonly Outcome[] = ['ok', 'shed', 'timeout', 'error'];

export function outcomeOfStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'shed';
  if (status === 504) return 'timeout';
  return 'error';
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface RunSummary {
  readonly mode: 'open-loop' | 'closed-loop';
  /** The window during which load was offered. */
  readonly durationS: number;
  /** From the start to the last answer (or client give-up); at least `durationS`. */
  readonly elapsedS: number;
  /** Arrivals scheduled per second of `durationS`, including those dropped by the client (open loop); requests sent per second (closed loop). */
  readonly offeredRate: number;
  readonly scheduled: number;
  readonly sent: number;
  /** Arrivals not sent because the client already had its cap of requests outstanding. */
  readonly droppedByClient: number;
  readonly completed: number;
  /** Answers of any class per second of `elapsedS`. */
  readonly throughput: number;
  /** 2xx answers, whatever their latency, per second of `elapsedS`. */
  readonly okThroughput: number;
  /** 2xx answers within `sloMs` of their intended send time, per second of `durationS`. */
  readonly goodput: number;
  readonly okWithinSlo: number;
  readonly sloMs: number;
  readonly outcomes: Readonly<Record<Outcome, LatencySummary>>;
  /** Why non-2xx requests failed: `x-sluice-error-code`, `status <n>`, or the client error's code. */
  readonly failureKinds: Readonly<Record<string, number>>;
  /** How late the generator itself sent requests, against their intended times: large values mean the client, not the server, was the bottleneck. */
  readonly sendLag: LatencySummary;
}

/** Microsecond resolution, up to an hour, 3 significant digits: 0.1 % relative error at worst. */
function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

function toMicros(ms: number): number {
  return Math.max(1, Math.round(ms * 1000));
}

export function summarizeHistogram(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  const at = (percentile: number) => (count === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000);
  return {
    count,
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: count === 0 ? 0 : histogram.maxValue / 1000,
    meanMs: count === 0 ? 0 : histogram.mean / 1000,
  };
}

export interface RunWindow {
  readonly mode: RunSummary['mode'];
  readonly durationMs: number;
  readonly elapsedMs: number;
  /** Open loop: arrivals in the schedule; closed loop: requests sent. */
  readonly scheduled: number;
}

export class LatencyRecorder {
  private readonly histograms: Readonly<Record<Outcome, Histogram>> = {
    ok: newHistogram(),
    shed: newHistogram(),
    timeout: newHistogram(),
    error: newHistogram(),
  };
  private readonly lag = newHistogram();
  private readonly failures = new Map<string, number>();
  private okWithinSlo = 0;
  private sent = 0;
  private dropped = 0;

  constructor(readonly sloMs: number) {
    if (!(sloMs > 0)) throw new RangeError(`the SLO must be a positive number of ms, got ${sloMs}`);
  }

  /** A request went out `lagMs` after its intended send time. */
  recordSend(lagMs: number): void {
    this.sent += 1;
    this.lag.recordValue(toMicros(lagMs));
  }

  recordDrop(): void {
    this.dropped += 1;
  }

  /** `latencyMs` runs from the intended send time to the end of the answer; `failureKind` says why a non-2xx failed. */
  record(outcome: Outcome, latencyMs: number, failureKind?: string): void {
    this.histograms[outcome].recordValue(toMicros(latencyMs));
    if (outcome === 'ok' && latencyMs <= this.sloMs) this.okWithinSlo += 1;
    if (outcome !== 'ok') {
      const kind = failureKind ?? outcome;
      this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
    }
  }

  summarize(window: RunWindow): RunSummary {
    const outcomes = Object.fromEntries(
      OUTCOMES.map((outcome) => [outcome, summarizeHistogram(this.histograms[outcome])]),
    ) as Record<Outcome, LatencySummary>;
    const completed = OUTCOMES.reduce((sum, outcome) => sum + outcomes[outcome].count, 0);
    const durationS = window.durationMs / 1000;
    const elapsedS = Math.max(window.elapsedMs, window.durationMs) / 1000;
    return {
      mode: window.mode,
      durationS,
      elapsedS,
      offeredRate: window.scheduled / durationS,
      scheduled: window.scheduled,
      sent: this.sent,
      droppedByClient: this.dropped,
      completed,
      throughput: completed / elapsedS,
      okThroughput: outcomes.ok.count / elapsedS,
      goodput: this.okWithinSlo / durationS,
      okWithinSlo: this.okWithinSlo,
      sloMs: this.sloMs,
      outcomes,
      failureKinds: Object.fromEntries([...this.failures].sort(([a], [b]) => a.localeCompare(b))),
      sendLag: summarizeHistogram(this.lag),
    };
  }
}
