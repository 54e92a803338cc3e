import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateSampler } from './rate-sampler.ts';

/** Items offered at `rate` a second for `seconds`, on a fake clock: how many were taken each second. */
function takenPerSecond(sampler: RateSampler, clock: { now: number }, rate: number, seconds: number): number[] {
  const perSecond: number[] = [];
  for (let second = 0; second < seconds; second += 1) {
    let taken = 0;
    for (let item = 0; item < rate; item += 1) {
      clock.now = (second * 1000 + (item * 1000) / rate) | 0;
      if (sampler.take()) taken += 1;
    }
    perSecond.push(taken);
  }
  return perSecond;
}

test('below the bound every item is taken', () => {
  const clock = { now: 0 };
  const sampler = new RateSampler(500, () => clock.now);
  assert.deepEqual(takenPerSecond(sampler, clock, 400, 5), [400, 400, 400, 400, 400]);
  assert.equal(sampler.oneIn, 1);
});

test('above the bound, from the second second on, at most the bound a second, evenly spaced', () => {
  const clock = { now: 0 };
  const sampler = new RateSampler(500, () => clock.now);
  const taken = takenPerSecond(sampler, clock, 4000, 5);
  assert.equal(taken[0], 4000, 'the first second has no rate to go by yet');
  for (const count of taken.slice(1)) assert.equal(count, 500);
  assert.equal(sampler.oneIn, 8);
});

test('a rate that falls back below the bound takes every item again after a second', () => {
  const clock = { now: 0 };
  const sampler = new RateSampler(100, () => clock.now);
  takenPerSecond(sampler, clock, 1000, 3);
  assert.equal(sampler.oneIn, 10);
  const taken: number[] = [];
  for (let second = 3; second < 6; second += 1) {
    let count = 0;
    for (let item = 0; item < 50; item += 1) {
      clock.now = second * 1000 + item * 20;
      if (sampler.take()) count += 1;
    }
    taken.push(count);
  }
  assert.deepEqual(taken.slice(1), [50, 50]);
  assert.equal(sampler.oneIn, 1);
});

test('0 takes every item whatever the rate', () => {
  const clock = { now: 0 };
  const sampler = new RateSampler(0, () => clock.now);
  assert.deepEqual(takenPerSecond(sampler, clock, 5000, 2), [5000, 5000]);
});
