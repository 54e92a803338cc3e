/**
 * The validate stage of a local model: a request's items normalised as `model.yaml`
 * declares, then checked lazily against the fields' schemas, then, when only missing
 * fields broke a rule, handed to the model's partial-data policy. A model that declares
 * no normalisation and keeps the default policy (`reject`) has no normaliser: checking its
 * items costs what it cost before, plus one null check.
 *
 *   items ─► normalise (unicode, whitespace, case, unit, clamp; fill under impute)
 *         ─► schema check (every failure of every item)
 *         ─► none: checked │ only missing fields and policy fallback: fallback │ else: 400
 */
import type { ModelAdjustments } from '../../../pipeline/adjustments.ts';
import type { Item, ItemLabel } from '../../../pipeline/request.ts';
import type { Fill } from '../normalize/fill-values.ts';
import { makeItemNormalizer, type NormalizedItems } from '../normalize/item-normalizer.ts';
import { checkItemCount, makeItemValidator, requestError } from './item-validator.ts';
import type { ModelSpec } from './model-spec.ts';

export type CheckedItems =
  | {
      readonly kind: 'checked';
      readonly items: readonly Item[];
      /** Undefined when nothing was changed. */
      readonly adjustments: ModelAdjustments | undefined;
    }
  | {
      /** Items lack fields and the policy is `fallback`: `model` answers them. */
      readonly kind: 'fallback';
      readonly model: string;
      readonly items: readonly Item[];
      readonly adjustments: ModelAdjustments;
    };

export interface ItemChecker {
  /** Throws a SluiceError listing every failure of every item when the items cannot be served. */
  check(items: readonly Item[], label: ItemLabel): CheckedItems;
}

export function makeItemChecker(spec: ModelSpec, maxItems: number, fills: ReadonlyMap<string, Fill>): ItemChecker {
  const validator = makeItemValidator(spec, maxItems);
  const { policy, fallback_model: fallback } = spec.quality.partial_data;
  const normalizer = makeItemNormalizer(spec.inputs, policy, fills);
  const names = spec.inputs.map((input) => input.name);
  const adjusted = (normalized: NormalizedItems, partial: ModelAdjustments['partial']): ModelAdjustments => ({
    model: spec.name,
    version: spec.version,
    fields: normalized.fields,
    partial,
  });
  return {
    check(items, label) {
      if (normalizer === undefined) {
        validator.validate(items, label);
        return { kind: 'checked', items, adjustments: undefined };
      }
      checkItemCount(items, maxItems);
      const normalized = normalizer.normalize(items);
      const failures = validator.failures(normalized.items, label, normalized.failures);
      if (failures.length === 0) {
        const { filledItems } = normalized;
        if (normalized.fields.size === 0) return { kind: 'checked', items: normalized.items, adjustments: undefined };
        const partial = filledItems === 0 ? undefined : { policy, outcome: 'imputed' as const, items: filledItems };
        return { kind: 'checked', items: normalized.items, adjustments: adjusted(normalized, partial) };
      }
      if (policy === 'fallback' && fallback !== undefined && failures.every((failure) => failure.kind === 'missing')) {
        const lacking = normalized.items.filter((item) => names.some((name) => item[name] === undefined)).length;
        const partial = { policy, outcome: 'fallback' as const, items: lacking };
        return { kind: 'fallback', model: fallback, items: normalized.items, adjustments: adjusted(normalized, partial) };
      }
      throw requestError(failures);
    },
  };
}
