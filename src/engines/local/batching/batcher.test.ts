import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorSpec } from '../models/model-spec.ts';
import type { BatchTensors, Row } from '../../../core/tensors.ts';
import { DynamicBatcher, type BatchEvent } from './batcher.ts';
import type { BatchPolicy } from './batch-policy.ts';
import { FakeClock } from '../../../core/clock.ts';
import { HeldExecutor, numbers, row, settle } from './batcher-harness.ts';
import type { RowResult } from './pending-request.ts';
import type { Ticket } from '../../../core/ticket.ts';

const VARIABLE_INPUT: readonly TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: [-1, -1], pad_value: 0 }];

const TICKET: Ticket = { priority: 1, tenant: 'anyone', weight: 1, deadlineMs: undefined };
const outputValues = (result: RowResult): number[] => numbers(result.outputs.y?.data);

/** One row as a request of its own, answered with that row's result. */
async function submit(batcher: DynamicBatcher, input: Row): Promise<RowResult> {
  const [result] = await batcher.submitRequest([input], TICKET);
  assert.ok(result !== undefined);
  return result;
}

function setup(
  policy: Partial<BatchPolicy>,
  extra: { slots?: number; inputs?: readonly TensorSpec[]; events?: BatchEvent[] } = {},
) {
  const clock = new FakeClock();
  const executor = new HeldExecutor();
  const batcher = new DynamicBatcher({
    policy: { maxBatchSize: 4, maxQueueDelayMs: 10, preferredBatchSizes: [], ragged: 'group', ...policy },
    inputs: extra.inputs ?? VARIABLE_INPUT,
    execute: executor.execute,
    clock,
    ...(extra.slots === undefined ? {} : { slots: extra.slots }),
    ...(extra.events === undefined ? {} : { onBatch: (event: BatchEvent) => extra.events?.push(event) }),
  });
  return { clock, executor, batcher };
}

describe('DynamicBatcher', () => {
  it('forms fewer batches than rows from concurrent submits: 6 rows, preferred [2, 4], max 4 → {4: 1, 2: 1}', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 4, preferredBatchSizes: [2, 4] });
    const results = Promise.all([1, 2, 3, 4, 5, 6].map((value) => submit(batcher, row(value))));
    await settle();
    assert.deepEqual(executor.sizes, [4]);
    executor.double(0);
    await settle();
    assert.deepEqual(executor.sizes, [4, 2]);
    executor.double(1);
    const answered = await results;
    assert.deepEqual(answered.map(outputValues), [[2], [4], [6], [8], [10], [12]]);
    assert.deepEqual(
      answered.map((result) => result.batchSize),
      [4, 4, 4, 4, 2, 2],
    );
    const stats = batcher.stats();
    assert.deepEqual(stats.batchCountsBySize, { 4: 1, 2: 1 });
    assert.equal(stats.executedBatches, 2);
    assert.equal(stats.executedItems, 6);
    assert.equal(stats.failedBatches, 0);
    assert.equal(stats.queued, 0);
    assert.equal(stats.running, 0);
  });

  it('answers each row with exactly its own outputs', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 8, maxQueueDelayMs: 0 });
    const inputs = [row(1, 10), row(2, 20), row(3, 30), row(4, 40), row(5, 50)];
    const pending = inputs.map((input) => submit(batcher, input));
    await settle();
    assert.deepEqual(executor.call(0).batch.x?.dims, [5, 2]);
    executor.double(0);
    const results = await Promise.all(pending);
    assert.deepEqual(results.map(outputValues), [
      [2, 20],
      [4, 40],
      [6, 60],
      [8, 80],
      [10, 100],
    ]);
    assert.deepEqual(results[0]?.outputs.y?.dims, [2]);
  });

  it('waits for the oldest row’s delay, then runs what has queued', async () => {
    const { clock, executor, batcher } = setup({ maxBatchSize: 4, maxQueueDelayMs: 10 });
    const first = submit(batcher, row(1));
    await settle();
    clock.advance(4);
    const second = submit(batcher, row(2));
    await settle();
    clock.advance(5);
    await settle();
    assert.deepEqual(executor.sizes, [], 'nothing runs before the delay expires');
    clock.advance(1);
    await settle();
    assert.deepEqual(executor.sizes, [2]);
    clock.advance(3);
    executor.double(0);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a?.queueMs, 10);
    assert.equal(b?.queueMs, 6);
    assert.equal(a?.inferenceMs, 3);
    assert.equal(b?.batchSize, 2);
  });

  it('runs at once when the batch fills before the delay, leaving no timer behind', async () => {
    const { clock, executor, batcher } = setup({ maxBatchSize: 4, maxQueueDelayMs: 10 });
    const pending = [submit(batcher, row(1))];
    await settle();
    assert.equal(clock.pendingTimers, 1);
    clock.advance(2);
    pending.push(submit(batcher, row(2)), submit(batcher, row(3)), submit(batcher, row(4)));
    await settle();
    assert.deepEqual(executor.sizes, [4]);
    assert.equal(clock.pendingTimers, 0);
    executor.double(0);
    await Promise.all(pending);
  });

  it('lets rows submitted in the same tick share a batch even with no delay', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 4, maxQueueDelayMs: 0 });
    const pending = [submit(batcher, row(1)), submit(batcher, row(2)), submit(batcher, row(3))];
    await settle();
    assert.deepEqual(executor.sizes, [3]);
    executor.double(0);
    await Promise.all(pending);
  });

  it('forms the next batch only when a slot frees', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 2, maxQueueDelayMs: 0 });
    const pending = [1, 2, 3, 4, 5].map((value) => submit(batcher, row(value)));
    await settle();
    assert.deepEqual(executor.sizes, [2]);
    assert.deepEqual(
      { queued: batcher.stats().queued, running: batcher.stats().running, slots: batcher.stats().slots },
      { queued: 3, running: 1, slots: 1 },
    );
    await settle();
    assert.deepEqual(executor.sizes, [2], 'still one batch while the slot is busy');
    executor.double(0);
    await settle();
    assert.deepEqual(executor.sizes, [2, 2]);
    executor.double(1);
    await settle();
    assert.deepEqual(executor.sizes, [2, 2, 1]);
    executor.double(2);
    assert.deepEqual((await Promise.all(pending)).map(outputValues), [[2], [4], [6], [8], [10]]);
    assert.deepEqual(batcher.stats().batchCountsBySize, { 2: 2, 1: 1 });
  });

  it('runs up to `slots` batches at once', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 2, maxQueueDelayMs: 0 }, { slots: 2 });
    const pending = [1, 2, 3, 4, 5].map((value) => submit(batcher, row(value)));
    await settle();
    assert.deepEqual(executor.sizes, [2, 2]);
    assert.equal(batcher.stats().running, 2);
    executor.double(1);
    await settle();
    assert.deepEqual(executor.sizes, [2, 2, 1]);
    executor.double(0);
    executor.double(2);
    assert.deepEqual((await Promise.all(pending)).map(outputValues), [[2], [4], [6], [8], [10]]);
  });

  it('rejects every row of a failed batch with that error, and goes on with the next batch', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 2, maxQueueDelayMs: 0 });
    const failing = [submit(batcher, row(1)), submit(batcher, row(2))];
    const later = [submit(batcher, row(3)), submit(batcher, row(4))];
    await settle();
    const failure = new Error('session exploded');
    executor.call(0).reject(failure);
    for (const promise of failing) await assert.rejects(promise, (error) => error === failure);
    await settle();
    executor.double(1);
    assert.deepEqual((await Promise.all(later)).map(outputValues), [[6], [8]]);
    const stats = batcher.stats();
    assert.equal(stats.failedBatches, 1);
    assert.equal(stats.executedBatches, 1);
    assert.deepEqual(stats.batchCountsBySize, { 2: 1 });
  });

  it('treats an executor that throws synchronously, or returns outputs of the wrong batch size, as a failed batch', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const batcher = new DynamicBatcher({
      policy: { maxBatchSize: 2, maxQueueDelayMs: 0, preferredBatchSizes: [], ragged: 'group' },
      inputs: VARIABLE_INPUT,
      clock,
      execute: () => {
        calls += 1;
        if (calls === 1) throw new Error('sync failure');
        return Promise.resolve({ y: { dtype: 'float32', dims: [1], data: new Float32Array(1) } });
      },
    });
    await assert.rejects(submit(batcher, row(1)), /sync failure/);
    await assert.rejects(Promise.all([submit(batcher, row(2)), submit(batcher, row(3))]), {
      code: 'ERR_INFERENCE_FAILED',
    });
    assert.equal(batcher.stats().failedBatches, 2);
    await batcher.close();
  });

  it('rejects a malformed row on its own, before it can join a batch', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 4, maxQueueDelayMs: 0 });
    const good = submit(batcher, row(1));
    await assert.rejects(submit(batcher, { x: { dtype: 'int32', dims: [1], data: Int32Array.from([1]) } }), {
      code: 'ERR_TENSOR_DATATYPE',
    });
    await assert.rejects(submit(batcher, {}), { code: 'ERR_TENSOR_MISSING_INPUT' });
    await settle();
    assert.deepEqual(executor.sizes, [1]);
    executor.double(0);
    assert.deepEqual(outputValues(await good), [2]);
  });

  it('never mixes shapes in group mode, and serves the oldest row’s group first', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 8, maxQueueDelayMs: 0, ragged: 'group' });
    const inputs = [row(1, 1), row(2, 2, 2), row(3, 3), row(4, 4, 4), row(5, 5), row(6, 6, 6)];
    const pending = inputs.map((input) => submit(batcher, input));
    await settle();
    assert.deepEqual(executor.sizes, [3]);
    assert.deepEqual(executor.call(0).batch.x?.dims, [3, 2]);
    assert.deepEqual(numbers(executor.call(0).batch.x?.data), [1, 1, 3, 3, 5, 5]);
    executor.double(0);
    await settle();
    assert.deepEqual(executor.call(1).batch.x?.dims, [3, 3]);
    assert.deepEqual(numbers(executor.call(1).batch.x?.data), [2, 2, 2, 4, 4, 4, 6, 6, 6]);
    executor.double(1);
    const results = await Promise.all(pending);
    assert.deepEqual(results.map(outputValues), [
      [2, 2],
      [4, 4, 4],
      [6, 6],
      [8, 8, 8],
      [10, 10],
      [12, 12, 12],
    ]);
  });

  it('pads rows of different lengths into one batch in pad mode', async () => {
    const { executor, batcher } = setup({ maxBatchSize: 8, maxQueueDelayMs: 0, ragged: 'pad' });
    const pending = [submit(batcher, row(1)), submit(batcher, row(2, 2, 2)), submit(batcher, row(3, 3))];
    await settle();
    assert.deepEqual(executor.sizes, [3]);
    assert.deepEqual(executor.call(0).batch.x?.dims, [3, 3]);
    assert.deepEqual(numbers(executor.call(0).batch.x?.data), [1, 0, 0, 2, 2, 2, 3, 3, 0]);
    executor.double(0);
    const results = await Promise.all(pending);
    // Outputs keep the padded length; trimming them is the post-processing's business.
    assert.deepEqual(results.map(outputValues), [
      [2, 0, 0],
      [4, 4, 4],
      [6, 6, 0],
    ]);
  });

  it('reports each successful batch with its size, inference time and queue times', async () => {
    const events: BatchEvent[] = [];
    const { clock, executor, batcher } = setup({ maxBatchSize: 4, maxQueueDelayMs: 10 }, { events });
    const pending = [submit(batcher, row(1))];
    await settle();
    clock.advance(3);
    pending.push(submit(batcher, row(2)));
    await settle();
    clock.advance(7);
    await settle();
    clock.advance(5);
    executor.double(0);
    await Promise.all(pending);
    assert.deepEqual(events, [{ size: 2, inferenceMs: 5, queueMs: [10, 7] }]);
  });

  it('close() drains: queued rows run at once, running ones finish, and nothing is dropped', async () => {
    const { clock, executor, batcher } = setup({ maxBatchSize: 2, maxQueueDelayMs: 1000 });
    const pending = [1, 2, 3].map((value) => submit(batcher, row(value)));
    await settle();
    assert.deepEqual(executor.sizes, [2], 'a full batch runs; the third row waits for company');
    let closed = false;
    const closing = batcher.close().then(() => {
      closed = true;
    });
    await assert.rejects(submit(batcher, row(9)), { code: 'ERR_BATCHER_CLOSED' });
    executor.double(0);
    await settle();
    assert.deepEqual(executor.sizes, [2, 1], 'closing flushes the waiting row without its delay');
    assert.equal(closed, false, 'close waits for the running batch');
    executor.double(1);
    await closing;
    assert.deepEqual((await Promise.all(pending)).map(outputValues), [[2], [4], [6]]);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(batcher.close(), batcher.close(), 'close is idempotent');
  });

  it('close() on an idle batcher resolves at once and leaves no timer', async () => {
    const { clock, batcher } = setup({});
    await batcher.close();
    assert.equal(clock.pendingTimers, 0);
    await assert.rejects(
      submit(batcher, row(1)),
      (error: unknown) => error instanceof Error && 'code' in error && error.code === 'ERR_BATCHER_CLOSED',
    );
  });

  it('works on the real clock', async () => {
    const batcher = new DynamicBatcher({
      policy: { maxBatchSize: 4, maxQueueDelayMs: 5, preferredBatchSizes: [], ragged: 'group' },
      inputs: VARIABLE_INPUT,
      execute: (batch) => Promise.resolve({ y: batch.x ?? { dtype: 'float32', dims: [0], data: new Float32Array() } }),
    });
    const results = await Promise.all([submit(batcher, row(1)), submit(batcher, row(2))]);
    assert.deepEqual(results.map(outputValues), [[1], [2]]);
    assert.deepEqual(batcher.stats().batchCountsBySize, { 2: 1 });
    assert.ok((results[0]?.queueMs ?? 0) >= 4);
    await batcher.close();
  });

  it('refuses options it cannot honour', () => {
    const execute = (batch: BatchTensors): Promise<BatchTensors> => Promise.resolve(batch);
    const policy: BatchPolicy = { maxBatchSize: 4, maxQueueDelayMs: 0, preferredBatchSizes: [], ragged: 'group' };
    assert.throws(() => new DynamicBatcher({ policy, inputs: VARIABLE_INPUT, execute, slots: 0 }), /slots/);
    assert.throws(
      () => new DynamicBatcher({ policy: { ...policy, preferredBatchSizes: [5] }, inputs: VARIABLE_INPUT, execute }),
      /preferred/,
    );
    const fixedBatch: TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: [1, 3], pad_value: 0 }];
    assert.throws(() => new DynamicBatcher({ policy, inputs: fixedBatch, execute }), /fixed batch dimension/);
  });
});
