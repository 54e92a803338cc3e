/**
 * The figures of one many-users run: time to first token and whole-stream time in HDR
 * histograms (µs, 3 significant digits, as latency-recorder.ts), failures by kind, and the
 * most streams open at once. Times are given by the caller, from each user's intended
 * arrival time, so a generator that falls behind is charged for it.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { summarizeHistogram, type LatencySummary } from './latency-recorder.ts';
import { PeakCounter } from './peak-counter.ts';
import type { StreamVerdict } from './sse-events.ts';

export interface StreamUsersSummary {
  readonly users: number;
  /** Users whose request went out (every one, unless the run was cut short). */
  readonly sent: number;
  /** Streams that ended with `[DONE]` after at least one content token. */
  readonly completed: number;
  readonly failed: number;
  /** Why streams failed: `status <n> [code]`, `reset`, `timeout`, `truncated`, `error event <code>`, `no content`, `error <code>`. */
  readonly errors: Readonly<Record<string, number>>;
  /** The most streams open at once: 200 headers received, body not yet ended. */
  readonly peakOpen: number;
  /** Intended arrival to the first content token, for every stream that had one. */
  readonly ttft: LatencySummary;
  /** Intended arrival to the end of the body, completed streams only. */
  readonly duration: LatencySummary;
  /** How late the generator sent each request against its intended time. */
  readonly sendLag: LatencySummary;
  /** From the first intended arrival to the last stream's end. */
  readonly elapsedMs: number;
}

function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

function micros(ms: number): number {
  return Math.max(1, Math.round(ms * 1000));
}

export class StreamRecorder {
  readonly open = new PeakCounter();
  private readonly ttft = newHistogram();
  private readonly duration = newHistogram();
  private readonly lag = newHistogram();
  private readonly errors = new Map<string, number>();
  private sent = 0;
  private completed = 0;

  recordSend(lagMs: number): void {
    this.sent += 1;
    this.lag.recordValue(micros(lagMs));
  }

  recordFirstToken(ms: number): void {
    this.ttft.recordValue(micros(ms));
  }

  recordCompleted(ms: number): void {
    this.completed += 1;
    this.duration.recordValue(micros(ms));
  }

  recordFailure(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  summarize(users: number, elapsedMs: number): StreamUsersSummary {
    const failed = [...this.errors.values()].reduce((sum, count) => sum + count, 0);
    return {
      users,
      sent: this.sent,
      completed: this.completed,
      failed,
      errors: Object.fromEntries([...this.errors].sort(([a], [b]) => a.localeCompare(b))),
      peakOpen: this.open.peak,
      ttft: summarizeHistogram(this.ttft),
      duration: summarizeHistogram(this.duration),
      sendLag: summarizeHistogram(this.lag),
      elapsedMs,
    };
  }
}

/** A non-200 answer: its status, and sluice's error code when it sent one. */
export function statusFailureKind(status: number, errorCode: string | undefined): string {
  return errorCode === undefined ? `status ${status}` : `status ${status} ${errorCode}`;
}

/** A stream whose body ended: undefined when it completed, else why not. */
export function verdictFailureKind(verdict: StreamVerdict): string | undefined {
  if (verdict.kind === 'error event') return `error event ${verdict.code}`;
  if (verdict.kind === 'truncated') return 'truncated';
  return verdict.sawContent ? undefined : 'no content';
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** A client-side failure (undici's or the socket's error code): `reset`, `timeout`, or `error <code>`. */
export function clientFailureKind(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const name = typeof code === 'string' ? code : error.name;
  if (RESET_CODES.has(name)) return 'reset';
  if (TIMEOUT_CODES.has(name)) return 'timeout';
  return `error ${name}`;
}
