/**
 * A remote model server (OpenAI or KServe v2 dialect) behind sluice: its replicas, the balancer that
 * picks one per attempt (power of two choices over Peak-EWMA, skipping ejected replicas
 * and open circuits), the gates in front of it (active health, Retry-After cooldowns,
 * per-replica adaptive concurrency: replica-gates.ts), the model names it serves, and
 * failover within a retry budget. `open` returns once a replica has answered with headers
 * that are not a 5xx; the caller reads the body and settles the attempt.
 *
 *   open ─► pick(gates ∪ tried) ─► round (hedged-attempt.ts: the attempt, plus a hedge for a slow unary call)
 *             ▲          ├─► 2xx/4xx ─► UpstreamResponse (caller reads, settles)
 *             │          └─► connection error / 5xx / 429 ─► another pickable? budget has a retry? ─► backoff ─┐
 *             └──────────────────────────── pick(gates ∪ tried) ◄──────────────────────────────────────────────┘
 *   none left, or no retry in the budget ─► the last 429 if there was one, else
 *   502 ERR_UPSTREAM_UNAVAILABLE; when no replica was ever offered, the gates' refusal:
 *   503 ERR_UPSTREAM_NO_REPLICA, 429 ERR_UPSTREAM_RATE_LIMITED or 429 ERR_UPSTREAM_CONCURRENCY_LIMIT
 */
import { SluiceError } from '../../core/errors.ts';
import { RoundRobinBalancer, type Balancer } from './balancer.ts';
import { HedgePolicy, ResilientBalancer, RetryBudget, type HedgeStats } from './resilience/index.ts';
import { gateSettingsOf, healthProberOf, type BackendConfig, type HealthEvent } from './backend-settings.ts';
import type { HealthProber } from './health-prober.ts';
import { runRound, type HedgePlan } from './hedged-attempt.ts';
import { keepRateLimited, TOO_MANY_REQUESTS, withRetryAfter } from './rate-limited.ts';
import { runAttempt, type AttemptContext, type AttemptEvent, type GatedChoice } from './replica-attempt.ts';
import { ReplicaGates, type ReplicaGateStats } from './replica-gates.ts';
import type { SlotWaitStats } from './slot-waiters.ts';
import type { Ticket } from '../../core/ticket.ts';
import type { TicketScheduling } from '../../pipeline/admit.ts';
import { Replica, type ReplicaStats, type UpstreamCall } from './replica.ts';
import type { UpstreamResponse } from './upstream-response.ts';

export type { HealthEvent } from './backend-settings.ts';

export interface RemoteBackendOptions {
  /** Default: P2C over Peak-EWMA with outlier ejection and circuit breakers. */
  readonly balancer?: Balancer;
  /** Default: retries at most 20% of requests (plus 10 a second), with jittered backoff. */
  readonly retryBudget?: RetryBudget;
  /** Where `api_key_env` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onAttempt?: (event: AttemptEvent) => void;
  /** Hears each replica leaving rotation after failed health checks, or coming back. */
  readonly onHealthChange?: (event: HealthEvent) => void;
}

export interface BackendStats {
  readonly name: string;
  readonly replicas: readonly RemoteReplicaStats[];
  readonly retryBudget: ReturnType<RetryBudget['stats']>;
  /** Undefined when the backend's `hedging.enabled` is false. */
  readonly hedging: HedgingStats | undefined;
  /** Requests waiting for a slot with every replica full; undefined when they never wait. */
  readonly slotWait: SlotWaitStats | undefined;
}

/** A replica's counts, and what its gates (health, Retry-After, concurrency limit) say now. */
export type RemoteReplicaStats = ReplicaStats & ReplicaGateStats;

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
  /** The request's priority, tenant and deadline: how it waits for a slot when every replica is full. */
  readonly ticket?: Ticket;
}

interface Hedging {
  readonly policy: HedgePolicy;
  sent: number;
  won: number;
}

/** A call with no ticket (metadata, readiness) waits at the top level, with no deadline. */
const UNSCHEDULED: Ticket = Object.freeze({ priority: 1, tenant: 'default', weight: 1, deadlineMs: undefined });

/** The first attempt and at most two more (failovers or a hedge), each paid for from the retry or hedge budget. */
const MAX_ATTEMPTS = 3;

export class RemoteBackend {
  readonly name: string;
  private readonly replicas: Replica[];
  private readonly balancer: Balancer;
  private readonly retryBudget: RetryBudget;
  /** sluice model name → the upstream's name for it. */
  private readonly upstreamNames: ReadonlyMap<string, string>;
  /** sluice model name → the version sluice reports for it. */
  private readonly versions: ReadonlyMap<string, string>;
  private readonly apiKey: string | undefined;
  private readonly onAttempt: (event: AttemptEvent) => void;
  private readonly hedging: Hedging | undefined;
  private readonly gates: ReplicaGates;
  private readonly prober: HealthProber | undefined;
  /** Whether attempt latencies feed the per-replica concurrency limits. */
  private readonly limited: boolean;
  /** Priority levels and timeouts of the requests sent to it. */
  readonly scheduling: TicketScheduling;

  constructor(config: BackendConfig, options: RemoteBackendOptions = {}) {
    this.name = config.name;
    const settings = {
      connections: config.connections,
      connectMs: config.timeouts.connect_ms,
      headersMs: config.timeouts.headers_ms,
      bodyMs: config.timeouts.body_ms,
    };
    this.replicas = config.replicas.map((replica) => new Replica(replica.url, settings));
    const weights = config.replicas.map((replica) => replica.weight);
    this.balancer =
      options.balancer ??
      (config.load_balancing === 'round_robin' ? new RoundRobinBalancer(weights) : new ResilientBalancer({ weights }));
    this.retryBudget = options.retryBudget ?? new RetryBudget();
    this.upstreamNames = new Map(config.models.map((model) => [model.name, model.upstream ?? model.name]));
    this.versions = new Map(config.models.map((model) => [model.name, model.version]));
    this.apiKey = config.api_key_env === undefined ? undefined : (options.env ?? process.env)[config.api_key_env];
    this.onAttempt = options.onAttempt ?? (() => {});
    this.hedging = config.hedging.enabled
      ? { policy: new HedgePolicy({ budgetRatio: config.hedging.budget_ratio }), sent: 0, won: 0 }
      : undefined;
    this.gates = new ReplicaGates(
      this.replicas.map((replica) => replica.host),
      gateSettingsOf(config),
    );
    this.limited = config.adaptive_concurrency.enabled;
    this.scheduling = config.scheduling;
    this.prober = healthProberOf(
      config,
      this.replicas,
      this.gates,
      this.requestHeaders('health-check', false),
      options.onHealthChange,
    );
    this.prober?.start();
  }

  modelNames(): string[] {
    return [...this.upstreamNames.keys()];
  }

  upstreamName(model: string): string {
    return this.upstreamNames.get(model) ?? model;
  }

  versionOf(model: string): string {
    return this.versions.get(model) ?? '1';
  }

  /**
   * POSTs `payload` to `path` on a replica, failing over on a connection error, a 5xx or a
   * 429 while the retry budget allows; a non-streaming call may also be hedged. Whether the
   * call streams is read from `payload.stream` unless `options.streaming` says.
   */
  async open(
    path: string,
    payload: unknown,
    signal: AbortSignal,
    requestId: string,
    options: OpenOptions = {},
  ): Promise<UpstreamResponse> {
    const call: UpstreamCall = { path, body: JSON.stringify(payload), headers: this.requestHeaders(requestId), signal };
    return this.dispatch(call, options.streaming ?? isStreamingPayload(payload), options.ticket ?? UNSCHEDULED);
  }

  /**
   * GETs `path` on a replica (KServe v2 metadata and readiness), with the same failover,
   * retry budget and hedging as a unary `open`.
   */
  async get(path: string, signal: AbortSignal, requestId: string): Promise<UpstreamResponse> {
    return this.dispatch({ method: 'GET', path, headers: this.requestHeaders(requestId, false), signal }, false);
  }

  private async dispatch(
    call: UpstreamCall,
    streaming: boolean,
    ticket: Ticket = UNSCHEDULED,
  ): Promise<UpstreamResponse> {
    const { signal } = call;
    const hedged = this.hedging !== undefined && !streaming;
    const tried = new Set<number>();
    const failures: string[] = [];
    let rateLimited: UpstreamResponse | undefined;
    this.retryBudget.recordRequest();
    if (hedged) this.hedging?.policy.recordRequest();
    let slotDeadline: number | undefined;
    while (tried.size < MAX_ATTEMPTS) {
      const choice = this.pick(tried);
      if (choice === undefined) {
        slotDeadline ??= Math.min(this.gates.slotDeadline(), ticket.deadlineMs ?? Infinity);
        if (await this.waitForSlot(tried, signal, ticket, slotDeadline)) continue;
        break;
      }
      const start = (next: GatedChoice, cancel: AbortSignal) =>
        runAttempt(next, this.attemptContext(next.index, call, cancel, streaming, hedged));
      const round = await runRound(choice, start, this.hedgePlan(hedged, tried), (index) => tried.add(index));
      if (round.response !== undefined) {
        if (round.response.statusCode !== TOO_MANY_REQUESTS || !this.mayTryAnother(tried))
          return this.answer(round.response);
        rateLimited = await keepRateLimited(round.response);
        failures.push(`${round.response.where} answered ${TOO_MANY_REQUESTS}`);
      } else {
        const stop = round.failures.find((failed) => !failed.retryable);
        if (stop !== undefined || signal.aborted) throw (stop ?? round.failures[0])?.failure;
        failures.push(...round.failures.map((failed) => failed.failure.message));
      }
      // No retry is spent, and no backoff waited, when the gates leave nothing to try.
      if (!this.mayTryAnother(tried)) break;
      if (!this.retryBudget.tryRetry()) {
        failures.push('no retry left in the retry budget');
        break;
      }
      await backoff(this.retryBudget.jitteredBackoffMs(tried.size), signal);
    }
    if (rateLimited !== undefined) return this.answer(rateLimited);
    if (failures.length === 0) throw this.gates.refusal(this.name);
    throw new SluiceError('ERR_UPSTREAM_UNAVAILABLE', `backend "${this.name}" is unavailable: ${failures.join('; ')}`);
  }

  /**
   * Nothing could be picked: when replicas are merely full, waits for a slot until `untilMs`
   * (true: pick again); a wait ended by the request's own deadline, the nearer of the two
   * (compared as set, since timers may fire a little early), is a 504.
   */
  private async waitForSlot(
    tried: ReadonlySet<number>,
    signal: AbortSignal,
    ticket: Ticket,
    untilMs: number,
  ): Promise<boolean> {
    const waited = await this.gates.waitForSlot(tried, untilMs, signal, ticket);
    if (waited === 'expired' && untilMs === ticket.deadlineMs) {
      throw new SluiceError(
        'ERR_DEADLINE_EXCEEDED',
        `the request timed out waiting for a slot on backend "${this.name}" (priority ${ticket.priority}): every replica stayed at its concurrency limit until its deadline`,
      );
    }
    return waited === 'slot';
  }

  /** A replica neither the gates nor the balancer keep out, with a slot on its limit taken. */
  private pick(tried: ReadonlySet<number>): GatedChoice | undefined {
    const choice = this.balancer.pick(this.gates.excluded(tried, true));
    return choice === undefined
      ? undefined
      : { index: choice.index, done: (outcome) => choice.done(outcome), permit: this.gates.acquire(choice.index) };
  }

  /**
   * A 429 goes to the client with the upstream's body; when every replica is cooling down,
   * its Retry-After is the soonest any replica may be asked again, which is when sluice
   * could next serve the request, whatever this one replica said.
   */
  private answer(response: UpstreamResponse): UpstreamResponse {
    if (response.statusCode !== TOO_MANY_REQUESTS) return response;
    const waitMs = this.gates.allCoolingDownFor();
    return waitMs === undefined ? response : withRetryAfter(response, waitMs);
  }

  private attemptContext(
    index: number,
    call: UpstreamCall,
    cancel: AbortSignal,
    streaming: boolean,
    hedged: boolean,
  ): AttemptContext {
    const policy = hedged ? this.hedging?.policy : undefined;
    return {
      backend: this.name,
      replica: this.replicas[index] as Replica,
      call,
      cancel,
      streaming,
      measured: this.limited && call.method !== 'GET',
      onAttempt: this.onAttempt,
      observeHeaders: policy === undefined ? undefined : (latencyMs) => policy.observeLatency(latencyMs),
      onRateLimited: (retryAfterMs) => this.gates.coolDown(index, retryAfterMs),
    };
  }

  private requestHeaders(requestId: string, withBody = true): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json, text/event-stream',
      'x-request-id': requestId,
    };
    if (withBody) headers['content-type'] = 'application/json';
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  /** Whether a replica not yet tried may be pickable: the gates let one through (the balancer decides which, if any). */
  private mayTryAnother(tried: ReadonlySet<number>): boolean {
    return tried.size < MAX_ATTEMPTS && this.gates.excluded(tried).size < this.replicas.length;
  }

  /** No hedge for streams, with hedging off, with one replica, or before the p95 is known. */
  private hedgePlan(hedged: boolean, tried: ReadonlySet<number>): HedgePlan<GatedChoice> {
    const hedging = this.hedging;
    const afterMs =
      hedged && hedging !== undefined && this.mayTryAnother(tried) ? hedging.policy.hedgeAfterMs() : undefined;
    return {
      afterMs,
      shouldHedge: (elapsedMs) => hedging?.policy.shouldHedge(elapsedMs) ?? false,
      pickOther: () => (tried.size < MAX_ATTEMPTS ? this.pick(tried) : undefined),
      onHedgeSent: () => hedging !== undefined && (hedging.sent += 1),
      onHedgeWon: () => hedging !== undefined && (hedging.won += 1),
    };
  }

  stats(): BackendStats {
    const hedging =
      this.hedging === undefined
        ? undefined
        : { sent: this.hedging.sent, won: this.hedging.won, policy: this.hedging.policy.stats() };
    const replicas = this.replicas.map((replica, index) => ({ ...replica.stats(), ...this.gates.stats(index) }));
    return {
      name: this.name,
      replicas,
      retryBudget: this.retryBudget.stats(),
      hedging,
      slotWait: this.gates.waitStats(),
    };
  }

  /** Stops the health checks and closes every connection. */
  async close(): Promise<void> {
    this.prober?.stop();
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
