import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { createRng } from '../../../core/seeded-rng.ts';
import { jitteredBackoffMs, RetryBudget } from './retry-budget.ts';

/** Sends `requests` evenly over `seconds`, each failing and retrying up to 3 times while the budget allows. */
function fullOutage(budget: RetryBudget, clock: FakeClock, requests: number, seconds: number): number {
  let retries = 0;
  for (let request = 0; request < requests; request += 1) {
    budget.recordRequest();
    for (let attempt = 1; attempt <= 3 && budget.tryRetry(); attempt += 1) retries += 1;
    clock.advance((seconds * 1000) / requests);
  }
  return retries;
}

describe('RetryBudget', () => {
  it('keeps retries within ratio plus floor under a full outage', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ clock });
    const retries = fullOutage(budget, clock, 1_000, 10);
    assert.ok(retries <= 0.2 * 1_000 + 10 * 10, `retries ${retries}`);
    assert.ok(retries >= 0.2 * 1_000, 'the budget is actually spent');
    assert.ok(budget.stats().deniedTotal > 0);
  });

  it('stays bounded over a long outage (the floor is per second, plus one window of slack)', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ clock, minRetriesPerS: 1 });
    const retries = fullOutage(budget, clock, 1_000, 100);
    assert.ok(retries <= 0.2 * 1_000 + 1 * (100 + 10), `retries ${retries}`);
  });

  it('allows retries when they are rare, and the floor covers a quiet service', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ clock, minRetriesPerS: 0 });
    for (let request = 0; request < 100; request += 1) {
      budget.recordRequest();
      if (request % 10 === 9) assert.equal(budget.tryRetry(), true);
      clock.advance(10);
    }
    assert.deepEqual(budget.stats(), { requests: 100, retries: 10, available: 10, deniedTotal: 0 });
    const quiet = new RetryBudget({ clock, minRetriesPerS: 1, windowMs: 5_000 });
    for (let retry = 0; retry < 5; retry += 1) assert.equal(quiet.tryRetry(), true);
    assert.equal(quiet.tryRetry(), false);
    clock.advance(6_000);
    assert.equal(quiet.tryRetry(), true, 'the window slid');
  });

  it('backs off exponentially with full jitter, within [0, min(cap, base * 2^(n-1)))', () => {
    const random = createRng(11).next;
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      const ceiling = Math.min(1_000, 25 * 2 ** (attempt - 1));
      for (let draw = 0; draw < 200; draw += 1) {
        const delay = jitteredBackoffMs(attempt, random);
        assert.ok(delay >= 0 && delay < ceiling, `attempt ${attempt}: ${delay}`);
      }
    }
    assert.equal(
      jitteredBackoffMs(3, () => 0.5),
      50,
    );
    assert.equal(
      jitteredBackoffMs(40, () => 0.5),
      500,
    );
    const budget = new RetryBudget({ random: () => 0.999, backoffBaseMs: 10, backoffCapMs: 100 });
    assert.ok(budget.jitteredBackoffMs(2) < 20 && budget.jitteredBackoffMs(2) > 19);
    assert.ok(budget.jitteredBackoffMs(9) < 100);
  });
});
