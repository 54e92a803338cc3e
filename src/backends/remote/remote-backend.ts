/**
 * A remote model server (OpenAI or KServe v2 dialect) behind sluice: its replicas, the balancer that
 * picks one per attempt (power of two choices over Peak-EWMA, skipping ejected replicas
 * and open circuits), the model names it serves, and failover within a retry budget.
 * `open` returns once a replica has answered with headers that are not a 5xx; the caller
 * reads the body and settles the attempt.
 *
 *   open ─► pick ─► round (hedged-attempt.ts: the attempt, plus a hedge for a slow unary call)
 *             ▲          ├─► 2xx/4xx ─► UpstreamResponse (caller reads, settles)
 *             │          └─► connection error / 5xx / 429 ─► budget has a retry? ─► backoff ─┐
 *             └──────────────────────────── pick(exclude tried) ◄─────────────────────────────┘
 *   none left, or no retry in the budget ─► the last 429 if there was one, else
 *   502 ERR_UPSTREAM_UNAVAILABLE (503 ERR_UPSTREAM_NO_REPLICA when no replica was ever offered)
 */
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Config } from '../../config/schema.ts';
import { SluiceError } from '../../errors.ts';
import { RoundRobinBalancer, type Balancer, type ReplicaChoice } from '../balancer.ts';
import { HedgePolicy, ResilientBalancer, RetryBudget, type HedgeStats } from '../resilience/index.ts';
import { runRound, type AttemptResult, type HedgePlan } from './hedged-attempt.ts';
import { keepRateLimited, TOO_MANY_REQUESTS } from './rate-limited.ts';
import { Replica, type ReplicaStats, type UpstreamCall } from './replica.ts';
import { classifyFailure, discardBody } from './upstream-errors.ts';

export type BackendConfig = Config['backends'][number];

/** One attempt's result, as metrics see it: an HTTP status, or the kind of failure. */
export interface AttemptEvent {
  readonly backend: string;
  readonly replica: string;
  readonly status: string;
}

export interface RemoteBackendOptions {
  /** Default: P2C over Peak-EWMA with outlier ejection and circuit breakers. */
  readonly balancer?: Balancer;
  /** Default: retries at most 20% of requests (plus 10 a second), with jittered backoff. */
  readonly retryBudget?: RetryBudget;
  /** Where `api_key_env` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onAttempt?: (event: AttemptEvent) => void;
}

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable;
  /** "backend \"x\" replica host:port", for error messages. */
  readonly where: string;
  /** Reports the attempt's outcome to the replica counts and the balancer; only the first call counts. */
  settle(ok: boolean): void;
}

export interface BackendStats {
  readonly name: string;
  readonly replicas: readonly ReplicaStats[];
  readonly retryBudget: ReturnType<RetryBudget['stats']>;
  /** Undefined when the backend's `hedging.enabled` is false. */
  readonly hedging: HedgingStats | undefined;
}

export interface HedgingStats {
  /** Hedges sent (second copies of a slow non-streaming call). */
  readonly sent: number;
  /** Hedges whose answer was used (the first attempt was cancelled). */
  readonly won: number;
  readonly policy: HedgeStats;
}

export interface OpenOptions {
  /** Whether the call streams; default: `payload.stream === true`. Streams are never hedged. */
  readonly streaming?: boolean;
}

interface Hedging {
  readonly policy: HedgePolicy;
  sent: number;
  won: number;
}

/** The first attempt and at most two more (failovers or a hedge), each paid for from the retry or hedge budget. */
const MAX_ATTEMPTS = 3;

export class RemoteBackend {
  readonly name: string;
  private readonly replicas: Replica[];
  private readonly balancer: Balancer;
  private readonly retryBudget: RetryBudget;
  /** sluice model name → the upstream's name for it. */
  private readonly upstreamNames: ReadonlyMap<string, string>;
  private readonly apiKey: string | undefined;
  private readonly onAttempt: (event: AttemptEvent) => void;
  private readonly hedging: Hedging | undefined;

  constructor(config: BackendConfig, options: RemoteBackendOptions = {}) {
    this.name = config.name;
    const settings = { connections: config.connections, connectMs: config.timeouts.connect_ms, headersMs: config.timeouts.headers_ms, bodyMs: config.timeouts.body_ms };
    this.replicas = config.replicas.map((replica) => new Replica(replica.url, settings));
    const weights = config.replicas.map((replica) => replica.weight);
    this.balancer = options.balancer ?? (config.load_balancing === 'round_robin' ? new RoundRobinBalancer(weights) : new ResilientBalancer({ weights }));
    this.retryBudget = options.retryBudget ?? new RetryBudget();
    this.upstreamNames = new Map(config.models.map((model) => [model.name, model.upstream ?? model.name]));
    this.apiKey = config.api_key_env === undefined ? undefined : (options.env ?? process.env)[config.api_key_env];
    this.onAttempt = options.onAttempt ?? (() => {});
    this.hedging = config.hedging.enabled ? { policy: new HedgePolicy({ budgetRatio: config.hedging.budget_ratio }), sent: 0, won: 0 } : undefined;
  }

  modelNames(): string[] {
    return [...this.upstreamNames.keys()];
  }

  upstreamName(model: string): string {
    return this.upstreamNames.get(model) ?? model;
  }

  /**
   * POSTs `payload` to `path` on a replica, failing over on a connection error, a 5xx or a
   * 429 while the retry budget allows; a non-streaming call may also be hedged. Whether the
   * call streams is read from `payload.stream` unless `options.streaming` says.
   */
  async open(path: string, payload: unknown, signal: AbortSignal, requestId: string, options: OpenOptions = {}): Promise<UpstreamResponse> {
    const call: UpstreamCall = { path, body: JSON.stringify(payload), headers: this.requestHeaders(requestId), signal };
    return this.dispatch(call, options.streaming ?? isStreamingPayload(payload));
  }

  /**
   * GETs `path` on a replica (KServe v2 metadata and readiness), with the same failover,
   * retry budget and hedging as a unary `open`.
   */
  async get(path: string, signal: AbortSignal, requestId: string): Promise<UpstreamResponse> {
    return this.dispatch({ method: 'GET', path, headers: this.requestHeaders(requestId, false), signal }, false);
  }

  private async dispatch(call: UpstreamCall, streaming: boolean): Promise<UpstreamResponse> {
    const { signal } = call;
    const hedged = this.hedging !== undefined && !streaming;
    const tried = new Set<number>();
    const failures: string[] = [];
    let rateLimited: UpstreamResponse | undefined;
    this.retryBudget.recordRequest();
    if (hedged) this.hedging?.policy.recordRequest();
    while (tried.size < MAX_ATTEMPTS) {
      const choice = this.balancer.pick(tried);
      if (choice === undefined) break;
      const round = await runRound(choice, (next, cancel) => this.attempt(next, call, cancel, hedged), this.hedgePlan(hedged, tried), (index) => tried.add(index));
      if (round.response !== undefined) {
        if (round.response.statusCode !== TOO_MANY_REQUESTS || !this.mayTryAnother(tried)) return round.response;
        rateLimited = await keepRateLimited(round.response);
        failures.push(`${round.response.where} answered ${TOO_MANY_REQUESTS}`);
      } else {
        const stop = round.failures.find((failed) => !failed.retryable);
        if (stop !== undefined || signal.aborted) throw (stop ?? round.failures[0])?.failure;
        failures.push(...round.failures.map((failed) => failed.failure.message));
      }
      if (!this.retryBudget.tryRetry()) {
        failures.push('no retry left in the retry budget');
        break;
      }
      await backoff(this.retryBudget.jitteredBackoffMs(tried.size), signal);
    }
    if (rateLimited !== undefined) return rateLimited;
    if (failures.length === 0) throw new SluiceError('ERR_UPSTREAM_NO_REPLICA', `backend "${this.name}" has no replica that can take the request`);
    throw new SluiceError('ERR_UPSTREAM_UNAVAILABLE', `backend "${this.name}" is unavailable: ${failures.join('; ')}`);
  }

  private requestHeaders(requestId: string, withBody = true): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'x-request-id': requestId };
    if (withBody) headers['content-type'] = 'application/json';
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  /** Whether a replica not yet tried may exist (the balancer decides which, if any). */
  private mayTryAnother(tried: ReadonlySet<number>): boolean {
    return tried.size < this.replicas.length && tried.size < MAX_ATTEMPTS;
  }

  /** No hedge for streams, with hedging off, with one replica, or before the p95 is known. */
  private hedgePlan(hedged: boolean, tried: ReadonlySet<number>): HedgePlan {
    const hedging = this.hedging;
    const afterMs = hedged && hedging !== undefined && this.mayTryAnother(tried) ? hedging.policy.hedgeAfterMs() : undefined;
    return {
      afterMs,
      shouldHedge: (elapsedMs) => hedging?.policy.shouldHedge(elapsedMs) ?? false,
      pickOther: () => (tried.size < MAX_ATTEMPTS ? this.balancer.pick(tried) : undefined),
      onHedgeSent: () => hedging !== undefined && (hedging.sent += 1),
      onHedgeWon: () => hedging !== undefined && (hedging.won += 1),
    };
  }

  /**
   * One attempt. Its outcome feeds the replica counts and the balancer once: a 5xx or a
   * connection failure as failed; an answer (also a 429) as ok, settled by whoever reads it;
   * and an attempt cancelled because a hedge won as ok, with the time it had run as its
   * latency — it did not fail, so ejection and breakers must not count it, while Peak-EWMA
   * still learns that it was at least that slow.
   */
  private async attempt(choice: ReplicaChoice, call: UpstreamCall, cancel: AbortSignal, hedged: boolean): Promise<AttemptResult> {
    const replica = this.replicas[choice.index] as Replica;
    const where = `backend "${this.name}" replica ${replica.host}`;
    const started = performance.now();
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      replica.settle(ok);
      choice.done({ ok, latencyMs: performance.now() - started });
    };
    try {
      const response = await replica.send({ ...call, signal: AbortSignal.any([call.signal, cancel]) });
      this.onAttempt({ backend: this.name, replica: replica.host, status: String(response.statusCode) });
      if (hedged && response.statusCode < 300) this.hedging?.policy.observeLatency(performance.now() - started);
      if (response.statusCode < 500) return { response: { statusCode: response.statusCode, headers: response.headers, body: response.body, where, settle } };
      const detail = await readSnippet(response.body);
      settle(false);
      return { retryable: true, failure: new SluiceError('ERR_UPSTREAM_UNAVAILABLE', `${where} answered ${response.statusCode}${detail === '' ? '' : `: ${detail}`}`) };
    } catch (error) {
      if (cancel.aborted && !call.signal.aborted) {
        settle(true);
        return { retryable: false, failure: new SluiceError('ERR_UPSTREAM_UNAVAILABLE', `${where} was cancelled: a hedge answered first`) };
      }
      settle(false);
      if (call.signal.aborted) throw error;
      const classified = classifyFailure(error, where);
      this.onAttempt({ backend: this.name, replica: replica.host, status: classified.error.code === 'ERR_UPSTREAM_TIMEOUT' ? 'timeout' : 'error' });
      return { retryable: classified.retryable, failure: classified.error };
    }
  }

  stats(): BackendStats {
    const hedging = this.hedging === undefined ? undefined : { sent: this.hedging.sent, won: this.hedging.won, policy: this.hedging.policy.stats() };
    return { name: this.name, replicas: this.replicas.map((replica) => replica.stats()), retryBudget: this.retryBudget.stats(), hedging };
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.close()));
  }
}

function isStreamingPayload(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && (payload as { stream?: unknown }).stream === true;
}

/** Waits before a failover, unless the client has gone (then at once: nothing will be sent). */
function backoff(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The start of an error body, for the message; a broken body only loses the detail. */
async function readSnippet(body: Readable, limit = 300): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += String(chunk);
      if (text.length >= limit) break;
    }
  } catch {
    // the status already says what matters
  }
  discardBody(body);
  return upstreamErrorMessage(text).slice(0, limit);
}

/** An OpenAI error envelope's message, a KServe one's (`{"error": "..."}`), or the text itself. */
export function upstreamErrorMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (typeof error === 'string') return error;
    const message = (error as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the raw text is the best description
  }
  return text.trim();
}
