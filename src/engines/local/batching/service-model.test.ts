import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalisePolicy, type BatchPolicy } from './batch-policy.ts';
import {
  backlogBatches,
  estimateBatchMs,
  predictCompletionMs,
  ServiceModel,
  type PredictionInput,
} from './service-model.ts';

function policy(maxBatchSize: number, maxQueueDelayMs: number, preferredBatchSizes: number[] = []): BatchPolicy {
  return normalisePolicy({ maxBatchSize, maxQueueDelayMs, preferredBatchSizes, ragged: 'pad' });
}

describe('estimateBatchMs', () => {
  const samples = new Map([
    [2, 4],
    [8, 10],
  ]);

  it('uses a measured size as is, and interpolates between measured sizes', () => {
    assert.equal(estimateBatchMs(samples, 2), 4);
    assert.equal(estimateBatchMs(samples, 5), 7);
  });

  it('scales in proportion to size beyond the measured sizes', () => {
    assert.equal(estimateBatchMs(samples, 1), 2);
    assert.equal(estimateBatchMs(samples, 16), 20);
  });

  it('knows nothing without samples', () => {
    assert.equal(estimateBatchMs(new Map(), 4), undefined);
  });
});

describe('backlogBatches', () => {
  it('cuts a backlog into full batches and the rest, as nextBatch would once rows have waited', () => {
    assert.deepEqual(backlogBatches(9, policy(4, 10)), [
      { size: 4, count: 2 },
      { size: 1, count: 1 },
    ]);
    assert.deepEqual(backlogBatches(8, policy(4, 10)), [
      { size: 4, count: 1 },
      { size: 4, count: 1 },
    ]);
    assert.deepEqual(backlogBatches(3, policy(4, 10)), [{ size: 3, count: 1 }]);
    assert.deepEqual(backlogBatches(0, policy(4, 10)), []);
  });

  it('forms preferred sizes at once when the policy never waits', () => {
    assert.deepEqual(backlogBatches(11, policy(8, 0, [2, 4])), [
      { size: 4, count: 2 },
      { size: 2, count: 1 },
      { size: 1, count: 1 },
    ]);
  });

  it('counts a long backlog in one step', () => {
    assert.deepEqual(backlogBatches(1_000_001, policy(8, 5)), [
      { size: 8, count: 125_000 },
      { size: 1, count: 1 },
    ]);
  });
});

describe('predictCompletionMs', () => {
  /** 10 ms for a batch of 4, per-row cost constant below it. */
  const input = (overrides: Partial<PredictionInput>): PredictionInput => ({
    rowsAhead: 0,
    ownRows: 1,
    runningRemainingMs: [],
    concurrency: 1,
    policy: policy(4, 10),
    batchMs: (size) => estimateBatchMs(new Map([[4, 10]]), size),
    ...overrides,
  });

  it('is its own batch alone on an idle model', () => {
    assert.equal(predictCompletionMs(input({ ownRows: 4 })), 10);
    assert.equal(predictCompletionMs(input({ ownRows: 1 })), 2.5);
  });

  it('adds the batches ahead and what is left of the running ones, shared among the slots', () => {
    // 8 ahead + 1 own = [4, 4] ahead of [1]: (10 running + 20) / 1 + 2.5
    assert.equal(predictCompletionMs(input({ rowsAhead: 8, runningRemainingMs: [10] })), 32.5);
    assert.equal(predictCompletionMs(input({ rowsAhead: 8, runningRemainingMs: [10], concurrency: 2 })), 17.5);
  });

  it('lets its rows ride in the last batch ahead when there is room', () => {
    // 3 ahead + 1 own = one batch of 4.
    assert.equal(predictCompletionMs(input({ rowsAhead: 3 })), 10);
  });

  it('knows nothing without samples, so admission admits', () => {
    assert.equal(predictCompletionMs(input({ rowsAhead: 100, batchMs: () => undefined })), undefined);
  });
});

describe('ServiceModel', () => {
  it('keeps an EWMA per batch size that starts as a plain mean', () => {
    const model = new ServiceModel();
    assert.equal(model.batchMs(4), undefined);
    model.recordBatch(4, 10);
    model.recordBatch(4, 20);
    assert.equal(model.batchMs(4), 15);
    assert.equal(model.batchMs(8), 30, 'other sizes are estimated from it');
    for (let i = 0; i < 100; i += 1) model.recordBatch(4, 6);
    assert.ok(Math.abs((model.batchMs(4) ?? 0) - 6) < 1e-6, 'follows a lasting change');
    assert.deepEqual(Object.keys(model.snapshot().batchMsBySize), ['4']);
  });

  it('measures the drain rate in rows per second of busy time', () => {
    const model = new ServiceModel();
    assert.equal(model.drainRowsPerSec, undefined);
    model.recordDrain(4, 10);
    model.recordDrain(4, 10);
    assert.equal(model.drainRowsPerSec, 400);
    assert.equal(model.snapshot().drainRowsPerSec, 400);
    const instant = new ServiceModel();
    instant.recordDrain(4, 0);
    assert.equal(instant.drainRowsPerSec, undefined, 'no busy time measured, no rate');
  });

  it('refuses nonsense samples', () => {
    const model = new ServiceModel();
    assert.throws(() => model.recordBatch(0, 1), /batch size/);
    assert.throws(() => model.recordBatch(2, Number.NaN), /batch time/);
  });
});
