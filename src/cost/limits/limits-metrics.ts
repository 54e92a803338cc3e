/** Metrics of rate limits and budgets: refusals and soft warnings per limit, and the shared store's failures. */
import { Counter, type Registry } from 'prom-client';

export interface LimitMetrics {
  readonly refusals: Counter<'limit' | 'scope'>;
  readonly warnings: Counter<'limit' | 'scope'>;
  readonly storeErrors: Counter<'operation'>;
  readonly localReservations: Counter;
}

export function limitMetrics(registry: Registry): LimitMetrics {
  return {
    refusals: new Counter({
      name: 'sluice_limit_refusals_total',
      help: 'Requests refused with 429 because a rate limit or budget was used up, by limit and scope (tenant or key).',
      labelNames: ['limit', 'scope'],
      registers: [registry],
    }),
    warnings: new Counter({
      name: 'sluice_limit_warnings_total',
      help: 'Answers sent with x-sluice-budget-warning (a limit past its soft_ratio), by limit and scope.',
      labelNames: ['limit', 'scope'],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'sluice_limit_store_errors_total',
      help: 'Failed operations on the shared limits store (Redis), by operation (reserve, settle).',
      labelNames: ['operation'],
      registers: [registry],
    }),
    localReservations: new Counter({
      name: 'sluice_limit_local_reservations_total',
      help: 'Requests counted in this process alone while the limits store was unreachable (fail_open).',
      registers: [registry],
    }),
  };
}
