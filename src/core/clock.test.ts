import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';

describe('FakeClock', () => {
  it('moves only when advanced', () => {
    const clock = new FakeClock(5);
    assert.equal(clock.now(), 5);
    clock.advance(2.5);
    assert.equal(clock.now(), 7.5);
  });

  it('fires due timers in due order, same-time timers in the order they were set, each at its own due time', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimer(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimer(() => fired.push(`b@${clock.now()}`), 10);
    clock.setTimer(() => fired.push(`late@${clock.now()}`), 31);
    clock.advance(30);
    assert.deepEqual(fired, ['a@10', 'b@10', 'c@30']);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pendingTimers, 1);
  });

  it('fires timers set by a firing timer when they fall due within the same advance', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
    }, 10);
    clock.advance(20);
    assert.deepEqual(fired, [10, 15]);
    assert.equal(clock.now(), 20);
  });

  it('does not fire cleared timers', () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimer(() => {
      fired = true;
    }, 1);
    assert.equal(handle.dueMs, 1);
    clock.clearTimer(handle);
    clock.advance(10);
    assert.equal(fired, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it('fires a zero-delay timer on the next advance, even advance(0)', () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.setTimer(() => (fired += 1), 0);
    clock.advance(0);
    assert.equal(fired, 1);
  });
});
