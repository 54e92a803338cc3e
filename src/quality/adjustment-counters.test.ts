import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noAdjustments } from '../pipeline/adjustments.ts';
import { AdjustmentCounters, missingItems } from './adjustment-counters.ts';

test('adjustments add up per field and kind, and items with fields missing per outcome', () => {
  const counters = new AdjustmentCounters('impute');
  const age = { ...noAdjustments(), imputed: 2, clamped: 1 };
  counters.adjusted({ model: 'm', version: '1', fields: new Map([['age', age]]), partial: undefined });
  counters.adjusted({
    model: 'm',
    version: '1',
    fields: new Map([['age', { ...noAdjustments(), imputed: 1 }]]),
    partial: { policy: 'impute', outcome: 'imputed', items: 1 },
  });
  const rejected = counters.rejected([
    { field: 'instances[0].age', rule: 'missing', schema: { input: 'age', kind: 'missing' } },
    { field: 'instances[0].channel', rule: 'missing', schema: { input: 'channel', kind: 'missing' } },
    { field: 'instances[2].channel', rule: 'missing', schema: { input: 'channel', kind: 'missing' } },
    { field: 'instances[3].age', rule: 'must be <= 120', schema: { input: 'age', kind: 'out_of_range' } },
  ]);
  assert.equal(rejected, 2, 'two items lacked a field; the invalid one is not partial data');
  assert.deepEqual(counters.report(), {
    fields: [{ field: 'age', imputed: 3, defaulted: 0, clamped: 1, converted: 0, normalized: 0 }],
    partial_data: { policy: 'impute', imputed: 1, rejected: 2, fallback: 0 },
  });
});

test('items missing a field are told apart by their label, whatever the protocol calls them', () => {
  assert.equal(
    missingItems([
      { field: 'inputs (item 1).a', rule: 'missing', schema: { input: 'a', kind: 'missing' } },
      { field: 'inputs (item 1).b', rule: 'missing', schema: { input: 'b', kind: 'missing' } },
      { field: 'inputs (item 2).a', rule: 'missing', schema: { input: 'a', kind: 'missing' } },
      { field: 'messages[0]', rule: 'is required' },
    ]),
    2,
  );
});
