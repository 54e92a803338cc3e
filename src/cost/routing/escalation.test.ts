import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Row } from '../../core/tensors.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import { assembleInOrder, splitByConfidence, topConfidence, topLabel } from './escalation.ts';

const textClassifier: ModelDescription = {
  name: 'small',
  version: '1',
  task: 'text-classification',
  inputs: [{ name: 'text', datatype: 'BYTES', shape: [] }],
  tensors: { outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }] },
  labels: ['a', 'b', 'c'],
  batching: { max_batch_size: 8 },
  cost: { per_item: 1 },
};
const binaryClassifier: ModelDescription = {
  ...textClassifier,
  task: 'tabular-classification',
  tensors: { outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 1] }] },
};

const row = (...values: number[]): Row => ({
  probabilities: { dtype: 'float32', dims: [values.length], data: Float32Array.from(values) },
});

describe('topConfidence', () => {
  test('is the largest class probability of a text classifier', () => {
    assert.equal(topConfidence(row(0.2, 0.5, 0.3), textClassifier), 0.5);
  });

  test('is max(p, 1 − p) for a binary classifier, so a confident "no" counts as confident', () => {
    assert.ok(Math.abs(topConfidence(row(0.1), binaryClassifier) - 0.9) < 1e-6);
    assert.ok(Math.abs(topConfidence(row(0.7), binaryClassifier) - 0.7) < 1e-6);
  });

  test('refuses a model that gives no class probabilities', () => {
    assert.throws(
      () => topConfidence(row(0.1), { ...textClassifier, task: 'text-embedding' }),
      /no class probabilities/,
    );
  });
});

describe('topLabel', () => {
  test('is a text classifier’s most probable label, and nothing for a model without labels', () => {
    assert.equal(topLabel(row(0.2, 0.5, 0.3), textClassifier), 'b');
    assert.equal(topLabel(row(0.7), binaryClassifier), undefined);
  });
});

describe('splitByConfidence with a check of the answer', () => {
  test('sends on an item whose answer fails the check however sure, and keeps the others as the threshold says', () => {
    const fails = (position: number) => position === 0 || position === 3;
    assert.deepEqual(splitByConfidence([0.99, 0.95, 0.4, 0.97], 0.9, fails), { kept: [1], escalated: [0, 2, 3] });
  });

  test('the last model keeps every item, its check or not', () => {
    assert.deepEqual(
      splitByConfidence([0.1, 0.99], undefined, () => true),
      { kept: [0, 1], escalated: [] },
    );
  });
});

describe('splitByConfidence sends on exactly the items under the threshold', () => {
  const cases: Array<{
    name: string;
    confidences: number[];
    min: number | undefined;
    kept: number[];
    escalated: number[];
  }> = [
    { name: 'an item at the threshold stays', confidences: [0.8], min: 0.8, kept: [0], escalated: [] },
    { name: 'an item just under it goes on', confidences: [0.7999], min: 0.8, kept: [], escalated: [0] },
    { name: 'a threshold of 0 keeps every item', confidences: [0, 0.01, 1], min: 0, kept: [0, 1, 2], escalated: [] },
    {
      name: 'a threshold above 1 sends every item on',
      confidences: [1, 0.99, 0],
      min: 1.01,
      kept: [],
      escalated: [0, 1, 2],
    },
    {
      name: 'the last model (no threshold) keeps every item',
      confidences: [0.1, 0.2],
      min: undefined,
      kept: [0, 1],
      escalated: [],
    },
    { name: 'an item without a number goes on', confidences: [Number.NaN, 0.9], min: 0.5, kept: [1], escalated: [0] },
    {
      name: 'a batch of 10 with 3 unsure items sends those 3, by position',
      confidences: [0.9, 0.3, 0.95, 0.99, 0.5, 0.97, 0.92, 0.6, 0.91, 0.99],
      min: 0.8,
      kept: [0, 2, 3, 5, 6, 8, 9],
      escalated: [1, 4, 7],
    },
  ];
  for (const { name, confidences, min, kept, escalated } of cases) {
    test(name, () => assert.deepEqual(splitByConfidence(confidences, min), { kept, escalated }));
  }
});

describe('assembleInOrder', () => {
  test('puts rows answered by different models back at their items and tags each', () => {
    const { rows, tags } = assembleInOrder(5, [
      { items: [0, 2, 3], rows: [row(0), row(2), row(3)], tag: 'cascade:1' },
      { items: [4, 1], rows: [row(4), row(1)], tag: 'cascade:2' },
    ]);
    assert.deepEqual(
      rows.map((each) => each['probabilities']?.data[0]),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(tags, ['cascade:1', 'cascade:2', 'cascade:1', 'cascade:1', 'cascade:2']);
  });

  test('refuses an item answered twice, never, or a part whose rows and items differ in number', () => {
    assert.throws(() => assembleInOrder(2, [{ items: [0, 0], rows: [row(0), row(0)], tag: 1 }]), /twice/);
    assert.throws(() => assembleInOrder(2, [{ items: [1], rows: [row(1)], tag: 1 }]), /item 0 of 2 was never answered/);
    assert.throws(() => assembleInOrder(1, [{ items: [0], rows: [], tag: 1 }]), /0 rows for 1 items/);
  });
});
