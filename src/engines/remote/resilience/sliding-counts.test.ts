import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { SlidingCounts } from './sliding-counts.ts';

describe('SlidingCounts', () => {
  it('counts per series over the window and forgets old buckets', () => {
    const clock = new FakeClock();
    const counts = new SlidingCounts(clock, 1_000, ['a', 'b'], 10);
    counts.add('a');
    counts.add('a', 2);
    counts.add('b');
    assert.equal(counts.total('a'), 3);
    assert.equal(counts.total('b'), 1);
    clock.advance(500);
    counts.add('a');
    assert.equal(counts.total('a'), 4);
    clock.advance(500);
    assert.equal(counts.total('a'), 1, 'the first bucket slid out');
    clock.advance(10_000);
    assert.equal(counts.total('a'), 0);
    counts.add('b');
    counts.clear();
    assert.equal(counts.total('b'), 0);
    assert.throws(() => new SlidingCounts(clock, 0, ['a']), RangeError);
  });
});
