/**
 * One request field's normalisation, compiled once from its `normalize` rules: strings
 * are put in a Unicode normal form, trimmed or collapsed, and cased; numbers are converted
 * from the unit they were sent in to the canonical one, then clamped into their range.
 * A value of the wrong type is left as it is, for the field's schema to refuse.
 *
 * A range that rejects is not checked here: its bounds are merged into the field's schema
 * (`fieldSchema`), so an out-of-range value is refused by the same rule, in the same words,
 * as any other bound.
 */
import type { AdjustmentKind } from '../../../pipeline/adjustments.ts';
import type { NormalizeSpec, RangeSpec, UnitSpec } from './field-rules-spec.ts';

/** Hears what a field's normalisation did to one value. */
export interface FieldSink {
  adjusted(kind: AdjustmentKind): void;
  /** The value breaks a rule; `suffix` extends the field's path (`.unit`). */
  failed(suffix: string, rule: string): void;
}

export type FieldNormalizer = (value: unknown, sink: FieldSink) => unknown;

export function compileField(rules: NormalizeSpec): FieldNormalizer {
  const text = compileText(rules);
  const { unit, range } = rules;
  const clamp = range?.out_of_range === 'clamp' ? range : undefined;
  if (text !== undefined) return text;
  return (value, sink) => {
    let number = unit === undefined ? value : inCanonicalUnit(value, unit, sink);
    if (clamp !== undefined && typeof number === 'number') number = clamped(number, clamp, sink);
    return number;
  };
}

/** The field's schema with a rejecting range's bounds merged in (the tighter of each pair). */
export function fieldSchema(
  schema: Readonly<Record<string, unknown>> | undefined,
  rules: NormalizeSpec | undefined,
): Readonly<Record<string, unknown>> {
  const range = rules?.range;
  if (range === undefined || range.out_of_range !== 'reject') return schema ?? {};
  const merged: Record<string, unknown> = { ...schema };
  const minimum = schema?.['minimum'];
  const maximum = schema?.['maximum'];
  if (range.min !== undefined)
    merged['minimum'] = typeof minimum === 'number' ? Math.max(minimum, range.min) : range.min;
  if (range.max !== undefined)
    merged['maximum'] = typeof maximum === 'number' ? Math.min(maximum, range.max) : range.max;
  return merged;
}

function compileText(rules: NormalizeSpec): FieldNormalizer | undefined {
  const steps: Array<(text: string) => string> = [];
  const { unicode, whitespace } = rules;
  if (unicode !== undefined) steps.push((text) => text.normalize(unicode));
  if (whitespace === 'trim') steps.push((text) => text.trim());
  if (whitespace === 'collapse') steps.push((text) => text.trim().replace(/\s+/gu, ' '));
  if (rules.case === 'lower') steps.push((text) => text.toLowerCase());
  if (rules.case === 'upper') steps.push((text) => text.toUpperCase());
  if (steps.length === 0) return undefined;
  return (value, sink) => {
    if (typeof value !== 'string') return value;
    let text = value;
    for (const step of steps) text = step(text);
    if (text !== value) sink.adjusted('normalized');
    return text;
  };
}

/**
 * A bare number is in the canonical unit; `{"value": 150, "unit": "lb"}` is converted.
 * Anything else is left for the schema to refuse.
 */
function inCanonicalUnit(value: unknown, unit: UnitSpec, sink: FieldSink): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const quantity = value as Readonly<Record<string, unknown>>;
  const keys = Object.keys(quantity);
  if (keys.length !== 2 || !('value' in quantity) || !('unit' in quantity)) {
    sink.failed('', 'must be a number or {"value": <number>, "unit": <unit>}');
    return value;
  }
  const amount = quantity['value'];
  const name = quantity['unit'];
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    sink.failed('.value', 'must be a number');
    return value;
  }
  if (name === unit.canonical) return amount;
  const factor = typeof name === 'string' && Object.hasOwn(unit.accept, name) ? unit.accept[name] : undefined;
  if (factor === undefined) {
    const accepted = [unit.canonical, ...Object.keys(unit.accept)].join(', ');
    sink.failed('.unit', `unit ${JSON.stringify(name)} is not accepted (${accepted})`);
    return value;
  }
  sink.adjusted('converted');
  return amount * factor;
}

function clamped(value: number, range: RangeSpec, sink: FieldSink): number {
  if (range.min !== undefined && value < range.min) {
    sink.adjusted('clamped');
    return range.min;
  }
  if (range.max !== undefined && value > range.max) {
    sink.adjusted('clamped');
    return range.max;
  }
  return value;
}
