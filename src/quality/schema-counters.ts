/**
 * Schema drift of one window: per request field, how many items broke its rule, by kind
 * (missing, unknown to the model, null, a wrong type, out of its range, a category not
 * declared, another rule), from the failures of lazily checked requests; and how many had
 * the field missing but filled in (a default or an imputed value, model.yaml's policy). A
 * field's rate over the window's items is compared with its band, made from the reference
 * data's missing rate for that field (0 for a field the reference always had) plus a
 * tolerance: at least `SCHEMA_BAND`, wider for a small window (three binomial standard
 * deviations). Above the band the field is flagged, with the time its first failure was seen.
 */
import { SCHEMA_FAILURE_KINDS, type RequestFailure, type SchemaFailureKind } from '../core/errors.ts';

/** Healthy traffic breaks no rule: a field failing for more than 1% of the items above its reference rate is flagged. */
export const SCHEMA_BAND = 0.01;
/** Unknown field names come from clients: at most this many are counted by name. */
const MAX_FIELDS = 64;
const OTHER_FIELDS = '(other fields)';

/** What the reference data says of each field: of its `items`, how many lacked it. */
export interface SchemaBaseline {
  readonly items: number;
  readonly missing: Readonly<Record<string, number>>;
}

export type SchemaFieldReport = { readonly field: string } & Readonly<Record<SchemaFailureKind, number>> & {
    /** Items whose missing value was filled in (a default or an imputed value) and answered. */
    readonly filled: number;
    /** Items with this field broken or filled / items in the window. */
    readonly rate: number;
    /** The share of the reference's items that lacked the field; 0 without a baseline. */
    readonly reference_rate: number;
    readonly band: number;
    readonly flagged: boolean;
    readonly first_seen: string;
  };

export interface SchemaReport {
  /** Items seen: those answered, and those of refused requests that broke a rule. */
  readonly items: number;
  readonly fields: readonly SchemaFieldReport[];
}

type FieldCounts = Record<SchemaFailureKind | 'filled', number> & { readonly firstSeen: number };

export class SchemaCounters {
  private items = 0;
  private readonly fields = new Map<string, FieldCounts>();

  constructor(private readonly baseline?: SchemaBaseline) {}

  accepted(items: number): void {
    this.items += items;
  }

  /** An answered request's items whose `field` was missing and filled in (counted among its accepted items). */
  filled(field: string, items: number, now: number): void {
    if (items > 0) this.countsOf(field, now).filled += items;
  }

  /** A refused request's failures: its failing items count as seen, each field's failures as broken. */
  rejected(failures: readonly RequestFailure[], now: number): void {
    const failingItems = new Set<string>();
    for (const failure of failures) {
      if (failure.schema === undefined) continue;
      const { input, kind } = failure.schema;
      const at = failure.field.lastIndexOf(`.${input}`);
      failingItems.add(at === -1 ? failure.field : failure.field.slice(0, at));
      this.countsOf(input, now)[kind] += 1;
    }
    this.items += failingItems.size;
  }

  report(): SchemaReport {
    const fields = [...this.fields].map(([field, counts]) => {
      const broken = SCHEMA_FAILURE_KINDS.reduce((sum, kind) => sum + counts[kind], counts.filled);
      const rate = this.items === 0 ? 0 : Math.min(1, broken / this.items);
      const referenceRate = this.referenceRate(field);
      const band = schemaBand(referenceRate, this.items);
      const kinds = Object.fromEntries(SCHEMA_FAILURE_KINDS.map((kind) => [kind, counts[kind]]));
      return {
        field,
        ...(kinds as Record<SchemaFailureKind, number>),
        filled: counts.filled,
        rate,
        reference_rate: referenceRate,
        band,
        flagged: rate > band,
        first_seen: new Date(counts.firstSeen).toISOString(),
      };
    });
    return { items: this.items, fields };
  }

  private countsOf(input: string, now: number): FieldCounts {
    const name = this.fields.has(input) || this.fields.size < MAX_FIELDS ? input : OTHER_FIELDS;
    let counts = this.fields.get(name);
    if (counts === undefined) {
      const zeros = Object.fromEntries(SCHEMA_FAILURE_KINDS.map((kind) => [kind, 0]));
      counts = { ...(zeros as Record<SchemaFailureKind, number>), filled: 0, firstSeen: now };
      this.fields.set(name, counts);
    }
    return counts;
  }

  private referenceRate(field: string): number {
    const { baseline } = this;
    if (baseline === undefined || baseline.items === 0) return 0;
    return (baseline.missing[field] ?? 0) / baseline.items;
  }
}

/** The highest rate of a field in a window of `items` that still reads as the reference's `rate`. */
export function schemaBand(referenceRate: number, items: number): number {
  const spread = items === 0 ? 0 : 3 * Math.sqrt((referenceRate * (1 - referenceRate)) / items);
  return Math.min(1, referenceRate + Math.max(SCHEMA_BAND, spread));
}
