/**
 * Adjusted traffic of one window: per request field, the values the validate stage
 * imputed, defaulted, clamped, converted or normalised before the model read them, and
 * the items with fields missing by what the model's partial-data policy did with them
 * (imputed and answered, rejected, or sent to the fallback model). Field names are the
 * model's declared fields, so they are bounded.
 */
import type { RequestFailure } from '../core/errors.ts';
import {
  ADJUSTMENT_KINDS,
  noAdjustments,
  type FieldAdjustments,
  type ModelAdjustments,
  type PartialDataOutcome,
} from '../pipeline/adjustments.ts';

export interface AdjustmentsReport {
  readonly fields: ReadonlyArray<{ readonly field: string } & Readonly<FieldAdjustments>>;
  /** Items with fields missing, by outcome, under the model's policy. */
  readonly partial_data: { readonly policy: string } & Readonly<Record<PartialDataOutcome, number>>;
}

export class AdjustmentCounters {
  private readonly fields = new Map<string, FieldAdjustments>();
  private readonly partial: Record<PartialDataOutcome, number> = { imputed: 0, rejected: 0, fallback: 0 };

  constructor(private readonly policy: string) {}

  /** What validation changed in an answered request's items. */
  adjusted(adjustments: ModelAdjustments): void {
    for (const [field, counts] of adjustments.fields) {
      let total = this.fields.get(field);
      if (total === undefined) this.fields.set(field, (total = noAdjustments()));
      for (const kind of ADJUSTMENT_KINDS) total[kind] += counts[kind];
    }
    if (adjustments.partial !== undefined) this.partial[adjustments.partial.outcome] += adjustments.partial.items;
  }

  /** A refused request: its items that lacked a field were rejected; their count. */
  rejected(failures: readonly RequestFailure[]): number {
    const items = missingItems(failures);
    this.partial.rejected += items;
    return items;
  }

  report(): AdjustmentsReport {
    return {
      fields: [...this.fields].map(([field, counts]) => ({ field, ...counts })),
      partial_data: { policy: this.policy, ...this.partial },
    };
  }
}

/** The items a refused request's failures say lack a field. */
export function missingItems(failures: readonly RequestFailure[]): number {
  const items = new Set<string>();
  for (const failure of failures) {
    if (failure.schema?.kind !== 'missing') continue;
    items.add(failure.field.slice(0, failure.field.length - failure.schema.input.length - 1));
  }
  return items.size;
}
