import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { BatchTensors } from '../../../core/tensors.ts';
import { ownsItsBuffer, portableTensors } from './tensor-transfer.ts';

/** Posts through a real channel, as the session does, and returns what the other side receives. */
async function roundTrip(tensors: BatchTensors): Promise<BatchTensors> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<BatchTensors>((resolve) => port2.once('message', resolve));
  const { tensors: portable, transfer } = portableTensors(tensors);
  port1.postMessage(portable, transfer);
  const result = await received;
  port1.close();
  return result;
}

test('a tensor that owns its buffer moves it: no copy, the sender is left detached', async () => {
  const ids = new BigInt64Array([1n, 2n, -3n, 2n ** 40n]);
  const received = await roundTrip({ input_ids: { dtype: 'int64', data: ids, dims: [2, 2] } });
  assert.deepEqual(received['input_ids'], { dtype: 'int64', data: new BigInt64Array([1n, 2n, -3n, 2n ** 40n]), dims: [2, 2] });
  assert.equal(ids.length, 0, 'moved, not copied');
});

test('a view into a larger buffer is copied alone, and the buffer it sits in is untouched', async () => {
  const shared = new Float32Array([9, 1, 2, 3, 9]);
  const view = shared.subarray(1, 4);
  assert.equal(ownsItsBuffer(view), false);
  const { transfer } = portableTensors({ mask: { dtype: 'float32', data: view, dims: [1, 3] } });
  assert.equal(transfer[0]?.byteLength, 12, 'only the view\'s 3 floats travel, not the 5 of its buffer');
  const received = await roundTrip({ mask: { dtype: 'float32', data: view, dims: [1, 3] } });
  assert.deepEqual([...(received['mask']?.data ?? [])], [1, 2, 3]);
  assert.deepEqual([...shared], [9, 1, 2, 3, 9], 'the sender\'s buffer is still whole');
  const bigView = new BigInt64Array([7n, 8n, 9n]).subarray(1);
  assert.deepEqual((await roundTrip({ ids: { dtype: 'int64', data: bigView, dims: [1, 2] } }))['ids']?.data, new BigInt64Array([8n, 9n]));
});

test('a SharedArrayBuffer-backed array is copied, since shared memory cannot move', () => {
  const data = new Int32Array(new SharedArrayBuffer(8));
  data.set([4, 5]);
  const { tensors, transfer } = portableTensors({ x: { dtype: 'int32', data, dims: [2] } });
  assert.equal(ownsItsBuffer(data), false);
  assert.ok(transfer[0] instanceof ArrayBuffer);
  assert.deepEqual([...(tensors['x']?.data ?? [])], [4, 5]);
});

test('a buffer two tensors share is listed once (listing it twice would fail the post)', async () => {
  const data = new Float32Array([1, 2]);
  const { transfer } = portableTensors({ a: { dtype: 'float32', data, dims: [2] }, b: { dtype: 'float32', data, dims: [2] } });
  assert.equal(transfer.length, 1);
  const again = new Float32Array([1, 2]);
  const received = await roundTrip({ a: { dtype: 'float32', data: again, dims: [2] }, b: { dtype: 'float32', data: again, dims: [1, 2] } });
  assert.deepEqual(received['b'], { dtype: 'float32', data: new Float32Array([1, 2]), dims: [1, 2] });
});
