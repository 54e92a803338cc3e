import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rocAuc } from '../eval/metrics.ts';
import { createRng } from '../../../core/seeded-rng.ts';
import { predictBinaryMlp, trainBinaryMlp } from './tabular-trainer.ts';

describe('trainBinaryMlp', () => {
  it('learns a non-linear (XOR-like) rule', () => {
    const rng = createRng(4);
    const features: Float32Array[] = [];
    const labels: number[] = [];
    for (let index = 0; index < 800; index++) {
      const a = rng.normal();
      const b = rng.normal();
      features.push(Float32Array.of(a, b));
      labels.push(a * b > 0 ? 1 : 0);
    }
    const layers = trainBinaryMlp(features, labels, {
      seed: 1,
      hidden: [16],
      epochs: 60,
      batchSize: 32,
      learningRate: 1e-2,
      weightDecay: 0,
    });
    const scores = features.map((row) => predictBinaryMlp(layers, row));
    assert.ok(rocAuc(scores, labels) > 0.95);
  });
});
