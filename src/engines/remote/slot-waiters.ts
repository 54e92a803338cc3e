/**
 * Requests waiting for a slot when every live replica is at its concurrency limit: the
 * same discipline as a local model's queue — priority levels (1 first), and within a
 * level the tenants share slots by deficit round robin (`DrrRing`, one slot a unit), so a
 * tenant flooding a backend waits behind its own requests, not in front of others'.
 *
 * Why wait at all: a limit is reached in bursts as much as in overload (a Poisson arrival
 * cluster, a pause that leaves answers unread), and refusing at once would turn each burst
 * into 429s at a fraction of the upstream's capacity. A request waits at most until its
 * own deadline or `maxWaitMs`, and only while fewer than `maxWaiting` others wait.
 *
 *   release(permit) ─► wakeOne(): highest level with waiters ─► its DRR tenant ─► oldest waiter
 *                      (the woken one picks again; if a newcomer took the slot it waits again, within its time)
 */
import { DrrRing, type DrrMember } from '../local/batching/drr-ring.ts';

export interface SlotWaitOptions {
  /** The longest a request waits in all; 0 turns waiting off. */
  readonly maxWaitMs: number;
  /** Requests that may wait at once; the next one is refused at once. */
  readonly maxWaiting: number;
}

/** Who is waiting: its priority level (1 = highest), its tenant and the tenant's weight. */
export interface WaitingFor {
  readonly priority: number;
  readonly tenant: string;
  readonly weight: number;
}

export const ANONYMOUS_WAIT: WaitingFor = Object.freeze({ priority: 1, tenant: 'default', weight: 1 });

/** How a wait ended: a slot to try, its time ran out, the caller left, or it never began (the line was full). */
export type WaitEnd = 'slot' | 'expired' | 'aborted' | 'full';

type WakeReason = Exclude<WaitEnd, 'full'>;

interface Waiter {
  readonly wake: (reason: WakeReason) => void;
}

interface TenantWaiters extends DrrMember {
  readonly name: string;
  weight: number;
  deficit: number;
  readonly waiters: Waiter[];
}

interface Level {
  readonly ring: DrrRing<TenantWaiters>;
  readonly tenants: Map<string, TenantWaiters>;
}

export interface SlotWaitStats {
  /** Requests waiting now. */
  readonly waiting: number;
  /** Waits that ended with a slot to try. */
  readonly woken: number;
  /** Waits that ran out of time: the request is refused. */
  readonly expired: number;
  /** Requests refused without waiting because `maxWaiting` others already were. */
  readonly refusedFull: number;
}

export class SlotWaiters {
  private readonly levels = new Map<number, Level>();
  private waiting = 0;
  private readonly counts = { woken: 0, expired: 0, refusedFull: 0 };

  constructor(private readonly options: SlotWaitOptions) {}

  /** Waits for a slot to free up (then pick again) until `untilMs`, unless the line is full or `signal` aborts. */
  wait(untilMs: number, signal: AbortSignal, who: WaitingFor = ANONYMOUS_WAIT): Promise<WaitEnd> {
    if (signal.aborted) return Promise.resolve('aborted');
    const waitMs = untilMs - performance.now();
    if (waitMs <= 0) return Promise.resolve('expired');
    if (this.waiting >= this.options.maxWaiting) {
      this.counts.refusedFull += 1;
      return Promise.resolve('full');
    }
    const tenant = this.tenantOf(who);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: (reason) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.remove(who.priority, tenant, waiter);
          if (reason !== 'aborted') this.counts[reason === 'slot' ? 'woken' : 'expired'] += 1;
          resolve(reason);
        },
      };
      const onAbort = () => waiter.wake('aborted');
      const timer = setTimeout(() => waiter.wake('expired'), waitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      tenant.waiters.push(waiter);
      this.waiting += 1;
    });
  }

  /** The deadline of a wait that starts now. */
  deadline(): number {
    return performance.now() + this.options.maxWaitMs;
  }

  /** A slot was released: the next waiter in priority and fair order may take it. */
  wakeOne(): void {
    // Called on every permit release: nothing to sort or allocate when nobody waits.
    if (this.waiting === 0) return;
    for (const priority of [...this.levels.keys()].sort((a, b) => a - b)) {
      const ring = this.levels.get(priority)?.ring;
      const tenant = ring?.next((member) => member.waiters.length > 0);
      if (ring === undefined || tenant === undefined) continue;
      ring.charge(tenant);
      return tenant.waiters[0]?.wake('slot');
    }
  }

  stats(): SlotWaitStats {
    return { waiting: this.waiting, ...this.counts };
  }

  private tenantOf(who: WaitingFor): TenantWaiters {
    let level = this.levels.get(who.priority);
    if (level === undefined) {
      level = { ring: new DrrRing<TenantWaiters>(1), tenants: new Map() };
      this.levels.set(who.priority, level);
    }
    let tenant = level.tenants.get(who.tenant);
    if (tenant === undefined) {
      tenant = { name: who.tenant, weight: who.weight, deficit: 0, waiters: [] };
      level.tenants.set(who.tenant, tenant);
      level.ring.join(tenant);
    }
    return tenant;
  }

  private remove(priority: number, tenant: TenantWaiters, waiter: Waiter): void {
    const index = tenant.waiters.indexOf(waiter);
    if (index < 0) return;
    tenant.waiters.splice(index, 1);
    this.waiting -= 1;
    if (tenant.waiters.length > 0) return;
    const level = this.levels.get(priority);
    level?.ring.leave(tenant);
    level?.tenants.delete(tenant.name);
    if (level?.tenants.size === 0) this.levels.delete(priority);
  }
}
