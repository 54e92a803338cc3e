import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { ConnectionDrain, type ResponseHeaders } from './connection-drain.ts';

const QUIET_MS = 250;

function response(): ResponseHeaders & { headers: Map<string, string> } {
  const headers = new Map<string, string>();
  return {
    headers,
    setHeader(name, value) {
      headers.set(name, value);
      return this;
    },
  };
}

/** The settled value of `promise` once the clock's due timers have fired, or 'pending'. */
async function settledAfter<T>(clock: FakeClock, ms: number, promise: Promise<T>): Promise<T | 'pending'> {
  clock.advance(ms);
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('ConnectionDrain', () => {
  it('leaves responses alone until shutdown begins, then closes every connection after its response', () => {
    const drain = new ConnectionDrain(new FakeClock(), QUIET_MS);
    const before = response();
    drain.onRequest(before);
    assert.equal(before.headers.size, 0);
    assert.equal(drain.active, false);
    drain.begin();
    const after = response();
    drain.onRequest(after);
    assert.equal(after.headers.get('connection'), 'close');
    assert.equal(drain.active, true);
  });

  it('goes quiet once no request has arrived for quietMs, counted from the last arrival', async () => {
    const clock = new FakeClock(1_000);
    const drain = new ConnectionDrain(clock, QUIET_MS);
    drain.begin();
    const quiet = drain.quiet(30_000);
    assert.equal(await settledAfter(clock, 200, quiet), 'pending');
    drain.onRequest(response());
    assert.equal(await settledAfter(clock, 200, quiet), 'pending', 'the arrival at 200 ms restarted the quiet time');
    assert.equal(await settledAfter(clock, 50, quiet), true);
  });

  it('gives up at the deadline when requests keep arriving', async () => {
    const clock = new FakeClock();
    const drain = new ConnectionDrain(clock, QUIET_MS);
    drain.begin();
    const quiet = drain.quiet(1_000);
    for (let elapsed = 0; elapsed < 900; elapsed += 100) {
      assert.equal(await settledAfter(clock, 100, quiet), 'pending');
      drain.onRequest(response());
    }
    assert.equal(await settledAfter(clock, 100, quiet), false);
  });

  it('is quiet at once with a zero quiet time, and refuses a negative one', async () => {
    const clock = new FakeClock();
    const drain = new ConnectionDrain(clock, 0);
    drain.begin();
    assert.equal(await drain.quiet(1_000), true);
    assert.throws(() => new ConnectionDrain(clock, -1), /quietMs must be a finite number ≥ 0, got -1/);
  });
});
