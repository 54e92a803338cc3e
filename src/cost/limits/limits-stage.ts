/**
 * Rate limits and budgets as two pipeline stages. `reserve` (the limits slot, before the
 * cache and dispatch) estimates the request, plans its counters and reserves them all in
 * one atomic step, refusing with 429 when one would go over; `settle` (the observe slot)
 * corrects each counter to the request's real usage once it is known, as the ledger
 * charges it: at once, or when a stream was relayed (what was sent, cut off included).
 * A refused or failed request gives its estimate back, but still counts as a request.
 */
import type { RequestContext } from '../../pipeline/context.ts';
import type { PipelineStage } from '../../pipeline/pipeline.ts';
import type { Caller } from '../../tenancy/tenant-directory.ts';
import type { Price } from '../ledger/ledger-config.ts';
import { chargeAnswer, type ChargeDeps } from '../ledger/ledger-stage.ts';
import { estimateUsage, usageOf } from './estimate.ts';
import type { LimitSettings } from './limits-config.ts';
import type { LimitMetrics } from './limits-metrics.ts';
import {
  addUsage,
  NO_USAGE,
  planChecks,
  refusal,
  settlement,
  softWarnings,
  warningText,
  type LimitScope,
  type PlannedCheck,
  type Usage,
} from './limit-plan.ts';
import type { ResilientLimitStore } from './resilient-limit-store.ts';

export interface LimitsStageDeps {
  /** The tenant's and the key's limits; empty for a caller with none (then nothing is counted). */
  readonly scopesOf: (caller: Caller) => readonly LimitScope[];
  readonly store: Pick<ResilientLimitStore, 'reserve'>;
  readonly settings: LimitSettings;
  readonly prices: ReadonlyMap<string, Price>;
  readonly metrics: LimitMetrics;
  readonly log: ChargeDeps['log'];
  readonly now: () => number;
}

interface Reservation {
  readonly checks: readonly PlannedCheck[];
  readonly settle: (usage: Usage) => void;
}

export function limitsStages(deps: LimitsStageDeps): { reserve: PipelineStage; settle: PipelineStage } {
  const reservations = new WeakMap<RequestContext, Reservation>();
  const taken = (context: RequestContext) => {
    const reservation = reservations.get(context);
    reservations.delete(context);
    return reservation;
  };
  return {
    reserve: {
      name: 'limits-reserve',
      run: async (context) => {
        const reservation = await reserve(deps, context);
        if (reservation !== undefined) reservations.set(context, reservation);
      },
    },
    settle: {
      name: 'limits-settle',
      run: (context) => {
        const reservation = taken(context);
        if (reservation === undefined) return;
        // Each model that ran is charged on its own (a cascade's stages, an embedding beside the
        // answer), some on a later turn: the reservation settles once, to their sum.
        const charges: Usage[] = [];
        let counting = true;
        const deferred = chargeAnswer(deps, context, (_context, _answer, charge) => {
          charges.push(usageOf(charge));
          if (!counting) reservation.settle(charges.reduce(addUsage, NO_USAGE));
        });
        counting = false;
        if (!deferred) reservation.settle(charges.reduce(addUsage, NO_USAGE));
      },
      rejected: (context) => taken(context)?.settle(NO_USAGE),
    },
  };
}

async function reserve(deps: LimitsStageDeps, context: RequestContext): Promise<Reservation | undefined> {
  const scopes = deps.scopesOf(context.caller);
  if (scopes.length === 0) return undefined;
  const estimate = await estimateUsage(context, deps.settings, deps.prices);
  const now = deps.now();
  const checks = planChecks(scopes, estimate, now);
  const reserved = await deps.store.reserve(checks);
  const { verdict } = reserved;
  if (!verdict.admitted) {
    const over = checks[verdict.refused] as PlannedCheck;
    deps.metrics.refusals.inc({ limit: over.name, scope: over.scope.kind });
    throw refusal(over, now);
  }
  const warnings = softWarnings(checks, verdict.used);
  if (warnings.length > 0) {
    context.budgetWarning = warningText(warnings);
    for (const { check } of warnings) deps.metrics.warnings.inc({ limit: check.name, scope: check.scope.kind });
  }
  return { checks, settle: (usage) => void reserved.settle(settlement(checks, usage)) };
}
