import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FixedGate } from './concurrency-gate.ts';

describe('FixedGate', () => {
  it('grants up to its limit, and a permit returns its slot once', () => {
    const gate = new FixedGate(2);
    const first = gate.tryAcquire();
    assert.ok(first !== undefined);
    assert.ok(gate.tryAcquire() !== undefined);
    assert.equal(gate.tryAcquire(), undefined);
    first.release({ rttMs: 1 });
    first.release('dropped');
    assert.ok(gate.tryAcquire() !== undefined);
    assert.equal(gate.tryAcquire(), undefined);
    assert.throws(() => new FixedGate(0), /slots/);
  });
});
