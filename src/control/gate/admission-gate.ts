/**
 * The server-wide gate for inference requests, decided before a request's body is read:
 * refusing there costs a fraction of serving, because the body parse, the JSON schema and
 * the tokenization that a model queue's refusal would already have paid for never happen.
 *
 *   admit(tenant) ─► tenant shares: where does the tenant stand? (tenant-shares.ts)
 *           ─► loop lag guard: behind for too long? ──► refused, guard "loop_lag"
 *                                                      (not a light tenant: one sending far less than the others)
 *           ─► heavy, at its share, others active?     ──► refused, guard "tenant_share"
 *           ─► adaptive limit: no permit left?       ──► refused, guard "concurrency"
 *              (held up, while the server keeps up, to what it finishes in burstMs: throughput-floor.ts)
 *           ─► ticket ─► finish(status) ─► 2xx/3xx: the request's latency teaches the limit
 *                     │                  ├► 5xx but 503: a failure, the limit backs off
 *                     │                  └► 4xx, 503: says nothing about load
 *                     └► abandon()      ─► the client went away: nothing to learn
 *
 *   admitWithoutLimit() ─► the loop lag guard alone (remote-only routes: each replica has
 *                          its own limit) ─► a ticket that holds no permit
 *
 * The two guards see different queues: the limit bounds the requests sluice holds (body
 * read, queued for a batch, running), and follows their latency; the loop lag guard sees
 * the requests still waiting in socket buffers, which never reach the limit's count.
 */
import {
  RETRY_AFTER_MAX_MS,
  RETRY_AFTER_MIN_MS,
  RETRY_AFTER_UNKNOWN_MS,
} from '../../engines/local/batching/room-plan.ts';
import { RealClock, type Clock } from '../../core/clock.ts';
import { AdaptiveLimit, type LimitChangeReason, type PermitOutcome } from '../adaptive-limit.ts';
import { SluiceError } from '../../core/errors.ts';
import { LoopLagGuard, type LoopLagOptions } from './loop-lag-guard.ts';
import { ThroughputFloor } from './throughput-floor.ts';
import { TenantShares, type TenantRef, type TenantShareStats } from './tenant-shares.ts';

export interface AdmissionGateOptions {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /**
   * The gate holds at least as many requests as the server finished in this many ms lately,
   * whatever the adaptive limit says (throughput-floor.ts); 0: the adaptive limit alone.
   */
  readonly burstMs?: number;
  /** The loop lag guard's settings; false: no guard, only the concurrency limit. */
  readonly loopLag?: LoopLagOptions | false;
  readonly clock?: Clock;
  /** Called when the integer limit changes. */
  readonly onLimitChange?: (limit: number, previous: number, reason: LimitChangeReason) => void;
}

/** Which guard refused: the concurrency limit, the event loop's backlog, or the tenant's share of the limit. */
export type AdmissionGuard = 'concurrency' | 'loop_lag' | 'tenant_share';

/** The tenant of requests the gate is not told about (auth off: everyone). */
const ONE_TENANT: TenantRef = Object.freeze({ name: 'default', weight: 1 });

export type AdmissionVerdict =
  | { readonly admitted: true; readonly ticket: AdmissionTicket }
  | { readonly admitted: false; readonly guard: AdmissionGuard; readonly error: Refusal };

/**
 * What a refused request is told: the fields of a SluiceError, as a plain value, because
 * under overload building an Error for every refusal is a measurable share of its cost.
 * The fastify hook, which answers through the error handler, makes one (`refusalError`).
 */
export interface Refusal {
  readonly code: 'ERR_ADMISSION_OVERLOADED';
  readonly status: 429;
  readonly message: string;
  readonly retryAfterMs: number;
}

export function refusalError(refusal: Refusal): SluiceError {
  return new SluiceError(refusal.code, refusal.message, { retryAfterMs: refusal.retryAfterMs });
}

export interface AdmissionTicket {
  /** The response went out with this status. Only the first of `finish` and `abandon` counts. */
  finish(status: number): void;
  /** The connection closed before the response was sent. */
  abandon(): void;
}

/** A snapshot; numbers do not move after it is taken. */
export interface AdmissionStats {
  readonly limit: number;
  readonly inflight: number;
  readonly refused: Readonly<Record<AdmissionGuard, number>>;
  /** How long the event loop's current turn has run past the probe's due time. */
  readonly loopStallMs: number;
  /** Whether the loop is in an episode of late turns (see LoopLagGuard). */
  readonly loopBehind: boolean;
  /** Per tenant seen: permits held, share of the limit, whether active and light, arrivals a second. */
  readonly tenants: Readonly<Record<string, TenantShareStats>>;
}

/** Holds no permit: nothing to release or learn from. */
const UNLIMITED: AdmissionVerdict = Object.freeze({
  admitted: true,
  ticket: Object.freeze({ finish: () => undefined, abandon: () => undefined }),
});

export class AdmissionGate {
  private readonly limiter: AdaptiveLimit;
  private readonly loopLag: LoopLagGuard | undefined;
  private readonly clock: Clock;
  private readonly shares: TenantShares;
  private readonly throughput: ThroughputFloor;
  private readonly maxLimit: number;
  private readonly refused: Record<AdmissionGuard, number> = { concurrency: 0, loop_lag: 0, tenant_share: 0 };

  constructor(options: AdmissionGateOptions) {
    this.clock = options.clock ?? new RealClock();
    const { initialLimit, minLimit, maxLimit, onLimitChange } = options;
    this.limiter = new AdaptiveLimit({
      initialLimit,
      minLimit,
      maxLimit,
      clock: this.clock,
      ...(onLimitChange === undefined ? {} : { onChange: onLimitChange }),
    });
    this.loopLag = options.loopLag === false ? undefined : new LoopLagGuard(this.clock, options.loopLag);
    this.shares = new TenantShares(this.clock);
    this.throughput = new ThroughputFloor(this.clock, options.burstMs ?? 0);
    this.maxLimit = maxLimit;
  }

  /** The limit admission enforces now: the adaptive limit, held up by the throughput floor, never past maxLimit. */
  private get limit(): number {
    return Math.min(this.maxLimit, Math.max(this.limiter.limit, this.throughput.floor));
  }

  /** The period the loop probe should call `loopTurned` at; undefined without a loop lag guard (no probe needed). */
  get probeTickMs(): number | undefined {
    return this.loopLag?.tickMs;
  }

  /** The loop probe's timer ran. */
  loopTurned(): void {
    this.loopLag?.onTurn();
  }

  admit(tenant: TenantRef = ONE_TENANT): AdmissionVerdict {
    const limit = this.limit;
    const standing = this.shares.arrive(tenant, limit);
    const lag = this.loopLag?.check();
    if (lag?.shed === true && standing !== 'light') return this.refuseForLag(lag.stallMs);
    if (standing === 'at_share')
      return this.refuseAtLimit(
        'tenant_share',
        `tenant "${tenant.name}" holds its share of the server's limit of ${limit} concurrent inference requests while other tenants are active`,
      );
    const permit = this.limiter.tryAcquire(this.throughput.floor);
    if (permit === undefined)
      return this.refuseAtLimit('concurrency', `the server is at its limit of ${limit} concurrent inference requests`);
    this.shares.acquired(tenant);
    const startMs = this.clock.now();
    let open = true;
    /** Whether this was the ticket's first end: only that one counts. */
    const release = (outcome: PermitOutcome): boolean => {
      if (!open) return false;
      open = false;
      permit.release(outcome);
      this.shares.released(tenant);
      return true;
    };
    return {
      admitted: true,
      ticket: {
        finish: (status) => {
          const nowMs = this.clock.now();
          const outcome = permitOutcome(status, nowMs - startMs);
          if (release(outcome) && typeof outcome === 'object') this.throughput.finished(nowMs);
        },
        abandon: () => {
          release('ignore');
        },
      },
    };
  }

  /**
   * The loop lag guard alone, for requests whose concurrency is bounded further on: a
   * remote replica's own adaptive limit and waiting queue (docs/backends.md). Their
   * latency is the upstream's, which says nothing about this server's load, so it must
   * not teach the limit either.
   */
  admitWithoutLimit(): AdmissionVerdict {
    return this.checkLoop() ?? UNLIMITED;
  }

  stats(): AdmissionStats {
    const { inflight } = this.limiter.stats();
    const limit = this.limit;
    return {
      limit,
      inflight,
      refused: { ...this.refused },
      loopStallMs: this.loopLag?.stallMs() ?? 0,
      loopBehind: this.loopLag?.behind ?? false,
      tenants: this.shares.stats(limit),
    };
  }

  private checkLoop(): AdmissionVerdict | undefined {
    const lag = this.loopLag?.check();
    return lag?.shed === true ? this.refuseForLag(lag.stallMs) : undefined;
  }

  private refuseForLag(stallMs: number): AdmissionVerdict {
    return this.refuse(
      'loop_lag',
      `the server is ${Math.round(stallMs)} ms behind on the requests it has received`,
      stallMs,
    );
  }

  /** A permit frees up about when a request finishes: the short-term latency, if known, says when to retry. */
  private refuseAtLimit(guard: 'concurrency' | 'tenant_share', why: string): AdmissionVerdict {
    const { shortRttMs } = this.limiter.stats();
    return this.refuse(guard, why, shortRttMs > 0 ? shortRttMs : RETRY_AFTER_UNKNOWN_MS);
  }

  private refuse(guard: AdmissionGuard, why: string, retryAfterMs: number): AdmissionVerdict {
    this.refused[guard] += 1;
    this.throughput.refused(this.clock.now());
    const message = `${why}; the request was refused before its body was read`;
    const error: Refusal = {
      code: 'ERR_ADMISSION_OVERLOADED',
      status: 429,
      message,
      retryAfterMs: Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, Math.ceil(retryAfterMs))),
    };
    return { admitted: false, guard, error };
  }
}

/** What a response's status says about load (see the diagram above). */
export function permitOutcome(status: number, rttMs: number): PermitOutcome {
  if (status >= 500 && status !== 503) return 'dropped';
  if (status >= 400) return 'ignore';
  return { rttMs };
}
