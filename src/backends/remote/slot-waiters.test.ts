import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotWaiters } from './slot-waiters.ts';

const FAR = () => performance.now() + 60_000;

test('waiters are woken one per released slot, oldest first', async () => {
  const waiters = new SlotWaiters({ maxWaitMs: 60_000, maxWaiting: 8 });
  const order: string[] = [];
  const first = waiters.wait(FAR(), new AbortController().signal).then((woken) => order.push(`first ${woken}`));
  const second = waiters.wait(FAR(), new AbortController().signal).then((woken) => order.push(`second ${woken}`));
  assert.equal(waiters.stats().waiting, 2);
  waiters.wakeOne();
  await first;
  assert.deepEqual(order, ['first true']);
  waiters.wakeOne();
  await second;
  assert.deepEqual(order, ['first true', 'second true']);
  waiters.wakeOne();
  assert.deepEqual(waiters.stats(), { waiting: 0, woken: 2, expired: 0, refusedFull: 0 }, 'a wake with nobody waiting is a no-op');
});

test('a wait ends false when its time is up, when the queue is full, or when the caller aborts', async () => {
  const waiters = new SlotWaiters({ maxWaitMs: 60_000, maxWaiting: 1 });
  assert.equal(await waiters.wait(performance.now() - 1, new AbortController().signal), false, 'a deadline already past');
  assert.equal(await waiters.wait(performance.now() + 5, new AbortController().signal), false, 'a short deadline expires');
  const leaving = new AbortController();
  const held = waiters.wait(FAR(), leaving.signal);
  assert.equal(await waiters.wait(FAR(), new AbortController().signal), false, 'max_waiting is 1');
  leaving.abort();
  assert.equal(await held, false);
  assert.deepEqual(waiters.stats(), { waiting: 0, woken: 0, expired: 1, refusedFull: 1 }, 'an abort is neither woken nor expired');
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(await waiters.wait(FAR(), aborted.signal), false, 'already aborted');
});
