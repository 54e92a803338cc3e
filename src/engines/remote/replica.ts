/**
 * One upstream server: a keep-alive undici `Pool` and the counts `stats()` reports.
 * The replica URL is the server's origin plus an optional path prefix; sluice appends
 * the OpenAI path (`/v1/chat/completions`, ...) to it.
 *
 * Health probes go over a connection of their own (Envoy does the same): sent through the
 * pool, a probe would queue behind traffic when every connection is busy, time out, and a
 * replica that is merely at capacity would be taken out as dead.
 */
import { Client, Pool, type Dispatcher } from 'undici';
import type { ProbeResult } from './resilience/active-health.ts';
import { errorCodeOf } from './upstream-errors.ts';

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
  private readonly origin: string;
  private prober: Client | undefined;
  private inFlight = 0;
  private requests = 0;
  private failures = 0;

  constructor(url: string, settings: ReplicaSettings) {
    const parsed = new URL(url);
    this.url = url;
    this.host = parsed.host;
    this.prefix = parsed.pathname.replace(/\/+$/, '');
    this.origin = parsed.origin;
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
    return this.pool.request({
      method: call.method ?? 'POST',
      path: this.prefix + call.path,
      body: call.body,
      headers: call.headers,
      signal: call.signal,
    });
  }

  settle(ok: boolean): void {
    this.inFlight -= 1;
    if (!ok) this.failures += 1;
  }

  stats(): ReplicaStats {
    return { url: this.url, inFlight: this.inFlight, requests: this.requests, failures: this.failures };
  }

  /** GETs `path` (after the prefix); ok on a 2xx within `timeoutMs`. Never rejects. */
  async probe(
    path: string,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ProbeResult> {
    this.prober ??= new Client(this.origin, {
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    try {
      const response = await this.prober.request({
        method: 'GET',
        path: this.prefix + path,
        headers,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      await response.body.dump();
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return ok ? { ok } : { ok, detail: `GET ${path} answered ${response.statusCode}` };
    } catch (error) {
      const code = errorCodeOf(error);
      const timedOut =
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT' ||
        code === 'UND_ERR_CONNECT_TIMEOUT' ||
        (error instanceof Error && error.name === 'TimeoutError');
      return {
        ok: false,
        detail: timedOut
          ? `GET ${path} timed out after ${timeoutMs} ms`
          : `GET ${path} failed (${code ?? (error instanceof Error ? error.message : String(error))})`,
      };
    }
  }

  /** Fails whatever is still in flight (streams end with an error event) and closes the connections. */
  async close(): Promise<void> {
    await Promise.all([this.pool.destroy(), this.prober?.destroy()]);
  }
}
