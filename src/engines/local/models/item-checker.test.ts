import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SluiceError } from '../../../core/errors.ts';
import type { Fill } from '../normalize/fill-values.ts';
import { makeItemChecker, type CheckedItems } from './item-checker.ts';
import { ModelSpec } from './model-spec.ts';

function specWith(partial: Record<string, unknown>, fill: Record<string, unknown> = {}): ModelSpec {
  return ModelSpec.parse({
    name: 'risk',
    version: 1,
    task: 'tabular-classification',
    inputs: [
      {
        name: 'age',
        datatype: 'FP32',
        schema: { type: 'number', minimum: 0, maximum: 120 },
        normalize: { range: { min: 0, max: 120, out_of_range: 'clamp' } },
        ...fill,
      },
      {
        name: 'weight',
        datatype: 'FP32',
        schema: { type: 'number' },
        normalize: { unit: { canonical: 'kg', accept: { lb: 0.45359237 } }, range: { max: 300, out_of_range: 'reject' } },
      },
      { name: 'channel', datatype: 'BYTES', schema: { type: 'string', enum: ['web', 'phone'] } },
    ],
    tensors: { inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 3] }], outputs: [{ name: 'p', dtype: 'float32', shape: [-1, 1] }] },
    quality: { partial_data: partial },
  });
}

const label = (index: number) => `instances[${index}]`;
const FILLS = new Map<string, Fill>([['age', { value: 41, kind: 'imputed' }]]);

function refusal(check: () => CheckedItems): SluiceError {
  try {
    check();
  } catch (error) {
    return error as SluiceError;
  }
  return assert.fail('the items passed');
}

test('reject (the default): every missing field of every item in one 400, as before', () => {
  const checker = makeItemChecker(specWith({}), 10, FILLS);
  const error = refusal(() => checker.check([{ weight: 70 }, { age: 1, weight: 2, channel: 'web' }], label));
  assert.equal(error.status, 400);
  assert.deepEqual(error.failures, [
    { field: 'instances[0].age', rule: 'missing required field "age"', schema: { input: 'age', kind: 'missing' } },
    {
      field: 'instances[0].channel',
      rule: 'missing required field "channel"',
      schema: { input: 'channel', kind: 'missing' },
    },
  ]);
});

test('impute: a field that declares a fill is filled and counted; one that cannot be imputed still rejects', () => {
  const checker = makeItemChecker(specWith({ policy: 'impute' }, { fill: { from: 'reference' } }), 10, FILLS);
  const checked = checker.check([{ weight: 70, channel: 'web' }, { age: 150, weight: { value: 100, unit: 'lb' }, channel: 'web' }], label);
  assert.equal(checked.kind, 'checked');
  assert.deepEqual(checked.items, [
    { age: 41, weight: 70, channel: 'web' },
    { age: 120, weight: 45.359237, channel: 'web' },
  ]);
  assert.deepEqual(checked.adjustments?.partial, { policy: 'impute', outcome: 'imputed', items: 1 });
  assert.deepEqual(Object.fromEntries(checked.adjustments?.fields ?? []), {
    age: { imputed: 1, defaulted: 0, clamped: 1, converted: 0, normalized: 0 },
    weight: { imputed: 0, defaulted: 0, clamped: 0, converted: 1, normalized: 0 },
  });
  const error = refusal(() => checker.check([{ weight: 70 }], label));
  assert.equal(error.message, 'instances[0]: missing required field "channel"');
});

test('a rejecting range refuses at both bounds in the rule of any bound; a unit not accepted is one failure, not two', () => {
  const checker = makeItemChecker(specWith({}), 10, FILLS);
  const error = refusal(() =>
    checker.check(
      [
        { age: 1, weight: 301, channel: 'web' },
        { age: 1, weight: { value: 700, unit: 'lb' }, channel: 'web' },
        { age: 1, weight: { value: 7, unit: 'stone' }, channel: 'web' },
      ],
      label,
    ),
  );
  assert.equal(
    error.message,
    'instances[0].weight: must be <= 300; instances[1].weight: must be <= 300; ' +
      'instances[2].weight.unit: unit "stone" is not accepted (kg, lb)',
  );
  assert.deepEqual(error.failures?.[2]?.schema, { input: 'weight', kind: 'invalid' });
});

test('fallback: items that only lack fields go to the fallback model, with the items that lacked them counted', () => {
  const checker = makeItemChecker(specWith({ policy: 'fallback', fallback_model: 'risk-lite' }), 10, FILLS);
  const checked = checker.check([{ weight: 70, channel: 'web' }, { age: 3, weight: 70, channel: 'web' }], label);
  assert.equal(checked.kind, 'fallback');
  assert.equal(checked.kind === 'fallback' ? checked.model : '', 'risk-lite');
  assert.deepEqual(checked.adjustments?.partial, { policy: 'fallback', outcome: 'fallback', items: 1 });
  const invalid = refusal(() => checker.check([{ weight: 70, channel: 'fax' }], label));
  assert.match(invalid.message, /missing required field "age".*must be equal to one of the allowed values/);
});

test('whole items with nothing to change are passed on with no adjustments', () => {
  const items = [{ age: 30, weight: 70, channel: 'web' }];
  for (const partial of [{}, { policy: 'fallback', fallback_model: 'risk-lite' }]) {
    const checked = makeItemChecker(specWith(partial), 10, FILLS).check(items, label);
    assert.deepEqual(checked, { kind: 'checked', items, adjustments: undefined });
  }
});

test('the item count is checked before any normalising', () => {
  const checker = makeItemChecker(specWith({}), 1, FILLS);
  assert.throws(() => checker.check([{}, {}], label), /at most 1 are accepted/);
  assert.throws(() => checker.check([], label), { code: 'ERR_REQUEST_EMPTY_INPUT' });
});
