/**
 * What keeps a replica from being picked besides the balancer's own view (ejection and
 * breakers): its active health check, a Retry-After it asked for, and its adaptive
 * concurrency limit. The gates sit in front of any balancer, as replicas it must exclude,
 * so a replica is picked only when both sides let it through:
 *
 *   excluded(tried) = tried ∪ { i : unhealthy(i) ∨ coolingDown(i) ∨ inflight(i) ≥ limit(i) }
 *   balancer.pick(excluded) ─► acquire(i): a permit on i's limit, released when the attempt settles
 *
 * When nothing can be picked, `refusal` says why, in the terms the client can act on:
 * every replica failing its health check is a 503 naming them; every live replica cooling
 * down or full is a 429 whose Retry-After is the soonest a replica may take work again.
 */
import { RealClock, type Clock } from '../../core/clock.ts';
import { AdaptiveLimit, type AdaptiveLimitStats, type Permit } from '../../control/adaptive-limit.ts';
import { SluiceError } from '../../core/errors.ts';
import {
  ActiveHealth,
  type ActiveHealthOptions,
  type HealthChange,
  type ProbeResult,
  type ReplicaHealthStats,
} from './resilience/active-health.ts';
import { Cooldowns, type CooldownStats } from './resilience/retry-after.ts';
import {
  SlotWaiters,
  type SlotWaitOptions,
  type SlotWaitStats,
  type WaitEnd,
  type WaitingFor,
} from './slot-waiters.ts';

export interface ConcurrencySettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** How long, and how many, requests may wait for a slot when every live replica is full. */
  readonly wait: SlotWaitOptions;
}

export interface GateSettings {
  /** Undefined: no active health checks (every replica counts as healthy). */
  readonly health: ActiveHealthOptions | undefined;
  /** The longest Retry-After honoured; undefined: Retry-After is not honoured. */
  readonly retryAfterMaxMs: number | undefined;
  /** Undefined: no concurrency limit. */
  readonly concurrency: ConcurrencySettings | undefined;
  readonly clock?: Clock;
}

export type GateState = 'open' | 'unhealthy' | 'cooling-down' | 'at-limit';

/** Picks that passed a replica over, by why. */
export interface PassedOver {
  unhealthy: number;
  coolingDown: number;
  atLimit: number;
}

export interface ReplicaGateStats {
  readonly state: GateState;
  /** Undefined when health checks are off. */
  readonly health: ReplicaHealthStats | undefined;
  /** Undefined when Retry-After is not honoured. */
  readonly retryAfter: CooldownStats | undefined;
  /** Undefined when adaptive concurrency is off. */
  readonly concurrency: AdaptiveLimitStats | undefined;
  readonly passedOver: Readonly<PassedOver>;
}

/** When no limit has measured a latency yet, a slot is guessed to free up within this. */
const UNKNOWN_WAIT_MS = 1_000;

const NO_PERMIT: Permit = { release: () => {} };

export class ReplicaGates {
  private readonly health: ActiveHealth | undefined;
  private readonly cooldowns: Cooldowns | undefined;
  private readonly limits: readonly AdaptiveLimit[] | undefined;
  private readonly waiters: SlotWaiters | undefined;
  private readonly passedOver: PassedOver[];

  /** `hosts` name the replicas in messages, in the backend's order. */
  constructor(
    private readonly hosts: readonly string[],
    settings: GateSettings,
  ) {
    const clock = settings.clock ?? new RealClock();
    const count = hosts.length;
    this.health = settings.health === undefined ? undefined : new ActiveHealth(count, clock, settings.health);
    this.cooldowns =
      settings.retryAfterMaxMs === undefined ? undefined : new Cooldowns(count, clock, settings.retryAfterMaxMs);
    const concurrency = settings.concurrency;
    this.limits = concurrency === undefined ? undefined : hosts.map(() => new AdaptiveLimit({ ...concurrency, clock }));
    this.waiters =
      concurrency === undefined || concurrency.wait.maxWaitMs <= 0 ? undefined : new SlotWaiters(concurrency.wait);
    this.passedOver = hosts.map(() => ({ unhealthy: 0, coolingDown: 0, atLimit: 0 }));
  }

  state(index: number): GateState {
    if (this.health !== undefined && !this.health.isHealthy(index)) return 'unhealthy';
    if (this.cooldowns?.isCoolingDown(index) === true) return 'cooling-down';
    const limit = this.limits?.[index];
    if (limit !== undefined && !limit.hasRoom) return 'at-limit';
    return 'open';
  }

  /** `tried` plus every replica a gate keeps out now; `count` for a real pick, so stats say who was passed over. */
  excluded(tried: ReadonlySet<number>, count = false): Set<number> {
    const excluded = new Set(tried);
    this.hosts.forEach((_, index) => {
      if (tried.has(index)) return;
      const state = this.state(index);
      if (state === 'open') return;
      excluded.add(index);
      if (!count) return;
      const counts = this.passedOver[index] as PassedOver;
      if (state === 'unhealthy') counts.unhealthy += 1;
      else if (state === 'cooling-down') counts.coolingDown += 1;
      else counts.atLimit += 1;
    });
    return excluded;
  }

  /** A slot on the replica's limit; `excluded` has just said it has one. Releasing it wakes the oldest waiter. */
  acquire(index: number): Permit {
    const permit = this.limits?.[index]?.tryAcquire();
    if (permit === undefined) return NO_PERMIT;
    const waiters = this.waiters;
    if (waiters === undefined) return permit;
    let released = false;
    return {
      release: (outcome) => {
        permit.release(outcome);
        if (released) return;
        released = true;
        waiters.wakeOne();
      },
    };
  }

  /**
   * When nothing could be picked because replicas not yet tried are at their limits, waits
   * (until `untilMs` at the latest) for a slot: 'slot' means pick again; undefined, that
   * there was nothing to wait for (waiting is off, or no replica is merely full).
   */
  async waitForSlot(
    tried: ReadonlySet<number>,
    untilMs: number,
    signal: AbortSignal,
    who?: WaitingFor,
  ): Promise<WaitEnd | undefined> {
    if (this.waiters === undefined) return undefined;
    const full = this.hosts.some((_, index) => !tried.has(index) && this.state(index) === 'at-limit');
    return full ? this.waiters.wait(untilMs, signal, who) : undefined;
  }

  /** When a request that starts waiting now must give up. */
  slotDeadline(): number {
    return this.waiters?.deadline() ?? performance.now();
  }

  /** Undefined when requests never wait for a slot. */
  waitStats(): SlotWaitStats | undefined {
    return this.waiters?.stats();
  }

  recordProbe(index: number, result: ProbeResult): HealthChange | undefined {
    return this.health?.record(index, result);
  }

  /** The replica answered 429 asking for `retryAfterMs` (parsed from Retry-After) of quiet. */
  coolDown(index: number, retryAfterMs: number | undefined): void {
    if (retryAfterMs !== undefined) this.cooldowns?.coolDown(index, retryAfterMs);
  }

  /** The soonest a healthy replica may be asked again, when every healthy one is cooling down; else undefined. */
  allCoolingDownFor(): number | undefined {
    const cooldowns = this.cooldowns;
    const live = this.hosts.flatMap((_, index) => (this.health?.isHealthy(index) === false ? [] : [index]));
    if (cooldowns === undefined || live.length === 0 || !live.every((index) => cooldowns.isCoolingDown(index)))
      return undefined;
    return Math.min(...live.map((index) => cooldowns.remainingMs(index)));
  }

  /** Why `backend` has no replica to offer when the gates (or the balancer) left none. */
  refusal(backend: string): SluiceError {
    const states = this.hosts.map((_, index) => this.state(index));
    const live = states.flatMap((state, index) => (state === 'unhealthy' ? [] : [index]));
    if (live.length === 0) return this.allUnhealthy(backend);
    const waitMs = this.allCoolingDownFor();
    if (waitMs !== undefined) {
      return new SluiceError(
        'ERR_UPSTREAM_RATE_LIMITED',
        `backend "${backend}" is rate limited: every replica answered 429 asking to wait (Retry-After), the soonest for ${Math.ceil(waitMs)} ms more`,
        { retryAfterMs: waitMs },
      );
    }
    if (live.every((index) => states[index] !== 'open')) return this.allFull(backend, live, states);
    const out =
      live.length < states.length
        ? `; ${states.length - live.length} of ${states.length} replicas fail their health check`
        : '';
    return new SluiceError(
      'ERR_UPSTREAM_NO_REPLICA',
      `backend "${backend}" has no replica that can take the request (ejected or circuit open)${out}`,
    );
  }

  stats(index: number): ReplicaGateStats {
    return {
      state: this.state(index),
      health: this.health?.stats(index),
      retryAfter: this.cooldowns?.stats(index),
      concurrency: this.limits?.[index]?.stats(),
      passedOver: { ...(this.passedOver[index] as PassedOver) },
    };
  }

  private allUnhealthy(backend: string): SluiceError {
    const why = this.hosts.map((host, index) => `${host}: ${this.health?.stats(index)?.lastFailure ?? 'failing'}`);
    return new SluiceError(
      'ERR_UPSTREAM_NO_REPLICA',
      `backend "${backend}" has no healthy replica: every replica fails its health check (${why.join('; ')})`,
    );
  }

  /** Every live replica is at its limit or cooling down: retry when the first of them should have room. */
  private allFull(backend: string, live: readonly number[], states: readonly GateState[]): SluiceError {
    const waits = live.map((index) =>
      states[index] === 'cooling-down' ? (this.cooldowns?.remainingMs(index) ?? 0) : this.slotWaitMs(index),
    );
    const full = live
      .filter((index) => states[index] === 'at-limit')
      .map((index) => {
        const limit = this.limits?.[index];
        return `${this.hosts[index]}: ${limit?.stats().inflight ?? 0} of ${limit?.limit ?? 0}`;
      });
    const message = `backend "${backend}" is at its concurrency limit: every replica has as many requests in flight as its adaptive limit allows (${full.join('; ')}) or asked to wait`;
    return new SluiceError('ERR_UPSTREAM_CONCURRENCY_LIMIT', message, {
      retryAfterMs: Math.max(1, Math.min(...waits)),
    });
  }

  /** About when one of the replica's requests in flight should finish: its recent latency. */
  private slotWaitMs(index: number): number {
    const shortRttMs = this.limits?.[index]?.stats().shortRttMs ?? 0;
    return shortRttMs > 0 ? shortRttMs : UNKNOWN_WAIT_MS;
  }
}
