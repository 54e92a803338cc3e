import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotWaiters } from './slot-waiters.ts';

const FAR = () => performance.now() + 60_000;

test('waiters are woken one per released slot, oldest first', async () => {
  const waiters = new SlotWaiters({ maxWaitMs: 60_000, maxWaiting: 8 });
  const order: string[] = [];
  const first = waiters.wait(FAR(), new AbortController().signal).then((end) => order.push(`first ${end}`));
  const second = waiters.wait(FAR(), new AbortController().signal).then((end) => order.push(`second ${end}`));
  assert.equal(waiters.stats().waiting, 2);
  waiters.wakeOne();
  await first;
  assert.deepEqual(order, ['first slot']);
  waiters.wakeOne();
  await second;
  assert.deepEqual(order, ['first slot', 'second slot']);
  waiters.wakeOne();
  assert.deepEqual(
    waiters.stats(),
    { waiting: 0, woken: 2, expired: 0, refusedFull: 0 },
    'a wake with nobody waiting is a no-op',
  );
});

test('a wait ends false when its time is up, when the queue is full, or when the caller aborts', async () => {
  const waiters = new SlotWaiters({ maxWaitMs: 60_000, maxWaiting: 1 });
  assert.equal(
    await waiters.wait(performance.now() - 1, new AbortController().signal),
    'expired',
    'a deadline already past',
  );
  assert.equal(
    await waiters.wait(performance.now() + 5, new AbortController().signal),
    'expired',
    'a short deadline expires',
  );
  const leaving = new AbortController();
  const held = waiters.wait(FAR(), leaving.signal);
  assert.equal(await waiters.wait(FAR(), new AbortController().signal), 'full', 'max_waiting is 1');
  leaving.abort();
  assert.equal(await held, 'aborted');
  assert.deepEqual(
    waiters.stats(),
    { waiting: 0, woken: 0, expired: 1, refusedFull: 1 },
    'an abort is neither woken nor expired',
  );
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(await waiters.wait(FAR(), aborted.signal), 'aborted', 'already aborted');
});

test('a higher priority level is woken first, and tenants of a level take turns', async () => {
  const waiters = new SlotWaiters({ maxWaitMs: 60_000, maxWaiting: 16 });
  const woken: string[] = [];
  const wait = (name: string, priority: number, tenant: string) =>
    waiters.wait(FAR(), new AbortController().signal, { priority, tenant, weight: 1 }).then((end) => {
      if (end === 'slot') woken.push(name);
    });
  const flood = [1, 2, 3].map((index) => wait(`a${index}`, 2, 'a'));
  const other = wait('b1', 2, 'b');
  const urgent = wait('c1', 1, 'c');
  for (let wake = 0; wake < 5; wake += 1) {
    waiters.wakeOne();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all([...flood, other, urgent]);
  assert.equal(woken[0], 'c1', 'level 1 before level 2');
  assert.ok(woken.indexOf('b1') <= 2, `tenant b is not served after all of tenant a's flood (${woken.join(', ')})`);
  assert.deepEqual([...woken].sort(), ['a1', 'a2', 'a3', 'b1', 'c1']);
  assert.deepEqual(
    woken.filter((name) => name.startsWith('a')),
    ['a1', 'a2', 'a3'],
    "a tenant's own requests in arrival order",
  );
});
