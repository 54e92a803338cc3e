import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TabularPreprocessing } from '../models/model-spec.ts';
import { tabularFeatureCount, tabularRow } from './tabular.ts';

const spec: TabularPreprocessing = {
  kind: 'tabular',
  features_tensor: 'features',
  fields: [
    { name: 'age', kind: 'numeric', mean: 40, std: 20 },
    { name: 'reminder_sent', kind: 'boolean' },
    { name: 'weekday', kind: 'categorical', categories: ['mon', 'tue', 'wed'] },
  ],
};

describe('tabularRow', () => {
  it('counts one feature per numeric or boolean field and one per category', () => {
    assert.equal(tabularFeatureCount(spec), 5);
  });

  it('standardises numbers, encodes booleans and one-hot categories', () => {
    const row = tabularRow({ age: 50, reminder_sent: true, weekday: 'tue' }, spec);
    const features = row.features;
    assert.ok(features !== undefined);
    assert.equal(features.dtype, 'float32');
    assert.deepEqual(features.dims, [5]);
    assert.deepEqual([...features.data], [0.5, 1, 0, 1, 0]);
  });

  it('accepts bigint numbers and 0/1 booleans', () => {
    const row = tabularRow({ age: 20n, reminder_sent: 0, weekday: 'mon' }, spec);
    assert.deepEqual([...(row.features?.data ?? [])], [-1, 0, 1, 0, 0]);
  });

  it('names the field whose value is unusable', () => {
    assert.throws(
      () => tabularRow({ age: 'old', reminder_sent: true, weekday: 'mon' }, spec),
      /field "age": expected a finite number, got "old"/,
    );
    assert.throws(() => tabularRow({ age: 30, reminder_sent: 'yes', weekday: 'mon' }, spec), /field "reminder_sent"/);
    assert.throws(
      () => tabularRow({ age: 30, reminder_sent: true, weekday: 'sun' }, spec),
      /field "weekday": expected one of mon, tue, wed/,
    );
    assert.throws(() => tabularRow({ reminder_sent: true, weekday: 'mon' }, spec), /field "age".*got nothing/);
  });
});
