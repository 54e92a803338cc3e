/**
 * A cascade's decisions, apart from the loop that runs the models: how sure a classifier
 * is of an item, which items go on to the next model, and the rows put back in item order.
 */
import type { Row } from '../../core/tensors.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';

/** The tasks whose rows are class probabilities: the only models a cascade can weigh. */
export const CLASSIFIER_TASKS: ReadonlySet<ModelDescription['task']> = new Set([
  'text-classification',
  'tabular-classification',
]);

/**
 * The probability of the class the model would answer: the largest of a text
 * classifier's probabilities; for a binary classifier's one probability p, max(p, 1 − p).
 */
export function topConfidence(row: Row, model: ModelDescription): number {
  const output = model.tensors.outputs[0];
  const tensor = output === undefined ? undefined : row[output.name];
  if (tensor === undefined || !CLASSIFIER_TASKS.has(model.task))
    throw new Error(`model "${model.name}" (${model.task}) gives no class probabilities to weigh`);
  const values = Array.from(tensor.data as ArrayLike<number>, Number);
  if (model.task === 'tabular-classification') {
    const p = values[0] ?? 0;
    return Math.max(p, 1 - p);
  }
  return values.reduce((best, value) => Math.max(best, value), -Infinity);
}

/** The label a text classifier answers an item with (its most probable class); undefined for other models. */
export function topLabel(row: Row, model: ModelDescription): string | undefined {
  const output = model.tensors.outputs[0];
  const tensor = output === undefined ? undefined : row[output.name];
  if (tensor === undefined || model.task !== 'text-classification' || model.labels === undefined) return undefined;
  const values = Array.from(tensor.data as ArrayLike<number>, Number);
  const best = values.reduce((top, value, index) => (value > (values[top] ?? -Infinity) ? index : top), 0);
  return model.labels[best];
}

/**
 * Which of a model's items it keeps and which go on: an item whose confidence is under
 * `minConfidence`, or whose answer `failsCheck` (its position), goes on; undefined (the
 * last model) keeps every one. Positions are indices into `confidences`.
 */
export function splitByConfidence(
  confidences: readonly number[],
  minConfidence: number | undefined,
  failsCheck: (position: number) => boolean = () => false,
): { readonly kept: number[]; readonly escalated: number[] } {
  const kept: number[] = [];
  const escalated: number[] = [];
  confidences.forEach((confidence, position) => {
    // NaN is never "sure enough": a model that lost its numbers is asked no further.
    const sure = minConfidence === undefined || (confidence >= minConfidence && !failsCheck(position));
    (sure ? kept : escalated).push(position);
  });
  return { kept, escalated };
}

/** Rows answered by some model, each at its item's place in the request. */
export interface PlacedRows<T> {
  /** The request's item indices, one per row. */
  readonly items: readonly number[];
  readonly rows: readonly Row[];
  readonly tag: T;
}

/** Every item's row and tag in item order; an item answered twice or never is a bug, not an answer. */
export function assembleInOrder<T>(count: number, parts: readonly PlacedRows<T>[]): { rows: Row[]; tags: T[] } {
  const rows = new Array<Row | undefined>(count).fill(undefined);
  const tags = new Array<T | undefined>(count).fill(undefined);
  for (const part of parts) {
    if (part.items.length !== part.rows.length)
      throw new Error(`a model answered ${part.rows.length} rows for ${part.items.length} items`);
    part.items.forEach((item, position) => {
      if (item < 0 || item >= count || rows[item] !== undefined)
        throw new Error(`item ${item} of ${count} is answered twice or out of range`);
      rows[item] = part.rows[position];
      tags[item] = part.tag;
    });
  }
  const missing = rows.findIndex((row) => row === undefined);
  if (missing >= 0) throw new Error(`item ${missing} of ${count} was never answered`);
  return { rows: rows as Row[], tags: tags as T[] };
}
