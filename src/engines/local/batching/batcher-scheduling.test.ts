import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { harness, row, settle, ticket, track } from './batcher-harness.ts';
import type { ConcurrencyGate, GateOutcome, GatePermit } from '../../../control/concurrency-gate.ts';

describe('DynamicBatcher priorities and fair sharing', () => {
  it('runs a level-1 request queued after level-2 and level-3 ones first, then fills from the levels below', async () => {
    const { executor, batcher } = harness({ policy: { maxBatchSize: 2 }, scheduling: { priorityLevels: 3 } });
    const pending = [batcher.submitRequest([row(1)], ticket('a', { priority: 3 }))];
    await settle();
    pending.push(batcher.submitRequest([row(2), row(3)], ticket('a', { priority: 2 })));
    pending.push(batcher.submitRequest([row(4)], ticket('a', { priority: 3 })));
    pending.push(batcher.submitRequest([row(5)], ticket('b', { priority: 1 })));
    await settle();
    assert.deepEqual(batcher.stats().queuedByPriority, { 1: 1, 2: 2, 3: 1 });
    executor.double(0);
    await settle();
    assert.deepEqual(executor.firstValues(1), [5, 2]);
    executor.double(1);
    await settle();
    assert.deepEqual(executor.firstValues(2), [3, 4]);
    executor.double(2);
    await Promise.all(pending);
  });

  it('puts a ticket with priority 0, or beyond the levels, at the default level', async () => {
    const { batcher } = harness({ scheduling: { priorityLevels: 3, defaultPriorityLevel: 2 }, slots: 1 });
    batcher.submitRequest([row(1)], ticket('a', { priority: 1 })).catch(() => undefined);
    await settle();
    batcher.submitRequest([row(2)], ticket('a', { priority: 0 })).catch(() => undefined);
    batcher.submitRequest([row(3)], ticket('a', { priority: 4 })).catch(() => undefined);
    assert.deepEqual(batcher.stats().queuedByPriority, { 1: 0, 2: 2, 3: 0 });
    await assert.rejects(batcher.submitRequest([row(4)], ticket('a', { priority: 1.5 })), {
      code: 'ERR_REQUEST_PRIORITY',
    });
  });

  it('serves tenants weighted 2:1 at 2:1 under saturation', async () => {
    const { executor, batcher } = harness({ policy: { maxBatchSize: 3 } });
    for (let i = 0; i < 30; i += 1) {
      batcher.submitRequest([row(100)], ticket('heavy', { weight: 2 })).catch(() => undefined);
      batcher.submitRequest([row(200)], ticket('light', { weight: 1 })).catch(() => undefined);
    }
    for (let call = 0; call < 10; call += 1) {
      await settle();
      executor.double(call);
    }
    const served = executor.calls.slice(0, 10).flatMap((_, index) => executor.firstValues(index));
    assert.equal(served.length, 30);
    assert.equal(served.filter((value) => value === 100).length, 20);
    assert.deepEqual(batcher.stats().queuedByTenant, { heavy: 10, light: 20 });
  });

  it('never mixes shapes in group mode, across tenants and levels', async () => {
    const { executor, batcher } = harness({
      policy: { maxBatchSize: 8, ragged: 'group' },
      scheduling: { priorityLevels: 2 },
    });
    const pending = [
      batcher.submitRequest([row(1, 1), row(2, 2, 2)], ticket('a', { priority: 2 })),
      batcher.submitRequest([row(3, 3, 3), row(4, 4)], ticket('b', { priority: 1 })),
      batcher.submitRequest([row(5, 5)], ticket('c', { priority: 2 })),
    ];
    for (let call = 0; call < 2; call += 1) {
      await settle();
      executor.double(call);
    }
    assert.deepEqual(
      executor.calls.map((call) => call.batch.x?.dims),
      [
        [2, 3],
        [3, 2],
      ],
    );
    assert.deepEqual(
      executor.firstValues(0),
      [3, 2],
      'b holds the top level: its oldest row’s shape goes first, then level 2 fills',
    );
    const results = await Promise.all(pending);
    assert.deepEqual(
      results.map((rows) => rows.map((result) => result.batchSize)),
      [[3, 2], [2, 3], [3]],
    );
    assert.equal(batcher.stats().failedBatches, 0);
  });
});

/** A gate the test opens and closes, recording how each permit came back. */
class ManualGate implements ConcurrencyGate {
  limit = 0;
  inflight = 0;
  readonly outcomes: GateOutcome[] = [];

  tryAcquire(): GatePermit | undefined {
    if (this.inflight >= this.limit) return undefined;
    this.inflight += 1;
    return {
      release: (outcome) => {
        this.inflight -= 1;
        this.outcomes.push(outcome);
      },
    };
  }
}

describe('DynamicBatcher concurrency gate', () => {
  it('launches only with a permit, waits for wake() when capacity grows, and returns permits with the outcome', async () => {
    const gate = new ManualGate();
    const { clock, executor, batcher } = harness({ policy: { maxBatchSize: 2 }, concurrency: gate });
    const ok = batcher.submitRequest([row(1), row(2)], ticket('a'));
    const failing = track(batcher.submitRequest([row(3)], ticket('a')));
    await settle();
    assert.equal(executor.calls.length, 0, 'no permit, no batch');
    assert.equal(batcher.stats().slots, 0);
    gate.limit = 2;
    await settle();
    assert.equal(executor.calls.length, 0, 'nothing looks again until told');
    batcher.wake();
    await settle();
    assert.deepEqual(executor.sizes, [2, 1]);
    assert.equal(batcher.stats().running, 2);
    clock.advance(7);
    executor.double(0);
    executor.call(1).reject(new Error('boom'));
    await ok;
    await settle();
    assert.equal((failing.error as Error).message, 'boom');
    assert.deepEqual(gate.outcomes, [{ rttMs: 7 }, 'dropped']);
  });

  it('rejects slots and concurrency together', () => {
    assert.throws(() => harness({ slots: 2, concurrency: new ManualGate() }), /either slots or concurrency/);
  });
});

describe('DynamicBatcher close and stats', () => {
  it('close() drains every level and tenant without waiting out delays or dropping a row, and leaves no timer', async () => {
    const { clock, executor, batcher } = harness({
      policy: { maxBatchSize: 2, maxQueueDelayMs: 1000 },
      scheduling: { priorityLevels: 2 },
    });
    const pending = [
      batcher.submitRequest([row(1)], ticket('a', { priority: 2, deadlineMs: 5000 })),
      batcher.submitRequest([row(2)], ticket('b', { priority: 1, deadlineMs: 5000 })),
      batcher.submitRequest([row(3)], ticket('c', { priority: 2 })),
    ];
    await settle();
    assert.deepEqual(executor.sizes, [2]);
    const closed = track(batcher.close());
    executor.double(0);
    await settle();
    assert.deepEqual(executor.sizes, [2, 1], 'the last row runs without its delay');
    assert.equal(closed.done, false);
    executor.double(1);
    await settle();
    assert.equal(closed.done, true);
    assert.equal((await Promise.all(pending)).length, 3);
    assert.equal(clock.pendingTimers, 0);
    await assert.rejects(batcher.submitRequest([row(9)], ticket('a')), { code: 'ERR_BATCHER_CLOSED' });
  });

  it('reports queues per level and tenant, waits per level and the service model', async () => {
    const { clock, executor, batcher } = harness({ policy: { maxBatchSize: 2 }, scheduling: { priorityLevels: 2 } });
    batcher.recordWarmup(1, 3);
    const first = batcher.submitRequest([row(1), row(1)], ticket('a', { priority: 2 }));
    await settle();
    batcher.submitRequest([row(2)], ticket('b', { priority: 1 })).catch(() => undefined);
    batcher.submitRequest([row(3)], ticket('a', { priority: 2 })).catch(() => undefined);
    clock.advance(4);
    executor.double(0);
    await first;
    await settle();
    const stats = batcher.stats();
    assert.equal(stats.queued, 0);
    assert.equal(stats.running, 1);
    assert.equal(stats.slots, 1);
    assert.deepEqual(stats.queuedByPriority, { 1: 0, 2: 0 });
    assert.deepEqual(stats.queuedByTenant, {});
    assert.deepEqual(stats.queueWaitByPriority, { 1: { count: 1, sumMs: 4 }, 2: { count: 3, sumMs: 4 } });
    assert.deepEqual(stats.serviceModel, { batchMsBySize: { 1: 3, 2: 4 }, drainRowsPerSec: 500 });
    assert.deepEqual(stats.shed, { queue_full: 0, predicted_miss: 0, deadline: 0 });
    assert.deepEqual(stats.batchCountsBySize, { 2: 1 });
  });
});
