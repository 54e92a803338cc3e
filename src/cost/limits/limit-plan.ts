/**
 * What one request adds to which counters, as pure functions: the checks for its tenant's
 * and its key's limits, the refusal when one is over, the warnings past a soft ratio, and
 * the corrections once its real usage is known. Spend is counted in whole billionths of
 * the budget's unit, as the ledger charges, and only for costs in that unit.
 */
import { SluiceError } from '../../core/errors.ts';
import { NANOS_PER_UNIT } from '../ledger/charge.ts';
import type { LimitsConfig } from './limits-config.ts';
import type { CounterCheck, CounterDelta } from './limit-store.ts';
import { windowOf, type WindowKind } from './windows.ts';

export type LimitName = 'requests_per_minute' | 'tokens_per_minute' | 'spend_per_day' | 'spend_per_month';

/** Whose limits: a tenant's (all its keys together) or one key's. */
export interface LimitScope {
  readonly kind: 'tenant' | 'key';
  readonly id: string;
  readonly limits: LimitsConfig;
}

/** A request's usage, estimated before it runs or real once it ended: its cost in each unit it was charged in. */
export interface Usage {
  readonly tokens: number;
  /** Billionths of each unit; a budget counts only its own (a model may cost compute-units, another USD). */
  readonly costNanos: Readonly<Record<string, number>>;
}

export const NO_USAGE: Usage = Object.freeze({ tokens: 0, costNanos: Object.freeze({}) });

/** Two usages together, each unit's cost summed. */
export function addUsage(a: Usage, b: Usage): Usage {
  const costNanos: Record<string, number> = { ...a.costNanos };
  for (const [unit, nanos] of Object.entries(b.costNanos)) costNanos[unit] = (costNanos[unit] ?? 0) + nanos;
  return { tokens: a.tokens + b.tokens, costNanos };
}

export interface PlannedCheck extends CounterCheck {
  readonly scope: LimitScope;
  readonly name: LimitName;
  readonly softAt: number;
  /** The limit this process enforces alone while the shared store is unreachable (fail_open). */
  readonly localLimit: number;
}

const WINDOWS: Record<LimitName, WindowKind> = {
  requests_per_minute: 'minute',
  tokens_per_minute: 'minute',
  spend_per_day: 'day',
  spend_per_month: 'month',
};

export function planChecks(scopes: readonly LimitScope[], estimate: Usage, nowMs: number): PlannedCheck[] {
  const checks: PlannedCheck[] = [];
  for (const scope of scopes) {
    const { limits } = scope;
    const add = (name: LimitName, limit: number | undefined, amount: number) => {
      if (limit === undefined) return;
      const window = windowOf(WINDOWS[name], nowMs);
      const unit = name.startsWith('spend') ? `:${limits.spend_unit ?? ''}` : '';
      checks.push({
        key: `${scope.kind}:${scope.id}:${name}${unit}:${window.startMs}`,
        amount,
        limit,
        expiresAtMs: window.endMs,
        scope,
        name,
        softAt: limit * limits.soft_ratio,
        localLimit: Math.floor(limit * limits.fail_open_share),
      });
    };
    add('requests_per_minute', limits.requests_per_minute, 1);
    if (estimate.tokens > 0) add('tokens_per_minute', limits.tokens_per_minute, estimate.tokens);
    const cost = limits.spend_unit === undefined ? undefined : estimate.costNanos[limits.spend_unit];
    if (cost !== undefined) {
      add('spend_per_day', nanos(limits.spend_per_day), cost);
      add('spend_per_month', nanos(limits.spend_per_month), cost);
    }
  }
  return checks;
}

/** The 429 for a check that would go over: which limit, of whom, and when its window resets. */
export function refusal(check: PlannedCheck, nowMs: number): SluiceError {
  const { scope, name, limit, amount } = check;
  const budget = name.startsWith('spend');
  const shown = budget ? `${limit / NANOS_PER_UNIT} ${scope.limits.spend_unit ?? ''}` : String(limit);
  const retryAfterMs = Math.max(0, check.expiresAtMs - nowMs);
  const alone = amount > limit ? `; this request alone (${shown.replace(/^[\d.]+/, measure(check))}) exceeds it` : '';
  const message =
    `${scope.kind} "${scope.id}" is over its ${name} ${budget ? 'budget' : 'limit'} of ${shown}${alone}; ` +
    `it resets in ${Math.ceil(retryAfterMs / 1000)} s`;
  return new SluiceError(budget ? 'ERR_BUDGET_EXCEEDED' : 'ERR_RATE_LIMITED', message, { retryAfterMs });
}

function measure(check: PlannedCheck): string {
  return String(check.name.startsWith('spend') ? check.amount / NANOS_PER_UNIT : check.amount);
}

export interface SoftWarning {
  readonly check: PlannedCheck;
  readonly used: number;
}

/** The checks whose counters reached their soft ratio once this request reserved. */
export function softWarnings(checks: readonly PlannedCheck[], used: readonly number[]): SoftWarning[] {
  return checks.flatMap((check, index) => {
    const value = used[index] ?? 0;
    return value >= check.softAt ? [{ check, used: value }] : [];
  });
}

/** `x-sluice-budget-warning`: each limit past its soft ratio, with the share of it used. */
export function warningText(warnings: readonly SoftWarning[]): string {
  return warnings
    .map(({ check, used }) => {
      const share = Math.floor((100 * used) / check.limit);
      return `${check.scope.kind}=${check.scope.id}; limit=${check.name}; used=${share}%`;
    })
    .join(', ');
}

/** The corrections from what was reserved to what the request really used. */
export function settlement(checks: readonly PlannedCheck[], actual: Usage): CounterDelta[] {
  const deltas: CounterDelta[] = [];
  for (const check of checks) {
    const real = actualAmount(check, actual);
    if (real !== check.amount) deltas.push({ key: check.key, delta: real - check.amount });
  }
  return deltas;
}

function actualAmount(check: PlannedCheck, actual: Usage): number {
  if (check.name === 'requests_per_minute') return 1;
  if (check.name === 'tokens_per_minute') return actual.tokens;
  const unit = check.scope.limits.spend_unit;
  return unit === undefined ? 0 : (actual.costNanos[unit] ?? 0);
}

function nanos(amount: number | undefined): number | undefined {
  return amount === undefined ? undefined : Math.round(amount * NANOS_PER_UNIT);
}
