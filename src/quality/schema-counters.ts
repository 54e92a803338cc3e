/**
 * Schema drift of one window: per request field, how many items broke its rule (missing,
 * unknown to the model, or invalid: a wrong type, out of range, a value not among the
 * declared categories), from the failures of lazily checked requests. A field's rate over
 * the window's items above `BAND` is flagged, with the time its first failure was seen.
 */
import type { RequestFailure } from '../core/errors.ts';

/** Healthy traffic breaks no rule: a field failing for more than 1% of the items is flagged. */
export const SCHEMA_BAND = 0.01;
/** Unknown field names come from clients: at most this many are counted by name. */
const MAX_FIELDS = 64;
const OTHER_FIELDS = '(other fields)';

export interface SchemaFieldReport {
  readonly field: string;
  readonly missing: number;
  readonly unknown: number;
  readonly invalid: number;
  /** Items with this field broken / items in the window. */
  readonly rate: number;
  readonly band: number;
  readonly flagged: boolean;
  readonly first_seen: string;
}

export interface SchemaReport {
  /** Items seen: those answered, and those of refused requests that broke a rule. */
  readonly items: number;
  readonly fields: readonly SchemaFieldReport[];
}

interface FieldCounts {
  missing: number;
  unknown: number;
  invalid: number;
  readonly firstSeen: number;
}

export class SchemaCounters {
  private items = 0;
  private readonly fields = new Map<string, FieldCounts>();

  accepted(items: number): void {
    this.items += items;
  }

  /** A refused request's failures: its failing items count as seen, each field's failures as broken. */
  rejected(failures: readonly RequestFailure[], now: number): void {
    const failingItems = new Set<string>();
    for (const failure of failures) {
      if (failure.schema === undefined) continue;
      const { input, kind } = failure.schema;
      const at = failure.field.lastIndexOf(`.${input}`);
      failingItems.add(at === -1 ? failure.field : failure.field.slice(0, at));
      const name = this.fields.has(input) || this.fields.size < MAX_FIELDS ? input : OTHER_FIELDS;
      const counts = this.fields.get(name) ?? { missing: 0, unknown: 0, invalid: 0, firstSeen: now };
      counts[kind] += 1;
      this.fields.set(name, counts);
    }
    this.items += failingItems.size;
  }

  report(): SchemaReport {
    const fields = [...this.fields].map(([field, counts]) => {
      const broken = counts.missing + counts.unknown + counts.invalid;
      const rate = this.items === 0 ? 0 : Math.min(1, broken / this.items);
      return {
        field,
        missing: counts.missing,
        unknown: counts.unknown,
        invalid: counts.invalid,
        rate,
        band: SCHEMA_BAND,
        flagged: rate > SCHEMA_BAND,
        first_seen: new Date(counts.firstSeen).toISOString(),
      };
    });
    return { items: this.items, fields };
  }
}
