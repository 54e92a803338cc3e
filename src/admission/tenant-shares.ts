/**
 * Each tenant's share of the admission gate's concurrency limit. The gate decides before a
 * request's body is read and keeps no queue, so a tenant that floods the server would hold
 * every permit, and a quiet tenant's request would find none and be refused with the
 * flood's: fair queueing in the model's queue (deficit round robin) never gets to see it.
 * So while more than one tenant is active, a tenant holding its weighted share of the limit
 * gets no more, which keeps permits free for the others; and a tenant holding less than its
 * weighted share of what is in flight now is not shed for the event loop's lag, which the
 * others' load causes: the flooder's own requests are the ones refused.
 *
 *   active   = holds permits, or arrived within the last `activeMs`
 *   share(t) = max(1, ⌊limit · weight(t) / Σ weight(active)⌋)       (of the limit)
 *   fair(t)  = Σ inflight(active) · weight(t) / Σ weight(active)     (of the load now)
 *
 *   arrive(t) ─► no other tenant active      → 'alone': the gate as without tenants
 *             ├► inflight(t) ≥ share(t)       → 'at_share': refused, guard "tenant_share"
 *             ├► inflight(t) < fair(t)        → 'below_fair_load': exempt from the loop lag guard
 *             └► otherwise                    → 'above_fair_load': the loop lag guard applies
 *
 * A single tenant (auth off: everyone is "default") is always alone, so the gate behaves
 * exactly as it does without this. Requests whose API key names no tenant count as one
 * tenant of their own, so a flood of bad keys cannot crowd out the real tenants either.
 */
import type { Clock } from '../batching/clock.ts';

/** What the gate knows of a request's tenant: enough to weigh it. */
export interface TenantRef {
  readonly name: string;
  readonly weight: number;
}

/** How long after its last arrival a tenant with nothing in flight still counts as active. */
export const TENANT_ACTIVE_MS = 1_000;

export type ShareStanding = 'alone' | 'at_share' | 'below_fair_load' | 'above_fair_load';

interface TenantState {
  readonly weight: number;
  inflight: number;
  lastArrivalMs: number;
}

/** A snapshot per tenant; numbers do not move after it is taken. */
export interface TenantShareStats {
  readonly inflight: number;
  readonly share: number;
  readonly active: boolean;
}

export class TenantShares {
  private readonly tenants = new Map<string, TenantState>();

  constructor(
    private readonly clock: Clock,
    private readonly activeMs = TENANT_ACTIVE_MS,
  ) {}

  /** Notes the arrival of a request from `tenant` and says where it stands against `limit`. */
  arrive(tenant: TenantRef, limit: number): ShareStanding {
    const now = this.clock.now();
    const state = this.stateOf(tenant, now);
    state.lastArrivalMs = now;
    if (this.tenants.size === 1) return 'alone';
    let activeWeight = 0;
    let activeInflight = 0;
    let others = false;
    for (const other of this.tenants.values()) {
      if (!this.isActive(other, now)) continue;
      activeWeight += other.weight;
      activeInflight += other.inflight;
      if (other !== state) others = true;
    }
    if (!others) return 'alone';
    if (state.inflight >= shareOf(limit, state.weight, activeWeight)) return 'at_share';
    return state.inflight * activeWeight < activeInflight * state.weight ? 'below_fair_load' : 'above_fair_load';
  }

  /** A permit was taken for `tenant`'s request; `arrive` has seen the tenant first. */
  acquired(tenant: TenantRef): void {
    const state = this.tenants.get(tenant.name);
    if (state !== undefined) state.inflight += 1;
  }

  /** `tenant`'s request gave its permit back. */
  released(tenant: TenantRef): void {
    const state = this.tenants.get(tenant.name);
    if (state !== undefined && state.inflight > 0) state.inflight -= 1;
  }

  stats(limit: number): Record<string, TenantShareStats> {
    const now = this.clock.now();
    let activeWeight = 0;
    for (const state of this.tenants.values()) if (this.isActive(state, now)) activeWeight += state.weight;
    const snapshot: Record<string, TenantShareStats> = {};
    for (const [name, state] of this.tenants) {
      const active = this.isActive(state, now);
      snapshot[name] = { inflight: state.inflight, share: active ? shareOf(limit, state.weight, activeWeight) : 0, active };
    }
    return snapshot;
  }

  private stateOf(tenant: TenantRef, now: number): TenantState {
    let state = this.tenants.get(tenant.name);
    if (state === undefined) {
      state = { weight: tenant.weight, inflight: 0, lastArrivalMs: now };
      this.tenants.set(tenant.name, state);
    }
    return state;
  }

  private isActive(state: TenantState, now: number): boolean {
    return state.inflight > 0 || now - state.lastArrivalMs <= this.activeMs;
  }
}

function shareOf(limit: number, weight: number, activeWeight: number): number {
  return Math.max(1, Math.floor((limit * weight) / activeWeight));
}
