/**
 * A local model's item check: every item of a request is checked against the model's declared
 * request fields (JSON schema per field) before any work is queued, so that a bad item
 * fails the whole request and nothing is half-run. The check is lazy (pandera's word): every
 * failure of every item is reported at once, each with its item, field and rule, so a client
 * fixes a batch in one round trip, and data quality counts what breaks.
 *
 * A field value that arrives as a RowTensor (decoded typed data) was already checked
 * element by element for its datatype and shape by the protocol that built it. A field
 * without a schema compiles to `{}`, which ajv accepts without looking inside, so such a
 * tensor costs nothing here; a field with a schema sees the tensor as the nested arrays
 * its JSON form would be, so its constraints still hold (slower, and only for such fields).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SluiceError, type ErrorCode, type RequestFailure, type SchemaFailureKind } from '../../../core/errors.ts';
import { nestArray, type RowTensor } from '../../../core/tensors.ts';
import { isRowTensor } from '../preprocess/index.ts';
import type { ModelSpec } from './model-spec.ts';
import { fieldSchema } from '../normalize/field-normalizer.ts';
import type { NormalizeFailure } from '../normalize/item-normalizer.ts';
import type { Item, ItemLabel } from '../../../pipeline/request.ts';

export interface ItemValidator {
  validate(items: readonly Item[], label: ItemLabel): void;
  /**
   * Every failure of every item, in item order: each item's `earlier` ones (its
   * normalisation's) first, then its schema's on the fields those did not concern.
   */
  failures(
    items: readonly Item[],
    label: ItemLabel,
    earlier?: ReadonlyMap<number, readonly NormalizeFailure[]>,
  ): ItemFailure[];
}

// verbose: a failure carries the value that broke the rule (a null is counted apart from a wrong type).
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
/** A message lists this many failures; the error's `failures` holds them all. */
const LISTED_FAILURES = 10;

export function makeItemValidator(spec: ModelSpec, maxItems: number): ItemValidator {
  const schema = {
    type: 'object',
    required: spec.inputs.map((input) => input.name),
    properties: Object.fromEntries(spec.inputs.map((input) => [input.name, fieldSchema(input.schema, input.normalize)])),
    additionalProperties: false,
  };
  const check: ValidateFunction = ajv.compile(schema);
  const constrained = spec.inputs
    .filter((input) => input.schema !== undefined || input.normalize?.range?.out_of_range === 'reject')
    .map((input) => input.name);
  const failures = (
    items: readonly Item[],
    label: ItemLabel,
    earlier?: ReadonlyMap<number, readonly NormalizeFailure[]>,
  ): ItemFailure[] => {
    checkItemCount(items, maxItems);
    const found: ItemFailure[] = [];
    items.forEach((item, index) => {
      const before = earlier?.get(index);
      if (before !== undefined) for (const failure of before) found.push(normalizeFailure(failure, label(index)));
      if (check(asJson(item, constrained))) return;
      for (const error of check.errors ?? []) {
        const failure = itemFailure(error, label(index));
        if (before === undefined || !before.some((done) => done.input === failure.input)) found.push(failure);
      }
    });
    return found;
  };
  return {
    failures,
    validate(items, label) {
      const found = failures(items, label);
      if (found.length > 0) throw requestError(found);
    },
  };
}

/** A request holds at least one item and at most `maxItems`. */
export function checkItemCount(items: readonly Item[], maxItems: number): void {
  if (items.length === 0) throw new SluiceError('ERR_REQUEST_EMPTY_INPUT', 'the request holds no items to infer');
  if (items.length > maxItems) {
    throw new SluiceError(
      'ERR_REQUEST_INVALID',
      `the request holds ${items.length} items; at most ${maxItems} are accepted per request`,
    );
  }
}

/** The item with each tensor value of a constrained field as nested arrays; the item itself when there is none. */
function asJson(item: Item, constrained: readonly string[]): Item {
  let copy: Record<string, unknown> | undefined;
  for (const name of constrained) {
    const value = item[name];
    if (!isRowTensor(value)) continue;
    copy ??= { ...item };
    copy[name] = nestedValues(value);
  }
  return copy ?? item;
}

function nestedValues(tensor: RowTensor): unknown {
  const flat = Array.from(tensor.data as ArrayLike<number | bigint>, (element) =>
    tensor.dtype === 'bool' ? element !== 0 : Number(element),
  );
  return nestArray(flat, tensor.dims);
}

export type ItemFailure = RequestFailure & {
  readonly code: ErrorCode;
  readonly input: string | undefined;
  readonly kind: SchemaFailureKind;
  /** How the message lists it. */
  readonly line: string;
};

/** One broken rule of one item: where, which rule, the request field, and the code it alone would have. */
function itemFailure(error: ErrorObject, where: string): ItemFailure {
  if (error.keyword === 'required') {
    const input = String(error.params['missingProperty']);
    const rule = `missing required field "${input}"`;
    return { field: `${where}.${input}`, rule, code: 'ERR_TENSOR_MISSING_INPUT', input, kind: 'missing', line: `${where}: ${rule}` };
  }
  if (error.keyword === 'additionalProperties') {
    const input = String(error.params['additionalProperty']);
    const rule = `unknown field "${input}"`;
    return { field: `${where}.${input}`, rule, code: 'ERR_TENSOR_UNKNOWN_INPUT', input, kind: 'unknown', line: `${where}: ${rule}` };
  }
  const path = error.instancePath.split('/').filter(Boolean);
  const field = path.length === 0 ? where : `${where}.${path.join('.')}`;
  const rule = error.message ?? 'is invalid';
  return { field, rule, code: 'ERR_REQUEST_INVALID', input: path[0], kind: kindOf(error), line: `${field}: ${rule}` };
}

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/** How a value broke its field's schema, by the JSON-schema keyword it failed. */
function kindOf(error: ErrorObject): SchemaFailureKind {
  if (error.keyword === 'type') return error.data === null ? 'null' : 'type_mismatch';
  if (RANGE_KEYWORDS.has(error.keyword)) return 'out_of_range';
  if (error.keyword === 'enum' || error.keyword === 'const') return 'new_category';
  return 'invalid';
}

/** A value normalisation refused (a unit not accepted): an invalid value of its field. */
function normalizeFailure(failure: NormalizeFailure, where: string): ItemFailure {
  const field = `${where}.${failure.path}`;
  const { input, rule } = failure;
  return { field, rule, code: 'ERR_REQUEST_INVALID', input, kind: 'invalid', line: `${field}: ${rule}` };
}

/** All the failures in one error: the first one's code (or ERR_REQUEST_INVALID when they differ) and field. */
export function requestError(failures: readonly ItemFailure[]): SluiceError {
  const first = failures[0] as ItemFailure;
  const code = failures.every((failure) => failure.code === first.code) ? first.code : 'ERR_REQUEST_INVALID';
  const listed = failures.slice(0, LISTED_FAILURES).map((failure) => failure.line);
  const schemaOf = (failure: ItemFailure) =>
    failure.input === undefined ? {} : { schema: { input: failure.input, kind: failure.kind } };
  const more = failures.length > LISTED_FAILURES ? `; and ${failures.length - LISTED_FAILURES} more` : '';
  return new SluiceError(code, `${listed.join('; ')}${more}`, {
    ...(first.input === undefined ? {} : { field: first.input }),
    failures: failures.map((failure) => ({ field: failure.field, rule: failure.rule, ...schemaOf(failure) })),
  });
}
