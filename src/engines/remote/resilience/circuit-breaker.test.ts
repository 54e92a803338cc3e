import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

function attempt(breaker: CircuitBreaker, ok: boolean): void {
  assert.ok(breaker.canPass());
  breaker.record(breaker.pass(), ok);
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures; a success in between resets the run', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(clock, { consecutiveFailures: 3, minRequests: 1_000 });
    for (const ok of [false, false, true, false, false]) attempt(breaker, ok);
    assert.equal(breaker.state(), 'closed');
    attempt(breaker, false);
    assert.equal(breaker.state(), 'open');
    assert.equal(breaker.canPass(), false);
    assert.equal(breaker.stats().opens, 1);
  });

  it('opens on a failure rate over the window once there are enough attempts', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(clock, { consecutiveFailures: 100, failureRate: 0.5, minRequests: 10 });
    for (let pair = 0; pair < 4; pair += 1) {
      attempt(breaker, true);
      attempt(breaker, false);
    }
    assert.equal(breaker.state(), 'closed', '8 attempts is under minRequests');
    attempt(breaker, true);
    attempt(breaker, false);
    assert.equal(breaker.state(), 'open');
  });

  it('forgets failures that slid out of the window', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(clock, { consecutiveFailures: 100, minRequests: 4, windowMs: 1_000 });
    for (let failure = 0; failure < 3; failure += 1) attempt(breaker, false);
    clock.advance(2_000);
    attempt(breaker, true);
    attempt(breaker, false);
    assert.equal(breaker.state(), 'closed');
  });

  it('goes half-open after openMs, lets one probe through, and closes on its success', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(clock, { consecutiveFailures: 1, openMs: 1_000 });
    attempt(breaker, false);
    clock.advance(999);
    assert.equal(breaker.state(), 'open');
    clock.advance(1);
    assert.equal(breaker.state(), 'half-open');
    const probe = breaker.pass();
    assert.equal(probe.probe, true);
    assert.equal(breaker.canPass(), false, 'one probe at a time');
    breaker.record(probe, true);
    assert.equal(breaker.state(), 'closed');
    assert.equal(breaker.canPass(), true);
  });

  it('reopens for twice as long on a failed probe, capped, and resets after closing', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(clock, { consecutiveFailures: 1, openMs: 1_000, maxOpenMs: 3_000 });
    attempt(breaker, false);
    const periods: number[] = [];
    for (let probe = 0; probe < 3; probe += 1) {
      clock.advance((breaker.stats().openUntilMs ?? 0) - clock.now());
      breaker.record(breaker.pass(), false);
      periods.push((breaker.stats().openUntilMs ?? 0) - clock.now());
    }
    assert.deepEqual(periods, [2_000, 3_000, 3_000]);
    clock.advance(3_000);
    breaker.record(breaker.pass(), true);
    attempt(breaker, false);
    assert.equal((breaker.stats().openUntilMs ?? 0) - clock.now(), 1_000);
  });

  it('ignores late answers from attempts let through before it moved on', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(clock, { consecutiveFailures: 2, openMs: 1_000 });
    const slow = breaker.pass();
    attempt(breaker, false);
    attempt(breaker, false);
    clock.advance(1_000);
    const probe = breaker.pass();
    breaker.record(slow, true);
    assert.equal(breaker.state(), 'half-open', 'a stale success does not close it');
    breaker.record(probe, false);
    assert.equal(breaker.state(), 'open');
  });
});
