import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, deriveSeed } from './seeded-rng.ts';

describe('createRng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, createRng(seed).next);
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('draws uniforms in [0, 1) with the right mean', () => {
    const rng = createRng(1);
    let sum = 0;
    for (let index = 0; index < 20000; index++) {
      const value = rng.next();
      assert.ok(value >= 0 && value < 1);
      sum += value;
    }
    assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
  });

  it('draws standard normals', () => {
    const rng = createRng(2);
    const values = Array.from({ length: 20000 }, () => rng.normal());
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    assert.ok(Math.abs(mean) < 0.03);
    assert.ok(Math.abs(variance - 1) < 0.05);
  });

  it('picks by weight and shuffles into a permutation', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0];
    for (let index = 0; index < 10000; index++) counts[rng.weighted([1, 0, 3])]! += 1;
    assert.equal(counts[1], 0);
    assert.ok(Math.abs((counts[2] ?? 0) / 10000 - 0.75) < 0.03);
    assert.deepEqual(rng.shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5]);
  });
});

describe('deriveSeed', () => {
  it('gives independent streams per name', () => {
    assert.equal(deriveSeed(1, 'train'), deriveSeed(1, 'train'));
    assert.notEqual(deriveSeed(1, 'train'), deriveSeed(1, 'golden'));
    assert.notEqual(deriveSeed(1, 'train'), deriveSeed(2, 'train'));
  });
});
