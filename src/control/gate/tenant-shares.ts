/**
 * Each tenant's share of the admission gate. The gate decides before a request's body is
 * read and keeps no queue, so without shares a flooding tenant would hold every permit and
 * a quiet tenant's requests would be refused with the flood's. While more than one tenant
 * is active, the gate tells the tenants apart by what they send:
 *
 *   rate(t)  = arrivals a second (refused ones too: each costs the server CPU), smoothed
 *              over windows of `windowMs`
 *   light(t) ⇔ rate(t) / weight(t) < ½ · Σ rate(active) / Σ weight(active)
 *   share(t) = max(1, ⌊limit · weight(t) / Σ weight(active)⌋)
 *   active   = holds permits, or arrived within the last `activeMs`
 *
 *   arrive(t) ─► no other tenant active   → 'alone': the gate as without tenants
 *             ├► light(t)                  → 'light': not shed for the loop's lag, any free permit
 *             ├► inflight(t) ≥ share(t)    → 'at_share': refused, guard "tenant_share"
 *             └► otherwise                 → 'heavy': the loop lag guard applies
 *
 * With auth off everyone is one tenant, always 'alone'. Why the light are spared, and why
 * the half: docs/design-notes.md.
 */
import type { Clock } from '../../core/clock.ts';

/** What the gate knows of a request's tenant: enough to weigh it. */
export interface TenantRef {
  readonly name: string;
  readonly weight: number;
}

/** How long after its last arrival a tenant with nothing in flight still counts as active. */
export const TENANT_ACTIVE_MS = 1_000;
/** Arrival rates are measured over windows this long. */
export const RATE_WINDOW_MS = 250;
/** A light tenant sends less than this fraction of the active tenants' mean rate for its weight. */
const LIGHT_FRACTION_OF_MEAN = 0.5;
/** Each window's rate weighs this much against the smoothed rate before it. */
const RATE_SMOOTHING = 0.5;

export type ShareStanding = 'alone' | 'light' | 'at_share' | 'heavy';

interface TenantState {
  readonly weight: number;
  inflight: number;
  lastArrivalMs: number;
  arrivalsThisWindow: number;
  /** Arrivals a second, smoothed; undefined until a window has closed. */
  ratePerS: number | undefined;
  light: boolean;
}

/** A snapshot per tenant; numbers do not move after it is taken. */
export interface TenantShareStats {
  readonly inflight: number;
  readonly share: number;
  readonly active: boolean;
  readonly light: boolean;
  readonly arrivalsPerS: number;
}

export interface TenantSharesOptions {
  readonly activeMs?: number;
  readonly windowMs?: number;
}

export class TenantShares {
  private readonly tenants = new Map<string, TenantState>();
  private readonly activeMs: number;
  private readonly windowMs: number;
  private windowStartMs: number;

  constructor(
    private readonly clock: Clock,
    options: TenantSharesOptions = {},
  ) {
    this.activeMs = options.activeMs ?? TENANT_ACTIVE_MS;
    this.windowMs = options.windowMs ?? RATE_WINDOW_MS;
    this.windowStartMs = clock.now();
  }

  /** Notes the arrival of a request from `tenant` and says where it stands against `limit`. */
  arrive(tenant: TenantRef, limit: number): ShareStanding {
    const now = this.clock.now();
    if (now - this.windowStartMs >= this.windowMs) this.closeWindow(now);
    const state = this.stateOf(tenant, now);
    state.lastArrivalMs = now;
    state.arrivalsThisWindow += 1;
    if (this.tenants.size === 1) return 'alone';
    let activeWeight = 0;
    let others = false;
    for (const other of this.tenants.values()) {
      if (!this.isActive(other, now)) continue;
      activeWeight += other.weight;
      if (other !== state) others = true;
    }
    if (!others) return 'alone';
    if (state.light) return 'light';
    return state.inflight >= shareOf(limit, state.weight, activeWeight) ? 'at_share' : 'heavy';
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
      snapshot[name] = {
        inflight: state.inflight,
        share: active ? shareOf(limit, state.weight, activeWeight) : 0,
        active,
        light: state.light,
        arrivalsPerS: state.ratePerS ?? 0,
      };
    }
    return snapshot;
  }

  /** Folds the window's arrivals into each tenant's rate and says again who is light. */
  private closeWindow(now: number): void {
    const seconds = (now - this.windowStartMs) / 1000;
    this.windowStartMs = now;
    let activeRate = 0;
    let activeWeight = 0;
    for (const state of this.tenants.values()) {
      const rate = state.arrivalsThisWindow / seconds;
      state.arrivalsThisWindow = 0;
      state.ratePerS =
        state.ratePerS === undefined ? rate : RATE_SMOOTHING * rate + (1 - RATE_SMOOTHING) * state.ratePerS;
      if (!this.isActive(state, now)) continue;
      activeRate += state.ratePerS;
      activeWeight += state.weight;
    }
    const meanPerWeight = activeWeight > 0 ? activeRate / activeWeight : 0;
    for (const state of this.tenants.values())
      state.light = (state.ratePerS ?? 0) / state.weight < LIGHT_FRACTION_OF_MEAN * meanPerWeight;
  }

  private stateOf(tenant: TenantRef, now: number): TenantState {
    let state = this.tenants.get(tenant.name);
    if (state === undefined) {
      state = {
        weight: tenant.weight,
        inflight: 0,
        lastArrivalMs: now,
        arrivalsThisWindow: 0,
        ratePerS: undefined,
        light: false,
      };
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
