import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SluiceError } from '../../../core/errors.ts';
import { makeItemValidator } from './item-validator.ts';
import type { ModelSpec } from './model-spec.ts';

const spec = {
  inputs: [
    { name: 'age', datatype: 'FP32', shape: [], schema: { type: 'number', minimum: 0, maximum: 120 } },
    { name: 'channel', datatype: 'BYTES', shape: [], schema: { type: 'string', enum: ['phone', 'web'] } },
  ],
} as unknown as ModelSpec;
const validator = makeItemValidator(spec, 100);
const label = (index: number) => `instances[${index}]`;

function failure(items: ReadonlyArray<Record<string, unknown>>): SluiceError {
  try {
    validator.validate(items, label);
  } catch (error) {
    return error as SluiceError;
  }
  return assert.fail('the items passed');
}

test('every failure of every item is reported at once, each with its item, field path and rule', () => {
  const error = failure([
    { age: 30, channel: 'web' },
    { age: 130, channel: 'fax' },
    { channel: 'phone', colour: 'red' },
  ]);
  assert.equal(error.status, 400);
  assert.equal(error.code, 'ERR_REQUEST_INVALID', 'failures of different kinds');
  assert.deepEqual(error.failures, [
    { field: 'instances[1].age', rule: 'must be <= 120', schema: { input: 'age', kind: 'out_of_range' } },
    {
      field: 'instances[1].channel',
      rule: 'must be equal to one of the allowed values',
      schema: { input: 'channel', kind: 'new_category' },
    },
    { field: 'instances[2].age', rule: 'missing required field "age"', schema: { input: 'age', kind: 'missing' } },
    { field: 'instances[2].colour', rule: 'unknown field "colour"', schema: { input: 'colour', kind: 'unknown' } },
  ]);
  assert.equal(error.field, 'age', "the first failure's request field");
  assert.equal(
    error.message,
    'instances[1].age: must be <= 120; instances[1].channel: must be equal to one of the allowed values; ' +
      'instances[2]: missing required field "age"; instances[2]: unknown field "colour"',
  );
});

test("failures of one kind keep that kind's code; a long list is cut in the message, never in `failures`", () => {
  assert.equal(failure([{ age: 1, channel: 'web', extra: 1 }]).code, 'ERR_TENSOR_UNKNOWN_INPUT');
  const many = failure(Array.from({ length: 25 }, () => ({ age: -1, channel: 'web' })));
  assert.equal(many.failures?.length, 25);
  assert.match(many.message, /; and 15 more$/);
});

test('good items pass; no items, or too many, are refused as before', () => {
  assert.doesNotThrow(() => validator.validate([{ age: 1, channel: 'phone' }], label));
  assert.throws(() => validator.validate([], label), { code: 'ERR_REQUEST_EMPTY_INPUT' });
  assert.throws(() => makeItemValidator(spec, 1).validate([{}, {}], label), /at most 1 are accepted/);
});

test('a failure says how the value broke its field, as schema drift counts it', () => {
  const kinds = (item: Record<string, unknown>) =>
    (failure([item]).failures ?? []).map((broken) => `${broken.schema?.input}:${broken.schema?.kind}`);
  assert.deepEqual(kinds({ age: null, channel: 'web' }), ['age:null']);
  assert.deepEqual(kinds({ age: 'forty', channel: 'web' }), ['age:type_mismatch']);
  assert.deepEqual(kinds({ age: -1, channel: 'web' }), ['age:out_of_range']);
  assert.deepEqual(kinds({ age: 40, channel: 'fax' }), ['channel:new_category']);
  assert.deepEqual(kinds({ age: 40, channel: 7 }), ['channel:type_mismatch', 'channel:new_category']);
  assert.deepEqual(kinds({ channel: 'web', colour: 'red' }), ['age:missing', 'colour:unknown']);
});
