import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { AdaptiveLimit } from '../../../control/adaptive-limit.ts';
import type { BatchTensors } from '../../../core/tensors.ts';
import { ExecutionSlots } from './execution-slots.ts';
import { InstancePool } from './instance-pool.ts';
import { SessionLostError } from './model-session.ts';
import type { OnnxSession } from './onnx-session.ts';
import { until } from '../../../../test/support/held-sessions.ts';

/** A session whose runs are held until the test lets them finish. */
class HeldSession implements OnnxSession {
  released = false;
  readonly pending: Array<() => void> = [];
  constructor(readonly id: number) {}
  run(batch: BatchTensors): Promise<BatchTensors> {
    return new Promise((resolve) => this.pending.push(() => resolve({ ...batch, from: { dtype: 'int32', data: new Int32Array([this.id]), dims: [1] } })));
  }
  async release(): Promise<void> {
    this.released = true;
  }
  finishAll(): void {
    for (const finish of this.pending.splice(0)) finish();
  }
}

function harness(limit?: AdaptiveLimit) {
  const sessions: HeldSession[] = [];
  const warmups: Array<() => void> = [];
  let capacityCalls = 0;
  const pool = new InstancePool({
    start: () =>
      new Promise<OnnxSession>((resolve) => {
        const session = new HeldSession(sessions.length + 1);
        sessions.push(session);
        warmups.push(() => resolve(session));
      }),
    limit,
    onCapacity: () => (capacityCalls += 1),
  });
  return { pool, sessions, warmups, capacity: () => capacityCalls };
}

const BATCH: BatchTensors = { x: { dtype: 'float32', data: new Float32Array([1]), dims: [1, 1] } };
const tick = () => new Promise((resolve) => setImmediate(resolve));

test('an instance takes no traffic until its warm-up is done', async () => {
  const { pool, warmups, capacity } = harness();
  const scaling = pool.scaleTo(1);
  assert.equal(pool.size, 1);
  assert.deepEqual(pool.stats(), { ready: 0, starting: 1, draining: 0, busy: 0, permits: 0 });
  assert.equal(pool.tryAcquire(), undefined, 'no permit while the only instance warms up');
  warmups[0]?.();
  await scaling;
  assert.equal(capacity(), 1, 'readiness is announced so the batcher wakes');
  assert.ok(pool.tryAcquire() !== undefined);
});

test('permits never exceed ready instances, and a release announces capacity', async () => {
  const { pool, warmups, capacity } = harness();
  const scaling = pool.scaleTo(2);
  warmups.forEach((warm) => warm());
  await scaling;
  const first = pool.tryAcquire();
  const second = pool.tryAcquire();
  assert.ok(first !== undefined && second !== undefined);
  assert.equal(pool.tryAcquire(), undefined);
  const before = capacity();
  first.release({ rttMs: 3 });
  first.release({ rttMs: 3 });
  assert.equal(capacity(), before + 1, 'a second release of the same permit counts for nothing');
  assert.ok(pool.tryAcquire() !== undefined);
});

test('the adaptive limit caps concurrent batches below the instance count', async () => {
  const limit = new AdaptiveLimit({ initialLimit: 1, minLimit: 1, maxLimit: 4, clock: new FakeClock() });
  const { pool, warmups } = harness(limit);
  const scaling = pool.scaleTo(3);
  warmups.forEach((warm) => warm());
  await scaling;
  assert.equal(pool.limit, 1);
  const permit = pool.tryAcquire();
  assert.ok(permit !== undefined);
  assert.equal(pool.tryAcquire(), undefined, 'three free instances, but the limit is 1');
  permit.release('ignore');
  assert.ok(pool.tryAcquire() !== undefined);
});

test('pools sharing execution slots never run more batches at once than the slots, and wake each other', async () => {
  const slots = new ExecutionSlots(1);
  const woken: string[] = [];
  const pool = (name: string) =>
    new InstancePool({ start: async () => new HeldSession(1), limit: undefined, executionSlots: slots, onCapacity: () => woken.push(name) });
  const a = pool('a');
  const b = pool('b');
  await a.scaleTo(1);
  await b.scaleTo(1);
  woken.length = 0;
  const permit = a.tryAcquire();
  assert.ok(permit !== undefined);
  assert.equal(b.tryAcquire(), undefined, 'b has a free instance but the only slot is in use');
  permit.release({ rttMs: 1 });
  assert.ok(woken.includes('b'), 'the freed slot wakes the model that was refused');
  assert.ok(b.tryAcquire() !== undefined);
});

test('each batch runs on a free instance', async () => {
  const { pool, warmups, sessions } = harness();
  const scaling = pool.scaleTo(2);
  warmups.forEach((warm) => warm());
  await scaling;
  const runs = [pool.run(BATCH), pool.run(BATCH)];
  assert.equal(pool.stats().busy, 2);
  sessions.forEach((session) => session.finishAll());
  const outputs = await Promise.all(runs);
  assert.deepEqual(outputs.map((output) => output['from']?.data[0]).sort(), [1, 2]);
});

test('scaling down drains: the idle instance leaves first, a busy one finishes its batch', async () => {
  const { pool, warmups, sessions } = harness();
  const scaling = pool.scaleTo(3);
  warmups.forEach((warm) => warm());
  await scaling;
  const running = [pool.run(BATCH), pool.run(BATCH)];
  await pool.scaleTo(1);
  assert.equal(sessions[2]?.released, true, 'the idle instance was released at once');
  assert.equal(pool.stats().draining, 1, 'one busy instance drains');
  assert.equal(pool.stats().ready, 1);
  sessions.forEach((session) => session.finishAll());
  const outputs = await Promise.all(running);
  assert.equal(outputs.length, 2, 'no batch was lost');
  await tick();
  assert.equal(sessions.filter((session) => session.released).length, 2);
  assert.equal(pool.size, 1);
});

test('an instance scaled away while warming up never takes traffic', async () => {
  const { pool, warmups, sessions } = harness();
  const up = pool.scaleTo(1);
  await pool.scaleTo(0);
  warmups[0]?.();
  await up;
  assert.equal(sessions[0]?.released, true);
  assert.equal(pool.tryAcquire(), undefined);
  assert.equal(pool.size, 0);
});

test('a failed start leaves no instance behind', async () => {
  const pool = new InstancePool({ start: () => Promise.reject(new Error('bad model')), limit: undefined, onCapacity: () => {} });
  await assert.rejects(pool.scaleTo(1), /bad model/);
  assert.equal(pool.size, 0);
});

/** A session that can die on its own, as a worker session does when its thread crashes. */
class LosableSession extends HeldSession {
  private readonly listeners: Array<(error: SessionLostError) => void> = [];
  onLost(listener: (error: SessionLostError) => void): void {
    this.listeners.push(listener);
  }
  lose(): void {
    const error = new SessionLostError('worker thread stopped unexpectedly');
    for (const listener of this.listeners) listener(error);
  }
}

function losableHarness(starts: Array<() => Promise<LosableSession>>, replaceBackoffMs = { first: 60_000, max: 60_000 }) {
  const failures: unknown[] = [];
  let opened = 0;
  let replaced = 0;
  const pool = new InstancePool({
    start: () => (starts[opened++] ?? starts[starts.length - 1] ?? (() => Promise.reject(new Error('no start'))))(),
    limit: undefined,
    onCapacity: () => {},
    onReplacementFailed: (error) => failures.push(error),
    onReplaced: () => (replaced += 1),
    replaceBackoffMs,
  });
  return { pool, failures, opened: () => opened, replaced: () => replaced };
}

test('a lost instance leaves at once and a new one warms up in its place', async () => {
  const first = new LosableSession(1);
  const second = new LosableSession(2);
  const { pool, opened } = losableHarness([async () => first, async () => second]);
  await pool.scaleTo(1);
  first.lose();
  assert.equal(first.released, true);
  assert.equal(pool.tryAcquire(), undefined, 'the lost instance takes no batch');
  assert.equal(pool.size, 1, 'the replacement counts towards the size the autoscaler asked for');
  await tick();
  assert.equal(opened(), 2);
  assert.deepEqual(pool.stats(), { ready: 1, starting: 0, draining: 0, busy: 0, permits: 0 });
  const output = pool.run(BATCH);
  second.finishAll();
  assert.equal((await output)['from']?.data[0], 2, 'batches now run on the replacement');
});

test('a lost instance that was leaving, or lost while the pool closes, is not replaced', async () => {
  const leaving = new LosableSession(1);
  const scaled = losableHarness([async () => leaving]);
  await scaled.pool.scaleTo(1);
  void scaled.pool.run(BATCH);
  await scaled.pool.scaleTo(0);
  assert.equal(scaled.pool.stats().draining, 1, 'busy, so it drains');
  leaving.lose();
  await tick();
  assert.equal(scaled.opened(), 1, 'no replacement for a draining instance');
  assert.deepEqual(scaled.pool.stats(), { ready: 0, starting: 0, draining: 0, busy: 0, permits: 0 });

  const closing = new LosableSession(2);
  const closed = losableHarness([async () => closing]);
  await closed.pool.scaleTo(1);
  void closed.pool.run(BATCH);
  const done = closed.pool.close();
  closing.lose();
  await done;
  await tick();
  assert.equal(closed.opened(), 1, 'no replacement once the pool is closing');
});

test('a replacement that fails to start is reported, and a failed pool fails every batch at once', async () => {
  const first = new LosableSession(1);
  const { pool, failures } = losableHarness([async () => first, () => Promise.reject(new Error('disk gone'))]);
  await pool.scaleTo(1);
  first.lose();
  await tick();
  assert.equal(failures.length, 1);
  assert.match((failures[0] as Error).message, /disk gone/);
  assert.equal(pool.size, 0);
  assert.equal(pool.tryAcquire(), undefined, 'nothing to run on, and not failed yet: batches wait');
  pool.fail(new Error('model is failed'));
  const permit = pool.tryAcquire();
  assert.ok(permit !== undefined, 'queued rows get a permit...');
  await assert.rejects(pool.run(BATCH), /model is failed/, '...and their batch fails at once');
  permit.release('dropped');
  await pool.close();
});

test('a failed replacement is retried with a growing wait until one starts; close cancels the retries', async () => {
  const first = new LosableSession(1);
  const third = new LosableSession(3);
  const diskGone = () => Promise.reject(new Error('disk gone'));
  const { pool, failures, opened, replaced } = losableHarness([async () => first, diskGone, diskGone, async () => third], { first: 5, max: 10 });
  await pool.scaleTo(1);
  first.lose();
  pool.fail(new Error('model is failed'));
  await until(() => replaced() === 1, 'the third attempt starts an instance');
  assert.deepEqual([failures.length, opened()], [2, 4]);
  pool.recover();
  assert.deepEqual(pool.stats(), { ready: 1, starting: 0, draining: 0, busy: 0, permits: 0 });
  const output = pool.run(BATCH);
  third.finishAll();
  assert.equal((await output)['from']?.data[0], 3, 'batches run again after recover');

  const lost = new LosableSession(4);
  const closing = losableHarness([async () => lost, diskGone], { first: 5, max: 5 });
  await closing.pool.scaleTo(1);
  lost.lose();
  await until(() => closing.failures.length === 1, 'the first replacement failed');
  await closing.pool.close();
  const attempts = closing.opened();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(closing.opened(), attempts, 'no retry after close');
});
