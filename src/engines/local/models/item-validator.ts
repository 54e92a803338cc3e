/**
 * A local model's item check: every item of a request is checked against the model's declared
 * request fields (JSON schema per field) before any work is queued, so that a bad item
 * fails the whole request with the item and field named, and nothing is half-run.
 *
 * A field value that arrives as a RowTensor (decoded typed data) was already checked
 * element by element for its datatype and shape by the protocol that built it. A field
 * without a schema compiles to `{}`, which ajv accepts without looking inside, so such a
 * tensor costs nothing here; a field with a schema sees the tensor as the nested arrays
 * its JSON form would be, so its constraints still hold (slower, and only for such fields).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SluiceError } from '../../../core/errors.ts';
import { nestArray, type RowTensor } from '../../../core/tensors.ts';
import { isRowTensor } from '../preprocess/index.ts';
import type { ModelSpec } from './model-spec.ts';
import type { Item, ItemLabel } from '../../../pipeline/request.ts';

export interface ItemValidator {
  validate(items: readonly Item[], label: ItemLabel): void;
}

const ajv = new Ajv({ allErrors: false, strict: false });

export function makeItemValidator(spec: ModelSpec, maxItems: number): ItemValidator {
  const schema = {
    type: 'object',
    required: spec.inputs.map((input) => input.name),
    properties: Object.fromEntries(spec.inputs.map((input) => [input.name, input.schema ?? {}])),
    additionalProperties: false,
  };
  const check: ValidateFunction = ajv.compile(schema);
  const constrained = spec.inputs.filter((input) => input.schema !== undefined).map((input) => input.name);
  return {
    validate(items, label) {
      if (items.length === 0) throw new SluiceError('ERR_REQUEST_EMPTY_INPUT', 'the request holds no items to infer');
      if (items.length > maxItems) {
        throw new SluiceError(
          'ERR_REQUEST_INVALID',
          `the request holds ${items.length} items; at most ${maxItems} are accepted per request`,
        );
      }
      items.forEach((item, index) => {
        if (!check(asJson(item, constrained))) throw itemError(check.errors?.[0], label(index));
      });
    },
  };
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

function itemError(error: ErrorObject | undefined, where: string): SluiceError {
  if (error === undefined) return new SluiceError('ERR_REQUEST_INVALID', `${where}: invalid`);
  if (error.keyword === 'required') {
    const field = String(error.params['missingProperty']);
    return new SluiceError('ERR_TENSOR_MISSING_INPUT', `${where}: missing required field "${field}"`, { field });
  }
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params['additionalProperty']);
    return new SluiceError('ERR_TENSOR_UNKNOWN_INPUT', `${where}: unknown field "${field}"`, { field });
  }
  const path = error.instancePath.split('/').filter(Boolean);
  const field = path[0];
  const location = path.length === 0 ? where : `${where}.${path.join('.')}`;
  return new SluiceError(
    'ERR_REQUEST_INVALID',
    `${location}: ${error.message ?? 'is invalid'}`,
    field === undefined ? {} : { field },
  );
}
