import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { HedgePolicy } from './hedge-policy.ts';

function warmed(clock: FakeClock, options: ConstructorParameters<typeof HedgePolicy>[0] = {}): HedgePolicy {
  const policy = new HedgePolicy({ clock, ...options });
  // Latencies 1..100 ms: the p95 is 95 ms.
  for (let latency = 1; latency <= 100; latency += 1) {
    policy.recordRequest();
    policy.observeLatency(latency);
  }
  return policy;
}

describe('HedgePolicy', () => {
  it('does not hedge before it has enough samples', () => {
    const clock = new FakeClock();
    const policy = new HedgePolicy({ clock, minSamples: 20 });
    for (let sample = 0; sample < 19; sample += 1) {
      policy.recordRequest();
      policy.observeLatency(10);
    }
    assert.equal(policy.hedgeAfterMs(), undefined);
    assert.equal(policy.shouldHedge(10_000), false);
    policy.observeLatency(10);
    assert.equal(policy.hedgeAfterMs(), 10);
  });

  it('hedges only once the first attempt has passed the p95, and never a stream', () => {
    const clock = new FakeClock();
    const policy = warmed(clock);
    assert.equal(policy.hedgeAfterMs(), 95);
    assert.equal(policy.shouldHedge(94), false);
    assert.equal(policy.shouldHedge(95, true), false);
    assert.equal(policy.shouldHedge(95), true);
  });

  it('stays within the hedge budget', () => {
    const clock = new FakeClock();
    const policy = warmed(clock);
    let hedges = 0;
    for (let request = 0; request < 100; request += 1) {
      policy.recordRequest();
      if (policy.shouldHedge(1_000)) hedges += 1;
    }
    // 200 requests in the window at 10%.
    assert.equal(hedges, 20);
    assert.equal(policy.stats().hedgesInWindow, 20);
    assert.ok(policy.stats().deniedTotal > 0);
  });

  it('recomputes the percentile every 16 observations, not on every request', () => {
    const policy = warmed(new FakeClock(), { sampleSize: 20 });
    const before = policy.hedgeAfterMs();
    for (let sample = 0; sample < 15; sample += 1) policy.observeLatency(1_000);
    assert.equal(policy.hedgeAfterMs(), before, 'fifteen new observations: the cached figure stands');
    policy.observeLatency(1_000);
    assert.equal(policy.hedgeAfterMs(), 1_000, 'the sixteenth brings it up to date');
  });

  it('follows recent latency: old samples roll out of the ring', () => {
    const clock = new FakeClock();
    const policy = warmed(clock, { sampleSize: 100 });
    for (let sample = 0; sample < 100; sample += 1) policy.observeLatency(500);
    assert.equal(policy.hedgeAfterMs(), 500);
    assert.equal(policy.stats().samples, 100);
    assert.throws(() => new HedgePolicy({ percentile: 0 }), RangeError);
  });
});
