/**
 * One upstream server: a keep-alive undici `Pool` and the counts `stats()` reports.
 * The replica URL is the server's origin plus an optional path prefix; sluice appends
 * the OpenAI path (`/v1/chat/completions`, ...) to it.
 */
import { Pool, type Dispatcher } from 'undici';

export interface ReplicaSettings {
  readonly connections: number;
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

export interface ReplicaStats {
  readonly url: string;
  /** Attempts sent and not yet settled (their body may still be streaming). */
  readonly inFlight: number;
  readonly requests: number;
  /** Connection errors, timeouts, 5xx and bad answers. */
  readonly failures: number;
}

export interface UpstreamCall {
  /** Default POST; a GET (KServe v2 metadata and readiness) has no body. */
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly headers: Record<string, string>;
  readonly signal: AbortSignal;
}

export class Replica {
  readonly url: string;
  /** For metric labels: host and port, never credentials or paths. */
  readonly host: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  private inFlight = 0;
  private requests = 0;
  private failures = 0;

  constructor(url: string, settings: ReplicaSettings) {
    const parsed = new URL(url);
    this.url = url;
    this.host = parsed.host;
    this.prefix = parsed.pathname.replace(/\/+$/, '');
    this.pool = new Pool(parsed.origin, {
      connections: settings.connections,
      connectTimeout: settings.connectMs,
      headersTimeout: settings.headersMs,
      bodyTimeout: settings.bodyMs,
    });
  }

  /** Sends one request; the caller must `settle` it exactly once when it is over. */
  send(call: UpstreamCall): Promise<Dispatcher.ResponseData> {
    this.inFlight += 1;
    this.requests += 1;
    return this.pool.request({ method: call.method ?? 'POST', path: this.prefix + call.path, body: call.body, headers: call.headers, signal: call.signal });
  }

  settle(ok: boolean): void {
    this.inFlight -= 1;
    if (!ok) this.failures += 1;
  }

  stats(): ReplicaStats {
    return { url: this.url, inFlight: this.inFlight, requests: this.requests, failures: this.failures };
  }

  /** Fails whatever is still in flight (streams end with an error event) and closes the connections. */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}
