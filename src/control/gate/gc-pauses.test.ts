import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startGcPauseMeter } from './gc-pauses.ts';

/** Allocates short-lived objects until the young generation has been collected several times. */
function churn(): number {
  let young: object[] = [];
  for (let round = 0; round < 200_000; round += 1) {
    young.push({ round, text: `item ${round}` });
    if (young.length === 10_000) young = [];
  }
  return young.length;
}

describe('startGcPauseMeter', () => {
  it('counts the pauses of collections as they happen, and nothing after it stops', () => {
    const meter = startGcPauseMeter();
    const first = meter.readMs();
    for (let round = 0; round < 20; round += 1) churn();
    const second = meter.readMs();
    assert.ok(second > first, `GC pauses grew from ${first} ms to ${second} ms`);
    assert.ok(meter.readMs() >= second, 'a running total never goes back');
    meter.stop();
    const stopped = meter.readMs();
    for (let round = 0; round < 20; round += 1) churn();
    assert.equal(meter.readMs(), stopped);
    meter.stop();
  });
});
