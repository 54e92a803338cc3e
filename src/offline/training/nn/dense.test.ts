import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../../core/seeded-rng.ts';
import { createDense, denseBackward, denseForward, zeroGradients, type Activation } from './dense.ts';

/** Loss = Σ y ⊙ r for a fixed random r, so dL/dy = r. */
function lossOf(y: Float32Array, r: Float32Array): number {
  return y.reduce((sum, value, index) => sum + value * r[index]!, 0);
}

describe('dense layers', () => {
  for (const activation of ['none', 'relu', 'tanh'] satisfies Activation[]) {
    it(`back-propagates ${activation} gradients that match finite differences`, () => {
      const rng = createRng(1);
      const layer = createDense(3, 4, activation, rng);
      layer.bias.set([0.1, -0.2, 0.3, 0.05]);
      const rows = 2;
      const x = Float32Array.from({ length: rows * 3 }, () => rng.normal());
      const r = Float32Array.from({ length: rows * 4 }, () => rng.normal());
      const y = denseForward(layer, x, rows);
      const gradients = zeroGradients(layer);
      const dx = denseBackward(layer, x, y, r, rows, gradients, true)!;
      const step = 1e-2;
      const numeric = (values: Float32Array, index: number): number => {
        const saved = values[index]!;
        values[index] = saved + step;
        const up = lossOf(denseForward(layer, x, rows), r);
        values[index] = saved - step;
        const down = lossOf(denseForward(layer, x, rows), r);
        values[index] = saved;
        return (up - down) / (2 * step);
      };
      for (let index = 0; index < layer.weight.length; index++)
        assert.ok(Math.abs(numeric(layer.weight, index) - gradients.weight[index]!) < 2e-2, `weight ${index}`);
      for (let index = 0; index < layer.bias.length; index++)
        assert.ok(Math.abs(numeric(layer.bias, index) - gradients.bias[index]!) < 2e-2, `bias ${index}`);
      for (let index = 0; index < x.length; index++)
        assert.ok(Math.abs(numeric(x, index) - dx[index]!) < 2e-2, `input ${index}`);
    });
  }

  it('applies the activation in the forward pass', () => {
    const layer = {
      inputs: 1,
      outputs: 2,
      activation: 'relu' as const,
      weight: Float32Array.of(1, -1),
      bias: Float32Array.of(0, 0),
    };
    assert.deepEqual([...denseForward(layer, Float32Array.of(2), 1)], [2, 0]);
  });
});
