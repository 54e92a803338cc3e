import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accuracy, argmax, perClassAccuracy, rocAuc } from './metrics.ts';

describe('metrics', () => {
  it('computes accuracy and per-class recall', () => {
    assert.equal(accuracy([0, 1, 1, 2], [0, 1, 2, 2]), 0.75);
    assert.deepEqual(perClassAccuracy([0, 1, 1, 2], [0, 1, 2, 2], 4), [
      { support: 1, accuracy: 1 },
      { support: 1, accuracy: 1 },
      { support: 2, accuracy: 0.5 },
      { support: 0, accuracy: 0 },
    ]);
  });

  it('computes ROC AUC with ties counted as one half', () => {
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5);
    assert.equal(rocAuc([0.9, 0.1], [1, 0]), 1);
  });

  it('finds the index of the largest value', () => {
    assert.equal(argmax([0.1, 0.7, 0.2]), 1);
  });
});
