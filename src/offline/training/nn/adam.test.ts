import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adamRowsStep, adamSlot, adamStep } from './adam.ts';

describe('adam', () => {
  it('minimises a quadratic', () => {
    const value = Float32Array.of(5, -3);
    const slot = adamSlot(value, new Float32Array(2));
    for (let step = 1; step <= 2000; step++) {
      slot.grad.set([2 * (value[0]! - 1), 2 * (value[1]! + 2)]);
      adamStep(slot, 0.05, step);
    }
    assert.ok(Math.abs(value[0]! - 1) < 1e-2);
    assert.ok(Math.abs(value[1]! + 2) < 1e-2);
    assert.deepEqual([...slot.grad], [0, 0]);
  });

  it('moves the first step by about the learning rate, whatever the gradient scale', () => {
    const slot = adamSlot(Float32Array.of(0), Float32Array.of(1000));
    adamStep(slot, 0.1, 1);
    assert.ok(Math.abs(slot.value[0]! + 0.1) < 1e-6);
  });

  it('updates only the rows it is given', () => {
    const table = { value: new Float32Array(6), m: new Float32Array(6), v: new Float32Array(6) };
    adamRowsStep(table, 2, [2], Float32Array.of(1, -1), 0.1, 1);
    assert.deepEqual(
      [...table.value].map((value) => Math.round(value * 1000) / 1000),
      [0, 0, 0, 0, -0.1, 0.1],
    );
  });
});
