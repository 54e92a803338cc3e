/**
 * The ledger's metrics, read from its totals when Prometheus scrapes (nothing is counted on
 * the request path but the ledger's own map): cost, tokens, items, requests and cache hits
 * per tenant and model, and the writer's health. Keys and days are in /admin/usage, not
 * here: they would multiply the series.
 */
import { Counter, type Registry } from 'prom-client';
import { scrapeTimeCounter, scrapeTimeGauge } from '../../observe/scrape-time-metrics.ts';
import { NANOS_PER_UNIT } from './charge.ts';
import type { MetricTotal, UsageLedger } from './usage-ledger.ts';

export interface LedgerMetrics {
  readonly writes: Counter<'outcome'>;
}

export function ledgerMetrics(registry: Registry, ledger: UsageLedger): LedgerMetrics {
  const per = (read: (total: MetricTotal) => number) => () =>
    [...ledger.metricTotals()].map((total) => [{ tenant: total.tenant, model: total.model }, read(total)] as const);
  scrapeTimeCounter(registry, {
    name: 'sluice_cost_total',
    help: 'Cost of answered requests, in the unit of each model (its model.yaml cost.unit, or its price currency).',
    labelNames: ['tenant', 'model', 'unit'],
    read: () =>
      [...ledger.metricTotals()].map(
        (total) =>
          [{ tenant: total.tenant, model: total.model, unit: total.unit }, total.costNanos / NANOS_PER_UNIT] as const,
      ),
  });
  scrapeTimeCounter(registry, {
    name: 'sluice_usage_tokens_total',
    help: 'Tokens of answered requests to remote models, by direction (input: the prompt; output: generated).',
    labelNames: ['tenant', 'model', 'direction'],
    read: () =>
      [...ledger.metricTotals()].flatMap((total) => [
        [{ tenant: total.tenant, model: total.model, direction: 'input' }, total.inputTokens] as const,
        [{ tenant: total.tenant, model: total.model, direction: 'output' }, total.outputTokens] as const,
      ]),
  });
  const simple = [
    ['sluice_usage_requests_total', 'Answered requests the cost ledger charged.', (t: MetricTotal) => t.requests],
    [
      'sluice_usage_items_total',
      'Items of answered requests to local models (cached ones included).',
      (t: MetricTotal) => t.items,
    ],
    [
      'sluice_usage_cache_hits_total',
      'Requests answered without running the model (a cache hit, or coalesced): charged nothing.',
      (t: MetricTotal) => t.cacheHits,
    ],
  ] as const;
  for (const [name, help, read] of simple)
    scrapeTimeCounter(registry, { name, help, labelNames: ['tenant', 'model'], read: per(read) });
  scrapeTimeGauge(registry, {
    name: 'sluice_ledger_pending_rows',
    help: 'Cost ledger rows gathered in memory and not yet written to the state store.',
    read: () => [[{}, ledger.pendingRows]],
  });
  scrapeTimeCounter(registry, {
    name: 'sluice_ledger_dropped_total',
    help: 'Charges dropped because ledger.max_pending_rows rows were waiting (the store failing for long).',
    read: () => [[{}, ledger.dropped]],
  });
  const writes = new Counter({
    name: 'sluice_ledger_writes_total',
    help: 'Batches of cost ledger rows written to the state store, by outcome (written, failed: kept and retried).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { writes };
}
