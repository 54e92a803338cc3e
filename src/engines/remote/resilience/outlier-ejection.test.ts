import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { OutlierEjection } from './outlier-ejection.ts';

function failTimes(ejection: OutlierEjection, index: number, times: number): void {
  for (let failure = 0; failure < times; failure += 1) ejection.record(index, false);
}

describe('OutlierEjection', () => {
  it('ejects after N consecutive failures and a success resets the count', () => {
    const clock = new FakeClock();
    const ejection = new OutlierEjection(4, clock, { consecutiveFailures: 3 });
    failTimes(ejection, 0, 2);
    ejection.record(0, true);
    failTimes(ejection, 0, 2);
    assert.equal(ejection.isEjected(0), false);
    ejection.record(0, false);
    assert.equal(ejection.isEjected(0), true);
    assert.deepEqual(ejection.stats().replicas[0], {
      index: 0,
      ejectedUntilMs: 30_000,
      consecutiveFailures: 0,
      ejectionsTotal: 1,
    });
  });

  it('comes back after the ejection time; late failures while out do not count', () => {
    const clock = new FakeClock();
    const ejection = new OutlierEjection(4, clock, { consecutiveFailures: 2, baseEjectionMs: 1_000 });
    failTimes(ejection, 1, 2);
    failTimes(ejection, 1, 5);
    clock.advance(999);
    assert.equal(ejection.isEjected(1), true);
    clock.advance(1);
    assert.equal(ejection.isEjected(1), false);
    assert.equal(ejection.stats().ejectedNow, 0);
    ejection.record(1, false);
    assert.equal(ejection.isEjected(1), false);
  });

  it('ejects for longer each time, up to the cap, and forgives with time back in rotation', () => {
    const clock = new FakeClock();
    const ejection = new OutlierEjection(2, clock, {
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
      maxEjectionMs: 3_500,
    });
    const lengths: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      ejection.record(0, false);
      const until = ejection.stats().replicas[0]?.ejectedUntilMs ?? 0;
      lengths.push(until - clock.now());
      clock.advance(until - clock.now());
    }
    assert.deepEqual(lengths, [1_000, 2_000, 3_000, 3_500, 3_500]);
    clock.advance(2_000);
    ejection.record(0, false);
    const until = ejection.stats().replicas[0]?.ejectedUntilMs ?? 0;
    assert.equal(until - clock.now(), 3_500, 'multiplier 5 - 2 forgiven + 1 = 4, still capped');
    clock.advance(until - clock.now() + 10_000);
    ejection.record(0, false);
    assert.equal((ejection.stats().replicas[0]?.ejectedUntilMs ?? 0) - clock.now(), 1_000);
    assert.equal(ejection.stats().replicas[0]?.ejectionsTotal, 7);
  });

  it('never ejects more than maxEjectionPercent, and retries once room frees up', () => {
    const clock = new FakeClock();
    const ejection = new OutlierEjection(4, clock, { consecutiveFailures: 1, baseEjectionMs: 1_000 });
    for (let index = 0; index < 4; index += 1) ejection.record(index, false);
    assert.equal(ejection.stats().ejectedNow, 2);
    assert.equal(ejection.stats().blockedByMaxPercent, 2);
    clock.advance(1_000);
    ejection.record(2, false);
    assert.equal(ejection.isEjected(2), true);
    const lone = new OutlierEjection(1, clock, { consecutiveFailures: 1 });
    failTimes(lone, 0, 10);
    assert.equal(lone.isEjected(0), false, 'the only replica is never ejected at 50%');
    const all = new OutlierEjection(3, clock, { consecutiveFailures: 1, maxEjectionPercent: 100 });
    for (let index = 0; index < 3; index += 1) all.record(index, false);
    assert.equal(all.stats().ejectedNow, 3);
  });
});
