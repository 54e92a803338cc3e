/**
 * What every `Clock` promises, as one suite each implementation runs (`clock.contract.test.ts`).
 * `pass(ms)` lets at least `ms` go by on the clock and returns once every timer due by then
 * has fired: `FakeClock` advances, `RealClock` sleeps a little longer than asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from './clock.ts';

export interface ClockUnderTest {
  readonly clock: Clock;
  pass(ms: number): Promise<void>;
}

export function runClockContract(name: string, newClock: () => ClockUnderTest): void {
  describe(`${name} keeps the Clock contract`, () => {
    it('never goes back, and moves by at least the time that passed', async () => {
      const { clock, pass } = newClock();
      let previous = clock.now();
      for (let read = 0; read < 1000; read += 1) {
        const now = clock.now();
        assert.ok(now >= previous, `now() went from ${previous} back to ${now}`);
        previous = now;
      }
      await pass(5);
      assert.ok(clock.now() >= previous + 5, `5 ms passed, now() moved by ${clock.now() - previous}`);
    });

    it("puts a timer's dueMs on the now() scale, and never before now() even for a negative delay", () => {
      const { clock } = newClock();
      const before = clock.now();
      const handle = clock.setTimer(() => {}, 7);
      const after = clock.now();
      assert.ok(
        handle.dueMs >= before + 7 && handle.dueMs <= after + 7,
        `dueMs ${handle.dueMs}, set at ${before}..${after}`,
      );
      const negative = clock.setTimer(() => {}, -50);
      assert.ok(negative.dueMs >= after, `a -50 ms timer is due at ${negative.dueMs}, set at ${after}`);
      clock.clearTimer(handle);
      clock.clearTimer(negative);
    });

    it('fires a timer once, no earlier than its dueMs', async () => {
      const { clock, pass } = newClock();
      const firedAt: number[] = [];
      const handle = clock.setTimer(() => firedAt.push(clock.now()), 10);
      await pass(10);
      assert.equal(firedAt.length, 1, 'fired once by its due time');
      assert.ok((firedAt[0] ?? 0) >= handle.dueMs, `fired at ${firedAt[0]}, due at ${handle.dueMs}`);
      await pass(15);
      assert.equal(firedAt.length, 1, 'and never again');
    });

    it('fires zero and negative delays on the next pass', async () => {
      const { clock, pass } = newClock();
      let fired = 0;
      clock.setTimer(() => (fired += 1), 0);
      clock.setTimer(() => (fired += 1), -5);
      await pass(0);
      assert.equal(fired, 2);
    });

    it('fires timers in due order, whatever order they were set in, and timers set while firing too', async () => {
      const { clock, pass } = newClock();
      const fired: Array<{ readonly name: string; readonly dueMs: number }> = [];
      const timer = (name: string, ms: number, then?: () => void): void => {
        const handle = clock.setTimer(() => {
          fired.push({ name, dueMs: handle.dueMs });
          then?.();
        }, ms);
      };
      timer('30', 30);
      timer('10', 10, () => timer('10+5', 5));
      timer('20', 20);
      await pass(40);
      const names = fired.map((timer) => timer.name);
      assert.deepEqual(
        names.filter((name) => name !== '10+5'),
        ['10', '20', '30'],
      );
      assert.ok(names.includes('10+5'), 'the timer set while firing fired');
      // '10+5' is due 5 ms after '10' fired, which a busy event loop may have delayed past '20'.
      const dues = fired.map((timer) => timer.dueMs);
      assert.deepEqual(
        dues,
        [...dues].sort((a, b) => a - b),
        `fired ${names.join(', ')}`,
      );
    });

    it('does not fire a cleared timer, and clearing twice or after firing is harmless', async () => {
      const { clock, pass } = newClock();
      const fired: string[] = [];
      const cleared = clock.setTimer(() => fired.push('cleared'), 5);
      const kept = clock.setTimer(() => fired.push('kept'), 5);
      clock.clearTimer(cleared);
      clock.clearTimer(cleared);
      await pass(10);
      clock.clearTimer(kept);
      await pass(10);
      assert.deepEqual(fired, ['kept']);
    });

    it('clears a timer from inside another timer that fires before it', async () => {
      const { clock, pass } = newClock();
      const fired: string[] = [];
      const later = clock.setTimer(() => fired.push('later'), 20);
      clock.setTimer(() => {
        fired.push('first');
        clock.clearTimer(later);
      }, 5);
      await pass(30);
      assert.deepEqual(fired, ['first']);
    });
  });
}
