/**
 * Load generators. `runOpenLoop` sends on a schedule fixed in advance and measures each
 * latency from the request's intended send time, so a server that stalls is charged for
 * the whole stall (no coordinated omission) and cannot lower the offered rate.
 * `runClosedLoop` keeps N users each waiting for its answer before sending again: the
 * way to find a server's capacity, and the wrong way to measure latency under load.
 *
 *   schedule  ─┬──┬─┬───┬──┬─►   arrivals at fixed offsets from the start
 *              │  │ │   │  └ outstanding ≥ cap → dropped_by_client (the schedule goes on)
 *              ▼  ▼ ▼   ▼
 *   connections (opened before the run) ─► server ─► answer: latency = answered − intended, into the outcome's histogram
 */
import { arrivalOffsetsMs, type ArrivalProcess } from './arrivals.ts';
import type { LoadClient, RequestSource, RequestSpec, Sender } from './http-target.ts';
import { LatencyRecorder, type RunSummary } from './latency-recorder.ts';

export interface LoadOptions {
  /** Its `requestTimeoutMs` bounds every request, and so the run's drain. */
  readonly client: LoadClient;
  readonly request: RequestSource;
  readonly durationMs: number;
  /** 2xx answers within this many ms of the intended send time count toward goodput. */
  readonly sloMs: number;
}

export interface OpenLoopOptions extends LoadOptions {
  readonly arrivals: ArrivalProcess;
  /**
   * Arrivals due while this many requests are outstanding are dropped by the client, never
   * delayed. The client's connection count by default: more would wait in the client for
   * a connection, a queue the server cannot see.
   */
  readonly maxOutstanding?: number;
}

/** Any transport: the HTTP client and its request specs by default. */
export interface ClosedLoopOptions<Spec = RequestSpec> extends Omit<LoadOptions, 'client' | 'request'> {
  readonly client: Sender<Spec>;
  readonly request: (index: number) => Spec;
  readonly users: number;
  /** A bound on the whole run, whatever the server's speed. */
  readonly maxRequests?: number;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<RunSummary> {
  const offsets = arrivalOffsetsMs(options.arrivals, options.durationMs);
  const recorder = new LatencyRecorder(options.sloMs);
  const inFlight = new Set<Promise<void>>();
  const maxOutstanding = options.maxOutstanding ?? options.client.connections;
  // The run's users already hold their connections: opening thousands under load would
  // measure connection setup, on both sides of the wire, instead of requests.
  await options.client.warm(Math.min(maxOutstanding, options.client.connections));
  const start = performance.now();
  let lastAnswer = start;
  const send = (index: number, intended: number): void => {
    if (inFlight.size >= maxOutstanding) return recorder.recordDrop();
    recorder.recordSend(performance.now() - intended);
    const request = options.client.send(options.request(index)).then((answer) => {
      lastAnswer = performance.now();
      recorder.record(answer.outcome, lastAnswer - intended, answer.failureKind);
      inFlight.delete(request);
    });
    inFlight.add(request);
  };
  await followSchedule(offsets, start, send);
  await drain(inFlight, options.client.requestTimeoutMs);
  return recorder.summarize({
    mode: 'open-loop',
    durationMs: options.durationMs,
    elapsedMs: lastAnswer - start,
    scheduled: offsets.length,
  });
}

/** Sends at most this many overdue arrivals before letting answers be read. */
const MAX_SENDS_PER_TURN = 64;

/**
 * Sends every arrival whose time has come, then sleeps until the next one. A timer that
 * fires late finds several arrivals overdue: they go out at once (in turns of
 * MAX_SENDS_PER_TURN, so answers keep being read), their latency still starts at their
 * intended times, and the lateness shows in the summary's `sendLag`.
 */
function followSchedule(
  offsets: Float64Array,
  start: number,
  send: (index: number, intended: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const turn = (): void => {
      const now = performance.now() - start;
      const last = Math.min(offsets.length, next + MAX_SENDS_PER_TURN);
      while (next < last && (offsets[next] ?? Infinity) <= now) {
        send(next, start + (offsets[next] ?? 0));
        next += 1;
      }
      if (next >= offsets.length) return resolve();
      const waitMs = (offsets[next] ?? 0) - (performance.now() - start);
      if (waitMs <= 0) setImmediate(turn);
      else setTimeout(turn, waitMs);
    };
    turn();
  });
}

/** Every request ends by the client's timeout; the extra bound only guards against a client bug. */
async function drain(inFlight: ReadonlySet<Promise<void>>, requestTimeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, requestTimeoutMs + 5_000);
  });
  await Promise.race([Promise.all([...inFlight]), bound]);
  clearTimeout(timer);
}

export async function runClosedLoop<Spec>(options: ClosedLoopOptions<Spec>): Promise<RunSummary> {
  if (!(options.users >= 1)) throw new RangeError(`a closed loop needs at least one user, got ${options.users}`);
  const recorder = new LatencyRecorder(options.sloMs);
  const maxRequests = options.maxRequests ?? Number.MAX_SAFE_INTEGER;
  const start = performance.now();
  const end = start + options.durationMs;
  let sent = 0;
  let lastAnswer = start;
  const user = async (): Promise<void> => {
    while (performance.now() < end && sent < maxRequests) {
      const index = sent++;
      const intended = performance.now();
      recorder.recordSend(0);
      const answer = await options.client.send(options.request(index));
      lastAnswer = performance.now();
      recorder.record(answer.outcome, lastAnswer - intended, answer.failureKind);
    }
  };
  await Promise.all(Array.from({ length: options.users }, user));
  return recorder.summarize({
    mode: 'closed-loop',
    durationMs: options.durationMs,
    elapsedMs: lastAnswer - start,
    scheduled: sent,
  });
}
