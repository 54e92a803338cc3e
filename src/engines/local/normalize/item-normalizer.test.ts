import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NormalizeSpec } from './field-rules-spec.ts';
import type { Fill } from './fill-values.ts';
import { makeItemNormalizer } from './item-normalizer.ts';

const inputs = [
  { name: 'age', normalize: NormalizeSpec.parse({ range: { min: 0, max: 120, out_of_range: 'clamp' } }) },
  { name: 'weight', normalize: NormalizeSpec.parse({ unit: { canonical: 'kg', accept: { lb: 0.5 } } }) },
  { name: 'channel', normalize: NormalizeSpec.parse({ unicode: 'NFKC', case: 'lower' }) },
  { name: 'weekday' },
];
const fills = new Map<string, Fill>([
  ['age', { value: 40, kind: 'imputed' }],
  ['weekday', { value: 'mon', kind: 'defaulted' }],
]);

test('each field adjusted is counted by kind, and items with a field filled are counted once each', () => {
  const normalizer = makeItemNormalizer(inputs, 'impute', fills);
  const result = normalizer?.normalize([
    { age: 130, weight: { value: 100, unit: 'lb' }, channel: 'ＷＥＢ', weekday: 'tue' },
    { weight: 70, channel: 'web' },
    { age: null, weight: 80, channel: 'Phone', weekday: null },
    { age: 30, weight: 60, channel: 'web', weekday: 'fri' },
  ]);
  assert.deepEqual(result?.items, [
    { age: 120, weight: 50, channel: 'web', weekday: 'tue' },
    { age: 40, weight: 70, channel: 'web', weekday: 'mon' },
    { age: 40, weight: 80, channel: 'phone', weekday: 'mon' },
    { age: 30, weight: 60, channel: 'web', weekday: 'fri' },
  ]);
  assert.deepEqual(Object.fromEntries(result?.fields ?? []), {
    age: { imputed: 2, defaulted: 0, clamped: 1, converted: 0, normalized: 0 },
    weight: { imputed: 0, defaulted: 0, clamped: 0, converted: 1, normalized: 0 },
    channel: { imputed: 0, defaulted: 0, clamped: 0, converted: 0, normalized: 2 },
    weekday: { imputed: 0, defaulted: 2, clamped: 0, converted: 0, normalized: 0 },
  });
  assert.equal(result?.filledItems, 2);
  assert.equal(result?.failures, undefined);
});

test('an item nothing changes is passed on as it is; a changed one is a copy, the request left untouched', () => {
  const normalizer = makeItemNormalizer(inputs, 'impute', fills);
  const same = { age: 30, weight: 60, channel: 'web', weekday: 'fri' };
  const changed = { age: 300, weight: 60, channel: 'web', weekday: 'fri' };
  const result = normalizer?.normalize([same, changed]);
  assert.equal(result?.items[0], same);
  assert.notEqual(result?.items[1], changed);
  assert.equal(changed.age, 300);
  assert.equal(result?.fields.size, 1);
});

test('a failure is kept per item with the field path; nothing is filled under reject, and null stays a value there', () => {
  const rejecting = makeItemNormalizer(inputs, 'reject', fills);
  const result = rejecting?.normalize([{ weight: { value: 1, unit: 'st' }, channel: 'web', weekday: null }]);
  assert.deepEqual(Object.fromEntries(result?.failures ?? []), {
    0: [{ path: 'weight.unit', input: 'weight', rule: 'unit "st" is not accepted (kg, lb)' }],
  });
  assert.deepEqual(result?.items[0], { weight: { value: 1, unit: 'st' }, channel: 'web', weekday: null });
  assert.equal(result?.filledItems, 0);
});

test('under fallback a null is missing, so the checker names it as such', () => {
  const result = makeItemNormalizer([{ name: 'age' }], 'fallback', new Map())?.normalize([{ age: null }]);
  assert.deepEqual(result?.items, [{}]);
});

test('a model declaring no rule and rejecting partial data has no normaliser', () => {
  assert.equal(makeItemNormalizer([{ name: 'age' }, { name: 'weekday' }], 'reject', new Map()), undefined);
});
