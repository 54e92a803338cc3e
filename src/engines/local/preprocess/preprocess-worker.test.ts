import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../../../core/errors.ts';
import { ModelSpec } from '../models/model-spec.ts';
import type { Row } from '../../../core/tensors.ts';
import { runTask, serializeError, transferablesOf } from './preprocess-worker.ts';

const tabular = ModelSpec.parse({
  name: 'noshow-test',
  version: 1,
  task: 'tabular-classification',
  inputs: [{ name: 'weekday', datatype: 'BYTES' }],
  preprocessing: {
    kind: 'tabular',
    features_tensor: 'features',
    fields: [{ name: 'weekday', kind: 'categorical', categories: ['mon', 'tue'] }],
  },
  tensors: {
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 2] }],
    outputs: [{ name: 'probability', dtype: 'float32', shape: [-1, 1] }],
  },
});

describe('runTask', () => {
  it('returns one row per item', () => {
    const reply = runTask({ id: 7, spec: tabular, items: [{ weekday: 'tue' }, { weekday: 'mon' }] });
    assert.equal(reply.type, 'done');
    assert.ok(reply.type === 'done');
    assert.equal(reply.id, 7);
    assert.deepEqual(
      reply.rows.map((row) => [...(row.features?.data ?? [])]),
      [
        [0, 1],
        [1, 0],
      ],
    );
  });

  it('names the item whose preprocessing threw', () => {
    const reply = runTask({ id: 8, spec: tabular, items: [{ weekday: 'mon' }, { weekday: 'sun' }] });
    assert.deepEqual(reply, {
      type: 'failed',
      id: 8,
      error: {
        name: 'Error',
        message: 'field "weekday": expected one of mon, tue, got "sun"',
        code: undefined,
        field: undefined,
        itemIndex: 1,
      },
    });
  });
});

describe('serializeError', () => {
  it('keeps the code and field of a SluiceError', () => {
    const error = new SluiceError('ERR_TENSOR_SHAPE', 'input "x": bad shape', { field: 'x' });
    assert.deepEqual(serializeError(error, 3), {
      name: 'SluiceError',
      message: 'input "x": bad shape',
      code: 'ERR_TENSOR_SHAPE',
      field: 'x',
      itemIndex: 3,
    });
  });

  it('turns a thrown non-error into a message', () => {
    assert.equal(serializeError('boom', 0).message, 'boom');
  });
});

describe('transferablesOf', () => {
  it('moves each buffer a tensor owns, once', () => {
    const shared = new Float32Array(4);
    const ids = new BigInt64Array(2);
    const rows: Row[] = [
      { ids: { dtype: 'int64', data: ids, dims: [2] }, mask: { dtype: 'float32', data: shared, dims: [4] } },
      { mask: { dtype: 'float32', data: shared, dims: [4] } },
    ];
    assert.deepEqual(transferablesOf(rows), [ids.buffer, shared.buffer]);
  });

  it('copies views of a larger buffer instead of moving memory others use', () => {
    const backing = new ArrayBuffer(64);
    const rows: Row[] = [{ features: { dtype: 'float32', data: new Float32Array(backing, 16, 4), dims: [4] } }];
    assert.deepEqual(transferablesOf(rows), []);
  });
});
