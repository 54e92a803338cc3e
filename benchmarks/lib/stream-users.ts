/**
 * Many users, each holding one streaming request open: N users arrive evenly spaced over
 * a short ramp, each sends one `POST` with `stream: true` on a connection of its own and
 * reads the server-sent events to `[DONE]`. What it measures is holding many streams, not
 * a thundering herd: the ramp spreads the connects, and the streams outlast the ramp.
 *
 *   ramp ─┬─┬─┬─┬─┬─►  user i due at i × ramp / N (its intended arrival)
 *         ▼ ▼ ▼ ▼ ▼
 *   Pool (N connections) ─► 200 headers: open ─► first content: TTFT ─► [DONE]: duration
 *                                        └─► status, reset, timeout, truncated: a failure
 *
 * Times run from the intended arrival (no coordinated omission: a late generator is
 * charged for being late, and its lateness shows in `sendLag`). Every stream ends by its
 * deadline, so the run ends by `rampMs + streamTimeoutMs` plus a grace.
 */
import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Pool, type Dispatcher } from 'undici';
import { SseStreamReader } from './sse-events.ts';
import {
  clientFailureKind,
  statusFailureKind,
  StreamRecorder,
  verdictFailureKind,
  type StreamUsersSummary,
} from './stream-recorder.ts';

export interface StreamUsersOptions {
  /** A loopback origin. */
  readonly origin: string;
  readonly users: number;
  /** Users arrive evenly spaced over this many ms. */
  readonly rampMs: number;
  readonly path: string;
  /** User `index`'s request body, serialised (called on the send path: pick, do not build). */
  readonly body: (index: number) => string;
  /** A stream not ended this long after its intended arrival is aborted and counted as `timeout`. */
  readonly streamTimeoutMs: number;
}

/** Sends at most this many overdue users in one turn, so the streams already open keep being read. */
const MAX_SENDS_PER_TURN = 64;
/** Beyond the last deadline, in case a stream ignores its abort (an undici bug, not the server's doing). */
const GRACE_MS = 5_000;
const SWEEP_MS = 100;

interface UserStream {
  readonly intended: number;
  readonly deadline: number;
  controller: Dispatcher.DispatchController | undefined;
  settle(failureKind: string | undefined): void;
}

export async function runStreamUsers(options: StreamUsersOptions): Promise<StreamUsersSummary> {
  const { hostname } = new URL(options.origin);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost')
    throw new Error(`load goes to loopback only, not ${hostname}`);
  if (!(options.users >= 1 && options.rampMs >= 0 && options.streamTimeoutMs > 0))
    throw new RangeError('users ≥ 1, rampMs ≥ 0 and streamTimeoutMs > 0 are needed');
  // One connection per user: a stream holds its connection to the end, so fewer would queue users in the client, out of the server's sight.
  const pool = new Pool(options.origin, {
    connections: options.users,
    pipelining: 1,
    headersTimeout: options.streamTimeoutMs + GRACE_MS,
    bodyTimeout: options.streamTimeoutMs + GRACE_MS,
  });
  const run = new StreamUsersRun(pool, options);
  try {
    return await run.run();
  } finally {
    await pool.destroy();
  }
}

class StreamUsersRun {
  private readonly recorder = new StreamRecorder();
  /** In send order, which is deadline order, so a sweep stops at the first stream not yet due. */
  private readonly live = new Set<UserStream>();
  private readonly streams: Array<Promise<void>> = [];

  constructor(
    private readonly pool: Pool,
    private readonly options: StreamUsersOptions,
  ) {}

  async run(): Promise<StreamUsersSummary> {
    const start = performance.now();
    const sweeper = setInterval(() => this.expire(performance.now()), SWEEP_MS);
    let lastEnd = start;
    try {
      await this.followRamp(start);
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, this.options.streamTimeoutMs + GRACE_MS)),
      );
      await Promise.race([Promise.all(this.streams).then(() => (lastEnd = performance.now())), bound]);
      clearTimeout(timer);
    } finally {
      clearInterval(sweeper);
      this.expire(Infinity);
    }
    return this.recorder.summarize(this.options.users, Math.max(lastEnd, performance.now()) - start);
  }

  /** Sends each user when its time comes; resolves when the last one has been sent. */
  private followRamp(start: number): Promise<void> {
    const { users, rampMs } = this.options;
    return new Promise((resolve) => {
      let next = 0;
      const turn = (): void => {
        const now = performance.now();
        const last = Math.min(users, next + MAX_SENDS_PER_TURN);
        for (; next < last && start + (next * rampMs) / users <= now; next += 1)
          this.send(next, start + (next * rampMs) / users);
        if (next >= users) return resolve();
        const waitMs = start + (next * rampMs) / users - performance.now();
        if (waitMs <= 0) setImmediate(turn);
        else setTimeout(turn, waitMs);
      };
      turn();
    });
  }

  private send(index: number, intended: number): void {
    this.recorder.recordSend(performance.now() - intended);
    this.streams.push(
      new Promise<void>((resolve) => {
        const user: UserStream = {
          intended,
          deadline: intended + this.options.streamTimeoutMs,
          controller: undefined,
          settle: () => {},
        };
        let opened = false;
        user.settle = (failureKind) => {
          if (!this.live.delete(user)) return;
          if (opened) this.recorder.open.leave();
          if (failureKind === undefined) this.recorder.recordCompleted(performance.now() - intended);
          else this.recorder.recordFailure(failureKind);
          resolve();
        };
        this.live.add(user);
        const handler = this.handlerFor(user, () => {
          opened = true;
          this.recorder.open.enter();
        });
        this.pool.dispatch(
          {
            method: 'POST',
            path: this.options.path,
            headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
            body: this.options.body(index),
          },
          handler,
        );
      }),
    );
  }

  private handlerFor(user: UserStream, onOpen: () => void): Dispatcher.DispatchHandler {
    const reader = new SseStreamReader();
    const decoder = new StringDecoder('utf8');
    let status = 0;
    let errorCode: string | undefined;
    return {
      onRequestStart: (controller) => {
        user.controller = controller;
        // Expired while waiting for a connection: never send it.
        if (!this.live.has(user)) controller.abort(new Error('client timeout'));
      },
      onResponseStart: (_controller, statusCode, headers) => {
        status = statusCode;
        const code = headers['x-sluice-error-code'];
        errorCode = typeof code === 'string' ? code : undefined;
        if (statusCode === 200 && this.live.has(user)) onOpen();
      },
      onResponseData: (_controller, chunk) => {
        if (status !== 200 || !this.live.has(user)) return;
        if (reader.push(decoder.write(chunk))) this.recorder.recordFirstToken(performance.now() - user.intended);
      },
      onResponseEnd: () => {
        if (status === 200) reader.push(decoder.end());
        user.settle(status === 200 ? verdictFailureKind(reader.verdict()) : statusFailureKind(status, errorCode));
      },
      onResponseError: (_controller, error) => user.settle(clientFailureKind(error)),
    };
  }

  private expire(now: number): void {
    for (const user of this.live) {
      if (user.deadline > now) return;
      user.settle('timeout');
      user.controller?.abort(new Error('client timeout'));
    }
  }
}

/**
 * The soft limit on open files of this process (children inherit it), from
 * /proc/self/limits; undefined where that cannot be read. Each stream costs the generator
 * one descriptor and a gateway two (client side and upstream), so it bounds N.
 */
export function openFilesLimit(limits = readProcLimits()): number | undefined {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits ?? '');
  if (match?.[1] === undefined) return undefined;
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
