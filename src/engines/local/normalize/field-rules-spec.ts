/**
 * What `model.yaml` may declare about a request field beyond its JSON schema: how its
 * value is normalised before the model sees it (`normalize`), how it is filled when it is
 * missing (`fill`), and, per model, what happens to items with fields missing
 * (`quality.partial_data`). docs/model-yaml.md#normalisation-and-partial-data.
 */
import { z } from 'zod';

const RangeSpec = z
  .strictObject({
    min: z.number().optional(),
    max: z.number().optional(),
    /** `clamp` moves a value outside to the nearest bound; `reject` answers 400 naming the bound. */
    out_of_range: z.enum(['clamp', 'reject']),
  })
  .refine((range) => range.min !== undefined || range.max !== undefined, 'declare min, max or both')
  .refine((range) => range.min === undefined || range.max === undefined || range.min <= range.max, {
    message: 'min exceeds max',
    path: ['min'],
  });
export type RangeSpec = z.infer<typeof RangeSpec>;

const unitName = z.string().regex(/^[A-Za-z][A-Za-z0-9_/%-]*$/, 'a unit name: letters, digits, "_", "/", "%" or "-"');

const UnitSpec = z
  .strictObject({
    /** The unit the model was trained in; a bare number is read in it. */
    canonical: unitName,
    /** Other units a client may send, each with its factor: canonical value = value × factor. */
    accept: z.record(unitName, z.number().positive()).default({}),
  })
  .refine((unit) => !(unit.canonical in unit.accept), { message: 'lists the canonical unit', path: ['accept'] });
export type UnitSpec = z.infer<typeof UnitSpec>;

export const NormalizeSpec = z
  .strictObject({
    /** Strings: Unicode normal form (NFKC also folds full-width and compatibility characters). */
    unicode: z.enum(['NFC', 'NFKC']).optional(),
    /** Strings: `trim` the ends; `collapse` also turns every inner run of white space into one space. */
    whitespace: z.enum(['trim', 'collapse']).optional(),
    case: z.enum(['lower', 'upper']).optional(),
    /** Numbers: the unit a value is sent in, converted to the canonical one. */
    unit: UnitSpec.optional(),
    /** Numbers, after any unit conversion. */
    range: RangeSpec.optional(),
  })
  .refine((rules) => Object.values(rules).some((rule) => rule !== undefined), 'declares no rule');
export type NormalizeSpec = z.infer<typeof NormalizeSpec>;

/** A missing field's value: a constant, or the version's reference profile's median (numbers) or mode (categories). */
export const FillSpec = z.union([
  z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]) }),
  z.strictObject({ from: z.literal('reference') }),
]);
export type FillSpec = z.infer<typeof FillSpec>;

export const PartialDataSpec = z.strictObject({
  /** `reject`: 400 listing every missing field; `impute`: fill what `fill` declares; `fallback`: ask `fallback_model`. */
  policy: z.enum(['reject', 'impute', 'fallback']).default('reject'),
  fallback_model: z.string().min(1).optional(),
});
export type PartialDataSpec = z.infer<typeof PartialDataSpec>;
export type PartialDataPolicy = PartialDataSpec['policy'];

export const ModelQualitySpec = z.strictObject({
  partial_data: PartialDataSpec.prefault({}),
});

/** The part of a model spec the cross-key checks read. */
interface FieldRulesSpec {
  readonly name: string;
  readonly inputs: ReadonlyArray<{
    readonly name: string;
    readonly datatype: string;
    readonly schema?: Readonly<Record<string, unknown>> | undefined;
    readonly normalize?: NormalizeSpec | undefined;
    readonly fill?: FillSpec | undefined;
  }>;
  readonly quality?: { readonly partial_data: PartialDataSpec } | undefined;
}

export interface FieldRuleIssue {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

const STRING_TYPES = new Set(['BYTES']);
const NUMBER_TYPES = new Set(['FP32', 'FP64', 'INT32', 'INT64']);
const INTEGER_TYPES = new Set(['INT32', 'INT64']);

/** Rules that contradict the field they are on, or the model's policy: each with its key. */
export function fieldRuleIssues(spec: FieldRulesSpec): FieldRuleIssue[] {
  const issues: FieldRuleIssue[] = [];
  const partial = spec.quality?.partial_data ?? { policy: 'reject' as const };
  spec.inputs.forEach((input, index) => {
    const at = (...path: Array<string | number>) => ['inputs', index, ...path];
    const { normalize, datatype } = input;
    const stringRule = normalize?.unicode ?? normalize?.whitespace ?? normalize?.case;
    if (stringRule !== undefined && !STRING_TYPES.has(datatype))
      issues.push({ path: at('normalize'), message: `string rules apply to BYTES fields, not ${datatype}` });
    if ((normalize?.unit ?? normalize?.range) !== undefined && !NUMBER_TYPES.has(datatype))
      issues.push({ path: at('normalize'), message: `unit and range apply to number fields, not ${datatype}` });
    if (normalize?.unit !== undefined && INTEGER_TYPES.has(datatype))
      issues.push({
        path: at('normalize', 'unit'),
        message: `a converted value is rarely whole: ${datatype} fields take no unit`,
      });
    const range = normalize?.range;
    if (range !== undefined && INTEGER_TYPES.has(datatype) && ![range.min ?? 0, range.max ?? 0].every(Number.isInteger))
      issues.push({ path: at('normalize', 'range'), message: `the bounds of a ${datatype} field are whole numbers` });
    if (range?.out_of_range === 'clamp') issues.push(...clampIssues(range, input.schema, at('normalize', 'range')));
    if (input.fill !== undefined && partial.policy !== 'impute')
      issues.push({
        path: at('fill'),
        message: `is used by quality.partial_data.policy impute, not ${partial.policy}`,
      });
  });
  issues.push(...policyIssues(spec, partial));
  return issues;
}

/** A clamped value must then pass the field's schema: its bounds lie within the schema's. */
function clampIssues(
  range: RangeSpec,
  schema: Readonly<Record<string, unknown>> | undefined,
  path: Array<string | number>,
) {
  const issues: FieldRuleIssue[] = [];
  const minimum = schema?.['minimum'];
  const maximum = schema?.['maximum'];
  if (typeof minimum === 'number' && range.min !== undefined && range.min < minimum)
    issues.push({ path: [...path, 'min'], message: `clamping must not go below the schema's minimum ${minimum}` });
  if (typeof maximum === 'number' && range.max !== undefined && range.max > maximum)
    issues.push({ path: [...path, 'max'], message: `clamping must not go above the schema's maximum ${maximum}` });
  return issues;
}

function policyIssues(spec: FieldRulesSpec, partial: PartialDataSpec): FieldRuleIssue[] {
  const path = ['quality', 'partial_data'];
  if (partial.policy === 'fallback') {
    if (partial.fallback_model === undefined)
      return [{ path: [...path, 'fallback_model'], message: 'policy fallback names the model to ask' }];
    if (partial.fallback_model === spec.name)
      return [{ path: [...path, 'fallback_model'], message: 'a model cannot fall back to itself' }];
    return [];
  }
  if (partial.fallback_model !== undefined)
    return [{ path: [...path, 'fallback_model'], message: `is used by policy fallback, not ${partial.policy}` }];
  if (partial.policy === 'impute' && spec.inputs.every((input) => input.fill === undefined))
    return [{ path: [...path, 'policy'], message: 'impute, but no input declares fill' }];
  return [];
}
