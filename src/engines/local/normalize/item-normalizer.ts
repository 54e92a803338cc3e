/**
 * A model's normalisation of its request items, compiled once from `model.yaml`: each
 * field's `normalize` rules, and what a missing field becomes under its partial-data
 * policy. `impute` fills a field that declares `fill`; under `impute` and `fallback` a
 * null counts as missing, so the checker names it as such. An item is copied only when a
 * value changes. A model declaring none of it gets no normaliser at all.
 */
import { noAdjustments, type AdjustmentKind, type FieldAdjustments } from '../../../pipeline/adjustments.ts';
import { nullsAreMissing } from '../../../pipeline/model-description.ts';
import type { Item } from '../../../pipeline/request.ts';
import { compileField, type FieldNormalizer } from './field-normalizer.ts';
import type { NormalizeSpec, PartialDataPolicy } from './field-rules-spec.ts';
import type { Fill } from './fill-values.ts';

export interface NormalizeFailure {
  /** The field's own path inside the item, e.g. `weight.unit`. */
  readonly path: string;
  readonly input: string;
  readonly rule: string;
}

export interface NormalizedItems {
  readonly items: readonly Item[];
  /** Per item with a failure; undefined when none has one. */
  readonly failures: ReadonlyMap<number, readonly NormalizeFailure[]> | undefined;
  /** Per field adjusted in at least one item. */
  readonly fields: ReadonlyMap<string, Readonly<FieldAdjustments>>;
  /** Items that had a field filled. */
  readonly filledItems: number;
}

export interface ItemNormalizer {
  normalize(items: readonly Item[]): NormalizedItems;
}

interface FieldPlan {
  readonly name: string;
  readonly normalize: FieldNormalizer | undefined;
  readonly fill: Fill | undefined;
}

interface NormalizerInput {
  readonly name: string;
  readonly normalize?: NormalizeSpec | undefined;
}

export function makeItemNormalizer(
  inputs: readonly NormalizerInput[],
  policy: PartialDataPolicy,
  fills: ReadonlyMap<string, Fill>,
): ItemNormalizer | undefined {
  const nullIsMissing = nullsAreMissing(policy);
  const plans: FieldPlan[] = inputs
    .map((input) => ({
      name: input.name,
      normalize: input.normalize === undefined ? undefined : compileField(input.normalize),
      fill: policy === 'impute' ? fills.get(input.name) : undefined,
    }))
    .filter((plan) => nullIsMissing || plan.normalize !== undefined || plan.fill !== undefined);
  if (plans.length === 0) return undefined;
  return { normalize: (items) => normalizeItems(items, plans, nullIsMissing) };
}

function normalizeItems(items: readonly Item[], plans: readonly FieldPlan[], nullIsMissing: boolean): NormalizedItems {
  const fields = new Map<string, FieldAdjustments>();
  let failures: Map<number, NormalizeFailure[]> | undefined;
  let filledItems = 0;
  let field = '';
  let index = 0;
  const sink = {
    adjusted(kind: AdjustmentKind) {
      let counts = fields.get(field);
      if (counts === undefined) fields.set(field, (counts = noAdjustments()));
      counts[kind] += 1;
    },
    failed(suffix: string, rule: string) {
      failures ??= new Map();
      const list = failures.get(index) ?? [];
      list.push({ path: `${field}${suffix}`, input: field, rule });
      failures.set(index, list);
    },
  };
  const normalized = items.map((item, at) => {
    index = at;
    let copy: Record<string, unknown> | undefined;
    let filled = false;
    for (const plan of plans) {
      field = plan.name;
      const value = item[plan.name];
      if (value === undefined || (value === null && nullIsMissing)) {
        if (plan.fill !== undefined) {
          (copy ??= { ...item })[plan.name] = plan.fill.value;
          sink.adjusted(plan.fill.kind);
          filled = true;
        } else if (value === null) delete (copy ??= { ...item })[plan.name];
        continue;
      }
      if (plan.normalize === undefined) continue;
      const next = plan.normalize(value, sink);
      if (next !== value) (copy ??= { ...item })[plan.name] = next;
    }
    if (filled) filledItems += 1;
    return copy ?? item;
  });
  return { items: normalized, failures, fields, filledItems };
}
