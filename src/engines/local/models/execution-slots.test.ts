import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultExecutionSlots, ExecutionSlots } from './execution-slots.ts';

test('no more slots than the limit; a release wakes everyone who was refused, once', () => {
  const slots = new ExecutionSlots(2);
  const woken: string[] = [];
  const first = slots.tryAcquire(() => woken.push('a'));
  const second = slots.tryAcquire(() => woken.push('b'));
  assert.ok(first !== undefined && second !== undefined);
  assert.equal(slots.tryAcquire(() => woken.push('c')), undefined);
  assert.equal(slots.tryAcquire(() => woken.push('d')), undefined);
  assert.equal(slots.inUse, 2);
  first.release();
  first.release();
  assert.deepEqual(woken, ['c', 'd'], 'both waiters woken, and a second release counts for nothing');
  assert.equal(slots.inUse, 1);
  second.release();
  assert.deepEqual(woken, ['c', 'd'], 'nobody was waiting any more');
});

test('the limit must be a positive integer', () => {
  assert.throws(() => new ExecutionSlots(0), /execution slots must be an integer ≥ 1/);
  assert.throws(() => new ExecutionSlots(1.5), RangeError);
  assert.ok(new ExecutionSlots().limit >= 1);
});

test('by default, worker execution leaves the event loop a core and gives each batch intra_op_threads; main execution has one slot', () => {
  assert.equal(defaultExecutionSlots({ execution: 'worker', intraOpThreads: 1 }, 8), 7);
  assert.equal(defaultExecutionSlots({ execution: 'worker', intraOpThreads: 2 }, 8), 3);
  assert.equal(defaultExecutionSlots({ execution: 'worker', intraOpThreads: 0 }, 8), 1, 'ONNX Runtime takes every core itself');
  assert.equal(defaultExecutionSlots({ execution: 'worker', intraOpThreads: 1 }, 2), 1);
  assert.equal(defaultExecutionSlots({ execution: 'worker', intraOpThreads: 1 }, 1), 1, 'never fewer than one');
  assert.equal(defaultExecutionSlots({ execution: 'main', intraOpThreads: 1 }, 8), 1, 'batches on the event loop never overlap');
  assert.equal(defaultExecutionSlots({}, 8), 7, 'worker execution with one thread per batch unless told otherwise');
});
