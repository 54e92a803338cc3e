/**
 * What the validate stage changed in a request's items before the model read them, so
 * data quality can tell adjusted traffic apart: per request field, how many values were
 * imputed, defaulted, clamped, converted or normalised, and what the model's partial-data
 * policy did with the items that lacked fields.
 */

export type AdjustmentKind = 'imputed' | 'defaulted' | 'clamped' | 'converted' | 'normalized';

export const ADJUSTMENT_KINDS: readonly AdjustmentKind[] = [
  'imputed',
  'defaulted',
  'clamped',
  'converted',
  'normalized',
];

export type FieldAdjustments = Record<AdjustmentKind, number>;

/** `imputed`: answered with fields filled; `rejected`: refused for fields missing; `fallback`: sent to the fallback model. */
export type PartialDataOutcome = 'imputed' | 'rejected' | 'fallback';

export interface ModelAdjustments {
  readonly model: string;
  readonly version: string;
  /** Per request field that was adjusted in at least one item. */
  readonly fields: ReadonlyMap<string, Readonly<FieldAdjustments>>;
  /** Items with fields missing, and what became of them; undefined when every item was whole. */
  readonly partial:
    { readonly policy: string; readonly outcome: PartialDataOutcome; readonly items: number } | undefined;
}

export function noAdjustments(): FieldAdjustments {
  return { imputed: 0, defaulted: 0, clamped: 0, converted: 0, normalized: 0 };
}
