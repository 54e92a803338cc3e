/**
 * Adjusted traffic in /metrics: per model version and request field, the values the
 * validate stage imputed, defaulted, clamped, converted or normalised, and per model
 * version the items with fields missing by partial-data policy and outcome. Counters, so
 * a dashboard reads the share of imputed traffic as a rate against the requests' own.
 */
import { Counter, type Registry } from 'prom-client';
import { ADJUSTMENT_KINDS, type ModelAdjustments } from '../pipeline/adjustments.ts';

export function adjustmentExporter(registry: Registry): (adjustments: ModelAdjustments) => void {
  const fields = new Counter({
    name: 'sluice_quality_field_adjustments_total',
    help: 'Values of a request field changed before inference, by kind (imputed, defaulted, clamped, converted, normalized).',
    labelNames: ['model', 'version', 'field', 'kind'] as const,
    registers: [registry],
  });
  const partial = new Counter({
    name: 'sluice_quality_partial_data_items_total',
    help: "Items with request fields missing, by the model's partial-data policy and what became of them (imputed, rejected, fallback).",
    labelNames: ['model', 'version', 'policy', 'outcome'] as const,
    registers: [registry],
  });
  return ({ model, version, fields: adjusted, partial: outcome }) => {
    for (const [field, counts] of adjusted) {
      for (const kind of ADJUSTMENT_KINDS) {
        if (counts[kind] > 0) fields.inc({ model, version, field, kind }, counts[kind]);
      }
    }
    if (outcome !== undefined) {
      const { policy, items } = outcome;
      partial.inc({ model, version, policy, outcome: outcome.outcome }, items);
    }
  };
}
