/**
 * The HTTP side of a load run: requests dispatched through an undici Pool with a bare
 * handler (no response streams, no timer per request: the generator shares the machine
 * with the server, so every microsecond it spends is taken from what is measured).
 */
import { Pool, type Dispatcher } from 'undici';
import { outcomeOfStatus, type Outcome } from './latency-recorder.ts';

export interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised once up front, so the generator spends no time on JSON during the run. */
  readonly body?: string;
}

/** Request `index` of a run; called on the send path, so it should only pick, not build. */
export type RequestSource = (index: number) => RequestSpec;

export interface Answer {
  readonly outcome: Outcome;
  /** Why a non-2xx failed: the `x-sluice-error-code` header, `status <n>`, or the client's error. */
  readonly failureKind: string | undefined;
}

export interface LoadClientOptions {
  /**
   * One request in flight per connection (no pipelining). Past this many outstanding
   * requests undici queues them in the client, where the server cannot see them: an
   * overloaded server then never sees its overload. 256 by default.
   */
  readonly connections?: number;
  /** A request not answered this long after it was handed to the client ends as `client timeout`. */
  readonly requestTimeoutMs?: number;
}

interface Pending {
  readonly deadline: number;
  controller: Dispatcher.DispatchController | undefined;
  finish(answer: Answer): void;
}

const CLIENT_TIMEOUT: Answer = { outcome: 'error', failureKind: 'client timeout' };

export class LoadClient {
  readonly connections: number;
  readonly requestTimeoutMs: number;
  private readonly pool: Pool;
  /** In send order, which is deadline order, so a sweep stops at the first one not yet due. */
  private readonly pending = new Set<Pending>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(origin: string, options: LoadClientOptions = {}) {
    const { hostname } = new URL(origin);
    if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '[::1]') throw new Error(`load goes to loopback only, not ${hostname}`);
    this.connections = options.connections ?? 256;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.pool = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000 });
    this.sweeper = setInterval(() => this.expire(), Math.min(100, Math.max(5, this.requestTimeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Requests handed to the client and not answered yet, including those queued for a connection. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Never rejects: a network failure or client timeout is an `error` answer. */
  send(spec: RequestSpec): Promise<Answer> {
    return new Promise((resolve) => {
      let status = 0;
      let errorCode: string | undefined;
      const pending: Pending = {
        deadline: performance.now() + this.requestTimeoutMs,
        controller: undefined,
        finish: (answer) => {
          if (!this.pending.delete(pending)) return;
          resolve(answer);
        },
      };
      this.pending.add(pending);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (controller) => {
          pending.controller = controller;
          // Expired while queued for a connection: never send it.
          if (!this.pending.has(pending)) controller.abort(new Error('client timeout'));
        },
        onResponseStart: (_controller, statusCode, headers) => {
          status = statusCode;
          const code = headers['x-sluice-error-code'];
          errorCode = typeof code === 'string' ? code : undefined;
        },
        onResponseData: () => {},
        onResponseEnd: () => pending.finish(answerOf(status, errorCode)),
        onResponseError: (_controller, error) => pending.finish({ outcome: 'error', failureKind: clientFailureKind(error) }),
      };
      this.pool.dispatch({ method: spec.method, path: spec.path, headers: { 'content-type': 'application/json', ...spec.headers }, body: spec.body ?? null }, handler);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.expire(Infinity);
    await this.pool.destroy();
  }

  private expire(now = performance.now()): void {
    for (const pending of this.pending) {
      if (pending.deadline > now) return;
      pending.finish(CLIENT_TIMEOUT);
      pending.controller?.abort(new Error('client timeout'));
    }
  }
}

function answerOf(status: number, errorCode: string | undefined): Answer {
  const outcome = outcomeOfStatus(status);
  return { outcome, failureKind: outcome === 'ok' ? undefined : (errorCode ?? `status ${status}`) };
}

function clientFailureKind(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}
