/**
 * The HTTP side of a load run: keep-alive HTTP/1.1 connections on `node:net`, one request
 * in flight on each, with request bytes built once per request spec and answers read only
 * as far as their status. The generator shares the machine with the server, so every
 * microsecond it spends is taken from what is measured: an undici Pool with a bare
 * dispatch handler cost about three times as much per request and saturated its core
 * near 30k requests/s, so overload rows measured the generator.
 *
 *   send(spec) ─► idle connection? ─yes─► write the spec's bytes ─► answer ─► next waiting
 *                      │no                                                   or back to idle
 *                      ├► fewer than `connections` open: open one
 *                      └► else wait (FIFO) for one: the queue the server cannot see
 */
import { Fifo } from '../../src/engines/local/batching/fifo.ts';
import { Http1Connection, type ExchangeResult } from './http1-connection.ts';
import { outcomeOfStatus, type Outcome } from './latency-recorder.ts';

export interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised once up front, so the generator spends no time on JSON during the run; bytes for a binary body. */
  readonly body?: string | Uint8Array;
}

/** Request `index` of a run; called on the send path, so it should only pick, not build. */
export type RequestSource = (index: number) => RequestSpec;

export interface Answer {
  readonly outcome: Outcome;
  /** Why a non-2xx failed: the `x-sluice-error-code` header, `status <n>`, or the client's error. */
  readonly failureKind: string | undefined;
}

/** Sends one request and says how it ended: the HTTP client here, or another transport's (grpc-target.ts). */
export interface Sender<Spec> {
  send(spec: Spec): Promise<Answer>;
}

export interface LoadClientOptions {
  /**
   * One request in flight per connection (no pipelining). Past this many outstanding
   * requests the client holds them until a connection is free, where the server cannot see them: an
   * overloaded server then never sees its overload. 256 by default.
   */
  readonly connections?: number;
  /** A request not answered this long after it was handed to the client ends as `client timeout`. */
  readonly requestTimeoutMs?: number;
  /**
   * Sent once on every connection `warm` opens, before it is used. Node's HTTP server
   * takes a connection that has never carried a request for one whose headers are late:
   * after `headersTimeout` (60 s) it answers 408 and closes it, so warm connections a run
   * leaves unused for a minute would fail the request that finally takes them. One that
   * has carried a request is an idle keep-alive connection, closed quietly after the
   * server's keep-alive timeout instead. None by default.
   */
  readonly greeting?: RequestSpec;
  /**
   * Reuse the connection idle longest instead of the one used last, so requests go round
   * every open connection as many independent users, each on a connection of its own,
   * would send them. Off by default: a warm set of connections stays busy, the rest idle.
   * Meant for tens of connections (taking the oldest shifts the idle list).
   */
  readonly spread?: boolean;
}

interface Pending {
  readonly deadline: number;
  readonly request: Buffer;
  connection: Http1Connection | undefined;
  finish(answer: Answer): void;
}

const CLIENT_TIMEOUT: Answer = { outcome: 'error', failureKind: 'client timeout' };
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class LoadClient implements Sender<RequestSpec> {
  readonly connections: number;
  readonly requestTimeoutMs: number;
  private readonly greeting: RequestSpec | undefined;
  private readonly spread: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly open = new Set<Http1Connection>();
  /** Most recently used last: reuse keeps a warm set of connections busy. */
  private readonly idle: Http1Connection[] = [];
  private readonly waiting = new Fifo<Pending>();
  /** In send order, which is deadline order, so a sweep stops at the first one not yet due. */
  private readonly pending = new Set<Pending>();
  private readonly requestBytes = new WeakMap<RequestSpec, Buffer>();
  private readonly sweeper: NodeJS.Timeout;
  private closing = false;

  constructor(origin: string, options: LoadClientOptions = {}) {
    const url = new URL(origin);
    if (!LOOPBACK.has(url.hostname)) throw new Error(`load goes to loopback only, not ${url.hostname}`);
    this.host = url.hostname === '[::1]' ? '::1' : url.hostname;
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
    this.connections = options.connections ?? 256;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.greeting = options.greeting;
    this.spread = options.spread ?? false;
    this.sweeper = setInterval(() => this.expire(), Math.min(100, Math.max(5, this.requestTimeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Requests handed to the client and not answered yet, including those waiting for a connection. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.open.size;
  }

  /**
   * Opens connections until `count` are open (at most `connections`), so that a run starts
   * with the connections its users would hold rather than opening them under load.
   * Resolves with how many are open once every new one has connected or failed.
   */
  async warm(count = this.connections): Promise<number> {
    const opening: Promise<void>[] = [];
    while (this.open.size < Math.min(count, this.connections)) {
      const connection = this.connect();
      if (this.greeting === undefined) {
        this.idle.push(connection);
        opening.push(connection.ready);
      } else {
        opening.push(this.greet(connection, this.bytesOf(this.greeting)));
      }
    }
    await Promise.all(opening);
    return this.open.size;
  }

  /** Never rejects: a network failure or client timeout is an `error` answer. */
  send(spec: RequestSpec): Promise<Answer> {
    return new Promise((resolve) => {
      const pending: Pending = {
        deadline: performance.now() + this.requestTimeoutMs,
        request: this.bytesOf(spec),
        connection: undefined,
        finish: (answer) => {
          if (!this.pending.delete(pending)) return;
          resolve(answer);
        },
      };
      this.pending.add(pending);
      const connection = this.takeConnection();
      if (connection === undefined) this.waiting.push(pending);
      else this.dispatch(connection, pending);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    this.expire(Infinity);
    const closed = [...this.open].map((connection) => {
      connection.destroy(new Error('client closed'));
      return connection.ready;
    });
    await Promise.all(closed);
  }

  /** Idle once the greeting is answered; a connection that failed closes and is forgotten. */
  private greet(connection: Http1Connection, greeting: Buffer): Promise<void> {
    return new Promise((resolve) =>
      connection.exchange(greeting, () => {
        if (!connection.closed) this.idle.push(connection);
        resolve();
      }),
    );
  }

  private takeConnection(): Http1Connection | undefined {
    while (this.idle.length > 0) {
      const connection = this.spread ? this.idle.shift() : this.idle.pop();
      if (connection !== undefined && !connection.closed) return connection;
    }
    return this.open.size < this.connections && !this.closing ? this.connect() : undefined;
  }

  private connect(): Http1Connection {
    const connection = new Http1Connection(this.host, this.port, (closed) => this.forget(closed));
    this.open.add(connection);
    return connection;
  }

  private dispatch(connection: Http1Connection, pending: Pending): void {
    pending.connection = connection;
    connection.exchange(pending.request, (result) => this.answered(connection, pending, result));
  }

  private answered(connection: Http1Connection, pending: Pending, result: ExchangeResult): void {
    pending.finish(
      'head' in result
        ? answerOf(result.head.status, result.head.errorCode)
        : { outcome: 'error', failureKind: clientFailureKind(result.error) },
    );
    if (connection.closed) return; // forget() hands its waiting work to a new connection
    const next = this.nextWaiting();
    if (next === undefined) this.idle.push(connection);
    else this.dispatch(connection, next);
  }

  /** A connection closed: the next waiting request gets a new one in its place. */
  private forget(connection: Http1Connection): void {
    this.open.delete(connection);
    if (this.closing || this.waiting.length === 0) return;
    const next = this.nextWaiting();
    if (next !== undefined) this.dispatch(this.connect(), next);
  }

  private nextWaiting(): Pending | undefined {
    for (let next = this.waiting.shift(); next !== undefined; next = this.waiting.shift()) {
      // Expired while waiting: never sent.
      if (this.pending.has(next)) return next;
    }
    return undefined;
  }

  private bytesOf(spec: RequestSpec): Buffer {
    let bytes = this.requestBytes.get(spec);
    if (bytes === undefined) {
      bytes = requestBytes(spec, this.hostHeader);
      this.requestBytes.set(spec, bytes);
    }
    return bytes;
  }

  private expire(now = performance.now()): void {
    for (const pending of this.pending) {
      if (pending.deadline > now) return;
      pending.finish(CLIENT_TIMEOUT);
      pending.connection?.destroy(new Error('client timeout'));
    }
  }
}

function requestBytes(spec: RequestSpec, host: string): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers: Record<string, string> = { host, 'content-type': 'application/json', ...spec.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  const head = `${spec.method} ${spec.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return body === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function answerOf(status: number, errorCode: string | undefined): Answer {
  const outcome = outcomeOfStatus(status);
  return { outcome, failureKind: outcome === 'ok' ? undefined : (errorCode ?? `status ${status}`) };
}

function clientFailureKind(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}
