import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock, TimerHandle } from '../../../core/clock.ts';
import { DynamicBatcher } from './batcher.ts';
import { harness, HeldExecutor, row, settle, ticket, track, VARIABLE_INPUT } from './batcher-harness.ts';
import { LoadShedError } from './load-errors.ts';

describe('DynamicBatcher deadlines', () => {
  it('rejects a request with 504 when its deadline passes in the queue, at once, and never runs its rows', async () => {
    const { clock, executor, batcher, sheds } = harness({ policy: { maxBatchSize: 2 } });
    const blocker = batcher.submitRequest([row(1)], ticket('a'));
    await settle();
    const victim = track(batcher.submitRequest([row(2), row(3), row(4)], ticket('b', { deadlineMs: 5 })));
    const other = batcher.submitRequest([row(9)], ticket('c'));
    await settle();
    assert.equal(clock.pendingTimers, 1, 'one timer, for the earliest deadline');
    clock.advance(4);
    await settle();
    assert.equal(victim.done, false);
    clock.advance(1);
    await settle();
    assert.ok(victim.error instanceof LoadShedError, 'rejected while the blocking batch still runs');
    assert.equal(victim.error.status, 504);
    assert.equal(victim.error.code, 'ERR_DEADLINE_EXCEEDED');
    assert.match(victim.error.message, /timed out in the queue after 5 ms/);
    assert.deepEqual(sheds, [{ reason: 'deadline', tenant: 'b', priority: 1, rows: 3, queued: true }]);
    assert.equal(batcher.stats().queued, 1, 'all three rows were withdrawn');
    executor.double(0);
    await settle();
    assert.deepEqual(executor.firstValues(1), [9]);
    executor.double(1);
    await Promise.all([blocker, other]);
    assert.deepEqual(
      executor.calls.flatMap((_, index) => executor.firstValues(index)),
      [1, 9],
      'rows 2–4 never ran',
    );
    assert.equal(batcher.stats().shed.deadline, 1);
    await batcher.close();
    assert.equal(clock.pendingTimers, 0);
  });

  it('fails a multi-row request whose first rows are running when the rest expire, and withdraws the rest', async () => {
    const { clock, executor, batcher } = harness({ policy: { maxBatchSize: 2 }, slots: 1 });
    const blocker = batcher.submitRequest([row(1), row(2)], ticket('a'));
    await settle();
    const split = track(batcher.submitRequest([row(3), row(4), row(5)], ticket('b', { deadlineMs: 20 })));
    executor.double(0);
    await settle();
    assert.deepEqual(executor.firstValues(1), [3, 4], 'two of its rows run; the third waits for the slot');
    clock.advance(20);
    await settle();
    assert.equal((split.error as LoadShedError | undefined)?.code, 'ERR_DEADLINE_EXCEEDED');
    executor.double(1);
    await settle();
    assert.equal(executor.calls.length, 2, 'row 5 never ran');
    assert.equal(batcher.stats().queued, 0);
    await blocker;
    await batcher.close();
  });

  it('checks deadlines when it forms a batch too, so a late timer cannot let an expired row run', async () => {
    const clock = new LateTimersClock();
    const executor = new HeldExecutor();
    const batcher = new DynamicBatcher({
      policy: { maxBatchSize: 4, maxQueueDelayMs: 0, preferredBatchSizes: [], ragged: 'pad' },
      inputs: VARIABLE_INPUT,
      execute: executor.execute,
      clock,
    });
    const blocker = batcher.submitRequest([row(1)], ticket('a'));
    await settle();
    const victim = track(batcher.submitRequest([row(2)], ticket('b', { deadlineMs: 5 })));
    const survivor = batcher.submitRequest([row(3)], ticket('c', { deadlineMs: 50 }));
    await settle();
    clock.nowMs = 10;
    await settle();
    assert.equal(victim.done, false, 'its timer has not fired');
    executor.double(0);
    await settle();
    assert.equal((victim.error as LoadShedError | undefined)?.status, 504);
    assert.deepEqual(executor.firstValues(1), [3]);
    executor.double(1);
    await Promise.all([blocker, survivor]);
  });

  it('refuses a request whose deadline has already passed with 504', async () => {
    const { clock, batcher, sheds } = harness();
    clock.advance(10);
    await assert.rejects(batcher.submitRequest([row(1)], ticket('a', { deadlineMs: 10 })), {
      code: 'ERR_DEADLINE_EXCEEDED',
      message: /before it was queued/,
    });
    assert.deepEqual(sheds, [{ reason: 'deadline', tenant: 'a', priority: 1, rows: 1, queued: false }]);
  });
});

describe('DynamicBatcher predicted-miss admission', () => {
  /** A batch of 4 takes 10 ms; one is running since t=0 and 8 rows are queued behind it. */
  async function busy() {
    const setup = harness({ policy: { maxBatchSize: 4 } });
    setup.batcher.recordWarmup(4, 10);
    const pending = [setup.batcher.submitRequest([row(1), row(1), row(1), row(1)], ticket('q'))];
    await settle();
    pending.push(setup.batcher.submitRequest([row(2), row(2), row(2), row(2)], ticket('q')));
    pending.push(setup.batcher.submitRequest([row(3), row(3), row(3), row(3)], ticket('q')));
    return { ...setup, pending };
  }

  it('refuses at once a request that cannot meet its deadline, with a Retry-After', async () => {
    const { executor, batcher, sheds } = await busy();
    // Predicted: (10 left of the running batch + 2 × 10 ahead) / 1 slot + 2.5 for its own batch = 32.5 ms.
    const refused = batcher.submitRequest([row(9)], ticket('late', { deadlineMs: 32 }));
    await assert.rejects(refused, (error: unknown) => {
      assert.ok(error instanceof LoadShedError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'ERR_ADMISSION_PREDICTED_MISS');
      assert.equal(error.reason, 'predicted_miss');
      // No batch has finished yet: the drain rate is estimated from full batches, 4 rows / 10 ms.
      assert.equal(error.retryAfterMs, 20);
      assert.match(error.message, /about 33 ms but its deadline is 32 ms away/);
      return true;
    });
    assert.deepEqual(sheds, [{ reason: 'predicted_miss', tenant: 'late', priority: 1, rows: 1, queued: false }]);
    assert.equal(batcher.stats().queued, 8, 'nothing of it was queued');
    const admitted = batcher.submitRequest([row(8)], ticket('ok', { deadlineMs: 33 }));
    assert.equal(batcher.stats().queued, 9);
    for (let call = 0; call < 3; call += 1) {
      executor.double(call);
      await settle();
    }
    await admitted;
    assert.equal(batcher.stats().shed.predicted_miss, 1);
  });

  it('admits when it has no evidence: no samples, no refusal', async () => {
    const { clock, batcher, executor, sheds } = harness({ policy: { maxBatchSize: 1 } });
    const pending = Array.from({ length: 3 }, (_, i) =>
      track(batcher.submitRequest([row(i)], ticket('a', { deadlineMs: 1 }))),
    );
    assert.equal(batcher.stats().queued, 3, 'admitted, although a batch at a time cannot serve them all in 1 ms');
    await settle();
    clock.advance(1);
    executor.double(0);
    await settle();
    assert.ok(pending[0]?.value !== undefined);
    assert.deepEqual(
      pending.slice(1).map((request) => (request.error as LoadShedError | undefined)?.code),
      ['ERR_DEADLINE_EXCEEDED', 'ERR_DEADLINE_EXCEEDED'],
    );
    assert.equal(sheds.filter((event) => event.reason === 'predicted_miss').length, 0);
  });
});

describe('DynamicBatcher bounded queues', () => {
  it('admits all of a request’s rows or none', async () => {
    const { executor, batcher, sheds } = harness({ scheduling: { maxQueueSize: 4 } });
    const blocker = batcher.submitRequest([row(0)], ticket('a'));
    await settle();
    const first = track(batcher.submitRequest([row(1), row(1), row(1)], ticket('a')));
    await assert.rejects(batcher.submitRequest([row(2), row(2)], ticket('a')), {
      code: 'ERR_ADMISSION_QUEUE_FULL',
      status: 429,
    });
    await assert.rejects(batcher.submitRequest([row(3), row(3), row(3), row(3), row(3)], ticket('b')), {
      code: 'ERR_ADMISSION_QUEUE_FULL',
    });
    assert.deepEqual(batcher.stats().queuedByTenant, { a: 3 }, 'no row of a refused request was queued');
    const light = batcher.submitRequest([row(4), row(4)], ticket('c'));
    await settle();
    assert.equal(
      (first.error as LoadShedError | undefined)?.code,
      'ERR_ADMISSION_QUEUE_FULL',
      'the heavier tenant’s whole request was shed',
    );
    assert.match((first.error as Error).message, /shed to make room/);
    assert.deepEqual(batcher.stats().queuedByTenant, { c: 2 });
    assert.deepEqual(
      sheds.map((event) => [event.tenant, event.rows, event.queued]),
      [
        ['a', 2, false],
        ['b', 5, false],
        ['a', 3, true],
      ],
    );
    executor.double(0);
    await settle();
    assert.deepEqual(executor.firstValues(1), [4, 4]);
    executor.double(1);
    await Promise.all([blocker, light]);
  });

  it('serves a light tenant within a bounded number of batches while another floods, shedding only the flooder', async () => {
    const { executor, batcher, sheds } = harness({ scheduling: { maxQueueSize: 32 } });
    const flood = Array.from({ length: 100 }, (_, i) => track(batcher.submitRequest([row(1000 + i)], ticket('A'))));
    const light = Array.from({ length: 10 }, (_, i) => track(batcher.submitRequest([row(2000 + i)], ticket('B'))));
    let batches = 0;
    for (; light.some((request) => !request.done); batches += 1) {
      await settle();
      executor.double(batches);
      await settle();
    }
    assert.ok(batches <= 5, `B was served within ${batches} batches of 4`);
    assert.ok(light.every((request) => request.value !== undefined));
    for (; executor.calls.length > batches; batches += 1) {
      executor.double(batches);
      await settle();
    }
    const served = flood.flatMap((request, i) => (request.value === undefined ? [] : [i]));
    assert.deepEqual(
      served,
      Array.from({ length: 22 }, (_, i) => i),
      'A’s oldest 22 were served; its newest were shed or refused',
    );
    assert.ok(
      flood.every(
        (request) =>
          request.value !== undefined || (request.error as LoadShedError).code === 'ERR_ADMISSION_QUEUE_FULL',
      ),
    );
    assert.ok(sheds.every((event) => event.tenant === 'A' && event.reason === 'queue_full'));
    assert.equal(sheds.filter((event) => event.queued).length, 10, 'one of A’s queued requests evicted per B arrival');
    const stats = batcher.stats();
    assert.deepEqual(stats.shedByTenant, { A: { queue_full: 78, predicted_miss: 0, deadline: 0 } });
    assert.equal(stats.shed.queue_full, 78);
  });

  it('tells a refused client to retry once the rows ahead of it have drained at the measured rate', async () => {
    const { clock, executor, batcher } = harness({ scheduling: { maxQueueSize: 8 } });
    // Two batches of 4, 10 ms each, back to back: 400 rows/s.
    for (let call = 0; call < 2; call += 1) {
      const done = batcher.submitRequest([row(1), row(1), row(1), row(1)], ticket('a'));
      await settle();
      clock.advance(10);
      executor.double(call);
      await done;
    }
    assert.equal(batcher.stats().serviceModel.drainRowsPerSec, 400);
    batcher.submitRequest([row(2), row(2), row(2), row(2)], ticket('a')).catch(() => undefined);
    await settle();
    for (let i = 0; i < 8; i += 1) batcher.submitRequest([row(3)], ticket('a')).catch(() => undefined);
    await assert.rejects(batcher.submitRequest([row(4)], ticket('a')), {
      code: 'ERR_ADMISSION_QUEUE_FULL',
      retryAfterMs: 20,
    });
  });
});

/** A clock whose timers never fire: stands in for a timer that runs late. */
class LateTimersClock implements Clock {
  nowMs = 0;

  now(): number {
    return this.nowMs;
  }

  setTimer(_fn: () => void, ms: number): TimerHandle {
    return { dueMs: this.nowMs + ms };
  }

  clearTimer(): void {}
}
