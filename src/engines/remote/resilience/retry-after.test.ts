import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { Cooldowns, parseRetryAfterMs } from './retry-after.ts';

describe('parseRetryAfterMs', () => {
  const wallNow = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delay-seconds and HTTP-dates', () => {
    assert.equal(parseRetryAfterMs('2', wallNow), 2_000);
    assert.equal(parseRetryAfterMs(' 0 ', wallNow), 0);
    assert.equal(parseRetryAfterMs(['7', '9'], wallNow), 7_000, 'the first of repeated headers');
    assert.equal(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', wallNow), 30_000);
    assert.equal(parseRetryAfterMs('Wednesday, 21-Oct-15 07:28:05 GMT', wallNow), 5_000, 'the obsolete RFC 850 form');
    assert.ok((parseRetryAfterMs('Wed, 21 Oct 2015 07:27:00 GMT', wallNow) ?? 1) < 0, 'a date passed asks for nothing');
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', '1.5', '-3', 'soon', 'in 5 seconds', '2015-10-21']) {
      assert.equal(parseRetryAfterMs(value, wallNow), undefined, String(value));
    }
  });
});

describe('Cooldowns', () => {
  it('keeps a replica out until its Retry-After has passed', () => {
    const clock = new FakeClock();
    const cooldowns = new Cooldowns(2, clock, 60_000);
    cooldowns.coolDown(0, 2_000);
    assert.equal(cooldowns.isCoolingDown(0), true);
    assert.equal(cooldowns.isCoolingDown(1), false);
    clock.advance(1_999);
    assert.equal(cooldowns.remainingMs(0), 1);
    clock.advance(1);
    assert.equal(cooldowns.isCoolingDown(0), false);
    assert.deepEqual(cooldowns.stats(0), { remainingMs: 0, cooldowns: 1 });
  });

  it('caps a long request and never shortens a running cooldown', () => {
    const clock = new FakeClock();
    const cooldowns = new Cooldowns(1, clock, 60_000);
    cooldowns.coolDown(0, 3_600_000);
    assert.equal(cooldowns.remainingMs(0), 60_000);
    cooldowns.coolDown(0, 1_000);
    assert.equal(cooldowns.remainingMs(0), 60_000, 'a late, shorter answer does not cut it short');
    assert.equal(cooldowns.stats(0).cooldowns, 1);
    clock.advance(30_000);
    cooldowns.coolDown(0, 50_000);
    assert.equal(cooldowns.remainingMs(0), 50_000, 'a longer one extends it');
    assert.equal(cooldowns.stats(0).cooldowns, 2);
  });

  it('ignores zero, negative and out-of-range requests', () => {
    const clock = new FakeClock();
    const cooldowns = new Cooldowns(1, clock, 60_000);
    cooldowns.coolDown(0, 0);
    cooldowns.coolDown(0, -5);
    cooldowns.coolDown(3, 1_000);
    assert.deepEqual(cooldowns.stats(0), { remainingMs: 0, cooldowns: 0 });
    assert.throws(() => new Cooldowns(1, clock, 0), RangeError);
  });
});
