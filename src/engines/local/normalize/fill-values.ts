/**
 * The value each field declaring `fill` takes when an item lacks it, settled when the
 * model loads, and again when a reference is captured from live traffic (ServedModel's
 * `fillsFrom`): a constant (counted as `defaulted`), or the version's reference
 * profile's lower median for a number and most frequent value for a category (counted as
 * `imputed`). The lower median is a value the reference holds, so an integer field gets
 * an integer. Every fill must pass its field's schema, or the model does not load.
 */
import { Ajv } from 'ajv';
import type { ReferenceFeature, ReferenceProfile } from '../../../quality/reference-profile.ts';
import type { FieldRuleIssue, FillSpec, NormalizeSpec } from './field-rules-spec.ts';
import { fieldSchema } from './field-normalizer.ts';

export interface Fill {
  readonly value: unknown;
  readonly kind: 'imputed' | 'defaulted';
}

interface FillInput {
  readonly name: string;
  readonly datatype: string;
  readonly schema?: Readonly<Record<string, unknown>> | undefined;
  readonly normalize?: NormalizeSpec | undefined;
  readonly fill?: FillSpec | undefined;
}

export interface ResolvedFills {
  readonly fills: ReadonlyMap<string, Fill>;
  readonly issues: readonly FieldRuleIssue[];
}

const ajv = new Ajv({ strict: false });

/** `reference` is read only when a field fills from it. */
export function resolveFills(
  inputs: readonly FillInput[],
  reference: () => ReferenceProfile | undefined,
): ResolvedFills {
  const fills = new Map<string, Fill>();
  const issues: FieldRuleIssue[] = [];
  inputs.forEach((input, index) => {
    const { fill } = input;
    if (fill === undefined) return;
    const path = ['inputs', index, 'fill'];
    const resolved =
      'value' in fill ? { value: fill.value, kind: 'defaulted' as const } : fromReference(input, reference);
    if (typeof resolved === 'string') return issues.push({ path, message: resolved });
    const check = ajv.compile(fieldSchema(input.schema, input.normalize));
    if (!check(resolved.value)) {
      const rule = check.errors?.[0]?.message ?? 'is invalid';
      return issues.push({ path, message: `${JSON.stringify(resolved.value)} breaks the field's schema: ${rule}` });
    }
    fills.set(input.name, resolved);
  });
  return { fills, issues };
}

/** The fill, or why the reference cannot give one. */
function fromReference(input: FillInput, reference: () => ReferenceProfile | undefined): Fill | string {
  const profile = reference();
  if (profile === undefined)
    return 'from reference, but the version has no reference profile (sluice profile makes one)';
  const feature = profile.features[input.name];
  if (feature === undefined) return `from reference, but the reference profile has no feature "${input.name}"`;
  const value = typical(feature);
  if (value === undefined) return `from reference, but the reference profile holds no value of "${input.name}"`;
  return { value: typedAs(input, value), kind: 'imputed' };
}

/** The lower median of numbers; the most frequent category, the first by name on a tie. */
export function typical(feature: ReferenceFeature): number | string | undefined {
  if (feature.kind === 'numeric') {
    const sorted = feature.values.filter(Number.isFinite).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }
  let best: [string, number] | undefined;
  for (const entry of Object.entries(feature.counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (best === undefined || entry[1] > best[1]) best = entry;
  }
  return best?.[0];
}

/** Reference categories are strings: a boolean or number field's mode is read back as one. */
function typedAs(input: FillInput, value: number | string): unknown {
  if (typeof value === 'number') return value;
  if (input.datatype === 'BOOL') return value === 'true';
  if (input.datatype !== 'BYTES' && Number.isFinite(Number(value))) return Number(value);
  return value;
}
