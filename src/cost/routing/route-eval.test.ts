import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accuracy, cascadeCost, evalTable, evaluateCascade, type GoldenItem, type Predictions } from './route-eval.ts';

const models = [
  { name: 'small', costPerItem: 1 },
  { name: 'large', costPerItem: 6 },
];
const golden: GoldenItem[] = ['a', 'b', 'a', 'c'].map((label, index) => ({ item: { text: `t${index}` }, label }));

describe('the arithmetic of a cascade', () => {
  test('an item costs every model it reached: the first for all, the next for those sent on', () => {
    assert.equal(cascadeCost([1, 1, 1, 1], models), 1);
    assert.equal(cascadeCost([1, 2, 1, 2], models), (1 + 7 + 1 + 7) / 4);
    assert.throws(() => cascadeCost([3], models), /stage 3 is not one of the 2 models/);
  });

  test('accuracy is the share of labels equal to the golden ones, and needs one answer per item', () => {
    assert.equal(accuracy(['a', 'b', 'x', 'c'], golden), 0.75);
    assert.throws(() => accuracy(['a'], golden), /1 answers for 4 golden items/);
  });
});

test('each model alone, then the cascade at each threshold, measured from what the serving path said', async () => {
  const asked: string[] = [];
  const predict = async (target: { model: string } | { cascade: number }): Promise<Predictions> => {
    asked.push(JSON.stringify(target));
    if ('model' in target)
      return { labels: target.model === 'small' ? ['a', 'x', 'x', 'c'] : ['a', 'b', 'a', 'x'], stages: undefined };
    return { labels: ['a', 'b', 'a', 'c'], stages: target.cascade === 0 ? [1, 1, 1, 1] : [1, 2, 2, 1] };
  };
  const rows = await evaluateCascade({ models, thresholds: [0, 0.9], golden, predict });
  assert.deepEqual(asked, ['{"model":"small"}', '{"model":"large"}', '{"cascade":0}', '{"cascade":0.9}']);
  assert.deepEqual(rows, [
    { run: 'small only', minConfidence: undefined, accuracy: 0.5, escalated: undefined, costPerItem: 1 },
    { run: 'large only', minConfidence: undefined, accuracy: 0.75, escalated: undefined, costPerItem: 6 },
    { run: 'cascade', minConfidence: 0, accuracy: 1, escalated: 0, costPerItem: 1 },
    { run: 'cascade', minConfidence: 0.9, accuracy: 1, escalated: 0.5, costPerItem: 4 },
  ]);
  assert.equal(
    evalTable(rows, models, golden.length),
    [
      '| run | min_confidence | accuracy (4 items) | sent on | cost per item | cost vs. large only |',
      '| --- | --- | --- | --- | --- | --- |',
      '| small only | – | 0.5000 | – | 1.00 | 16.7% |',
      '| large only | – | 0.7500 | – | 6.00 | 100.0% |',
      '| cascade | 0 | 1.0000 | 0.0% | 1.00 | 16.7% |',
      '| cascade | 0.9 | 1.0000 | 50.0% | 4.00 | 66.7% |',
    ].join('\n'),
  );
});

test('a cascade that does not say which model answered each item is an error, not a guess', async () => {
  const predict = async (): Promise<Predictions> => ({ labels: ['a', 'b', 'a', 'c'], stages: undefined });
  await assert.rejects(evaluateCascade({ models, thresholds: [0.5], golden, predict }), /without saying which model/);
});
