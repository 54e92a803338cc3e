import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FixedGate } from './concurrency-gate.ts';

// What every gate promises (limits, releases) is checked in concurrency-gate.contract.test.ts.
describe('FixedGate', () => {
  it('refuses fewer than one slot', () => {
    assert.throws(() => new FixedGate(0), /slots/);
  });
});
