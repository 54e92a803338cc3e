import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmaxRows, forwardText } from './text-model.ts';
import { trainTextModel, type TextTrainingSet } from './text-trainer.ts';

/** Class c is signalled by id 10 + c among random filler ids 1..9. */
function toyData(count: number): TextTrainingSet {
  const ids: Int32Array[] = [];
  const labels: number[] = [];
  for (let index = 0; index < count; index++) {
    const label = index % 3;
    ids.push(Int32Array.of(1 + (index % 9), 10 + label, 1 + ((index * 7) % 9)));
    labels.push(label);
  }
  return { ids, labels };
}

const options = { seed: 1, epochs: 20, batchSize: 8, learningRate: 1e-2, embeddingLearningRate: 5e-2, tokenDropout: 0 };

describe('trainTextModel', () => {
  for (const [name, shape] of [
    ['a linear model', { buckets: 16, embeddingDim: 4, hidden: [], classes: 3 }],
    ['an MLP', { buckets: 16, embeddingDim: 4, hidden: [{ size: 8, activation: 'relu' as const }], classes: 3 }],
    [
      'a cosine-softmax embedding model',
      {
        buckets: 16,
        embeddingDim: 4,
        hidden: [{ size: 4, activation: 'tanh' as const }],
        classes: 3,
        normalizeScale: 5,
      },
    ],
  ] as const) {
    it(`learns a separable toy problem with ${name}`, () => {
      const data = toyData(60);
      const model = trainTextModel(shape, data, options);
      const predictions = argmaxRows(forwardText(model, data.ids).logits, 3);
      assert.deepEqual(predictions, data.labels);
    });
  }

  it('is deterministic for a seed and differs across seeds', () => {
    const shape = { buckets: 16, embeddingDim: 4, hidden: [{ size: 8, activation: 'relu' as const }], classes: 3 };
    const data = toyData(30);
    const first = trainTextModel(shape, data, { ...options, epochs: 2, tokenDropout: 0.2 });
    const again = trainTextModel(shape, data, { ...options, epochs: 2, tokenDropout: 0.2 });
    const other = trainTextModel(shape, data, { ...options, epochs: 2, tokenDropout: 0.2, seed: 2 });
    assert.deepEqual(again.embedding, first.embedding);
    assert.deepEqual(again.head.weight, first.head.weight);
    assert.notDeepEqual(other.head.weight, first.head.weight);
  });
});
