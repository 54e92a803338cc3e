import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorSpec } from '../models/model-spec.ts';
import type { BatchTensors, Row, RowTensor, TensorData, TensorDType } from '../../../core/tensors.ts';
import { shapeKey, splitOutputs, stackRows } from './assemble.ts';
import { checkBatchDimensions, checkRow } from './tensor-check.ts';

const spec = (name: string, dtype: TensorDType, shape: number[], padValue = 0): TensorSpec => ({
  name,
  dtype,
  shape,
  pad_value: padValue,
});
const f32 = (dims: number[], values: number[]): RowTensor => ({
  dtype: 'float32',
  dims,
  data: Float32Array.from(values),
});
const i64 = (dims: number[], values: number[]): RowTensor => ({
  dtype: 'int64',
  dims,
  data: BigInt64Array.from(values.map(BigInt)),
});
const bool = (dims: number[], values: number[]): RowTensor => ({ dtype: 'bool', dims, data: Uint8Array.from(values) });

function values(data: TensorData | undefined): number[] {
  assert.ok(data !== undefined);
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

describe('stackRows', () => {
  const features = [spec('x', 'float32', [-1, 3])];

  it('stacks fixed-shape rows along a new batch dimension, in row order', () => {
    const rows: Row[] = [{ x: f32([3], [1, 2, 3]) }, { x: f32([3], [4, 5, 6]) }];
    const batch = stackRows(rows, features, 'group');
    assert.deepEqual(batch.x?.dims, [2, 3]);
    assert.equal(batch.x?.dtype, 'float32');
    assert.ok(batch.x?.data instanceof Float32Array);
    assert.deepEqual(values(batch.x?.data), [1, 2, 3, 4, 5, 6]);
  });

  it('hands a single unpadded row on without copying', () => {
    const row: Row = { x: f32([3], [1, 2, 3]) };
    const batch = stackRows([row], features, 'group');
    assert.deepEqual(batch.x?.dims, [1, 3]);
    assert.equal(batch.x?.data, row.x?.data);
  });

  it('pads rows of different lengths to the longest with pad_value in pad mode', () => {
    const inputs = [
      spec('ids', 'int64', [-1, -1], 0),
      spec('mask', 'int64', [-1, -1], 0),
      spec('score', 'float32', [-1, -1], -1),
    ];
    const rows: Row[] = [
      { ids: i64([2], [11, 12]), mask: i64([2], [1, 1]), score: f32([2], [0.5, 0.25]) },
      { ids: i64([4], [21, 22, 23, 24]), mask: i64([4], [1, 1, 1, 1]), score: f32([4], [1, 2, 3, 4]) },
      { ids: i64([1], [31]), mask: i64([1], [1]), score: f32([1], [9]) },
    ];
    const batch = stackRows(rows, inputs, 'pad');
    assert.deepEqual(batch.ids?.dims, [3, 4]);
    assert.deepEqual(values(batch.ids?.data), [11, 12, 0, 0, 21, 22, 23, 24, 31, 0, 0, 0]);
    assert.deepEqual(values(batch.mask?.data), [1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]);
    assert.deepEqual(values(batch.score?.data), [0.5, 0.25, -1, -1, 1, 2, 3, 4, 9, -1, -1, -1]);
  });

  it('pads the inner axes of a 2-D row too, keeping each row-major run in place', () => {
    const inputs = [spec('grid', 'int32', [-1, -1, -1], 7)];
    const rows: Row[] = [
      { grid: { dtype: 'int32', dims: [2, 2], data: Int32Array.from([1, 2, 3, 4]) } },
      { grid: { dtype: 'int32', dims: [1, 3], data: Int32Array.from([5, 6, 8]) } },
    ];
    const batch = stackRows(rows, inputs, 'pad');
    assert.deepEqual(batch.grid?.dims, [2, 2, 3]);
    assert.deepEqual(values(batch.grid?.data), [1, 2, 7, 3, 4, 7, 5, 6, 8, 7, 7, 7]);
  });

  it('refuses rows of different shapes in group mode', () => {
    const inputs = [spec('ids', 'int64', [-1, -1])];
    const rows: Row[] = [{ ids: i64([2], [1, 2]) }, { ids: i64([3], [1, 2, 3]) }];
    assert.throws(() => stackRows(rows, inputs, 'group'), { code: 'ERR_TENSOR_SHAPE', message: /group mode/ });
  });

  it('stacks rows of every dtype into the matching typed array', () => {
    const inputs = [
      spec('f32', 'float32', [-1, 2]),
      spec('f64', 'float64', [-1, 2]),
      spec('i64', 'int64', [-1, 2]),
      spec('i32', 'int32', [-1, 2]),
      spec('flag', 'bool', [-1, 2]),
    ];
    const row = (base: number): Row => ({
      f32: f32([2], [base, base + 0.5]),
      f64: { dtype: 'float64', dims: [2], data: Float64Array.from([base, base + 0.25]) },
      i64: i64([2], [base, -base]),
      i32: { dtype: 'int32', dims: [2], data: Int32Array.from([base, base * 2]) },
      flag: bool([2], [1, 0]),
    });
    const batch = stackRows([row(1), row(2)], inputs, 'group');
    assert.ok(batch.f32?.data instanceof Float32Array);
    assert.ok(batch.f64?.data instanceof Float64Array);
    assert.ok(batch.i64?.data instanceof BigInt64Array);
    assert.ok(batch.i32?.data instanceof Int32Array);
    assert.ok(batch.flag?.data instanceof Uint8Array);
    assert.deepEqual(values(batch.f32?.data), [1, 1.5, 2, 2.5]);
    assert.deepEqual(values(batch.f64?.data), [1, 1.25, 2, 2.25]);
    assert.deepEqual(Array.from(batch.i64?.data as BigInt64Array), [1n, -1n, 2n, -2n]);
    assert.deepEqual(values(batch.i32?.data), [1, 2, 2, 4]);
    assert.deepEqual(values(batch.flag?.data), [1, 0, 1, 0]);
  });

  it('pads int64 and bool with their pad_value', () => {
    const inputs = [spec('ids', 'int64', [-1, -1], 3), spec('flag', 'bool', [-1, -1], 1)];
    const rows: Row[] = [
      { ids: i64([1], [9]), flag: bool([1], [0]) },
      { ids: i64([2], [8, 8]), flag: bool([2], [0, 0]) },
    ];
    const batch = stackRows(rows, inputs, 'pad');
    assert.deepEqual(Array.from(batch.ids?.data as BigInt64Array), [9n, 3n, 8n, 8n]);
    assert.deepEqual(values(batch.flag?.data), [0, 1, 0, 0]);
  });

  it('stacks scalar rows (a batch-only tensor)', () => {
    const batch = stackRows([{ s: f32([], [1]) }, { s: f32([], [2]) }], [spec('s', 'float32', [-1])], 'group');
    assert.deepEqual(batch.s?.dims, [2]);
    assert.deepEqual(values(batch.s?.data), [1, 2]);
  });

  it('refuses an empty batch and a pad_value the dtype cannot hold', () => {
    assert.throws(() => stackRows([], features, 'pad'), /empty batch/);
    const inputs = [spec('ids', 'int64', [-1, -1], 0.5)];
    assert.throws(() => stackRows([{ ids: i64([1], [1]) }, { ids: i64([2], [1, 2]) }], inputs, 'pad'), /pad_value 0.5/);
  });
});

describe('checkRow', () => {
  const inputs = [spec('ids', 'int64', [-1, -1]), spec('dense', 'float32', [-1, 2])];
  const good: Row = { ids: i64([3], [1, 2, 3]), dense: f32([2], [1, 2]) };

  it('accepts a row that matches the spec', () => {
    assert.doesNotThrow(() => checkRow(inputs, good));
  });

  const bad: [string, Row, string, RegExp][] = [
    ['a missing tensor', { ids: good.ids as RowTensor }, 'ERR_TENSOR_MISSING_INPUT', /'dense' is missing/],
    ['an unknown tensor', { ...good, extra: f32([1], [1]) }, 'ERR_TENSOR_UNKNOWN_INPUT', /'extra'/],
    [
      'a wrong dtype',
      { ...good, dense: { dtype: 'float64', dims: [2], data: Float64Array.from([1, 2]) } },
      'ERR_TENSOR_DATATYPE',
      /float64.*expects float32/,
    ],
    [
      'data of the wrong array type',
      { ...good, dense: { dtype: 'float32', dims: [2], data: Float64Array.from([1, 2]) } },
      'ERR_TENSOR_DATATYPE',
      /Float64Array/,
    ],
    [
      'a fixed dimension of the wrong length',
      { ...good, dense: f32([3], [1, 2, 3]) },
      'ERR_TENSOR_SHAPE',
      /\[3\].*\[2\]/,
    ],
    ['the wrong rank', { ...good, ids: i64([1, 3], [1, 2, 3]) }, 'ERR_TENSOR_SHAPE', /'ids'/],
    ['a negative dimension', { ...good, ids: i64([-1], []) }, 'ERR_TENSOR_SHAPE', /'ids'/],
    [
      'data that does not fill its shape',
      { ...good, ids: i64([4], [1, 2, 3]) },
      'ERR_TENSOR_DATA',
      /3 values.*needs 4/,
    ],
  ];
  for (const [what, row, code, message] of bad) {
    it(`rejects ${what} with ${code}`, () => {
      assert.throws(() => checkRow(inputs, row), { code, message });
      assert.throws(() => stackRows([row], inputs, 'pad'), { code });
    });
  }
});

describe('checkBatchDimensions', () => {
  it('accepts a variable batch dimension, or a fixed 1 when the model never batches', () => {
    assert.doesNotThrow(() => checkBatchDimensions([spec('x', 'float32', [-1, 3])], 8));
    assert.doesNotThrow(() => checkBatchDimensions([spec('x', 'float32', [1, 3])], 1));
  });

  it('refuses a fixed batch dimension that cannot carry every batch size', () => {
    assert.throws(() => checkBatchDimensions([spec('x', 'float32', [1, 3])], 4), /fixed batch dimension 1/);
    assert.throws(() => checkBatchDimensions([spec('x', 'float32', [4, 3])], 4), /fixed batch dimension 4/);
  });
});

describe('shapeKey', () => {
  it('is equal for rows of identical shapes whatever the key order, and differs otherwise', () => {
    const a: Row = { ids: i64([3], [1, 2, 3]), mask: i64([3], [1, 1, 1]) };
    const b: Row = { mask: i64([3], [1, 1, 0]), ids: i64([3], [4, 5, 6]) };
    const c: Row = { ids: i64([4], [1, 2, 3, 4]), mask: i64([4], [1, 1, 1, 1]) };
    assert.equal(shapeKey(a), shapeKey(b));
    assert.notEqual(shapeKey(a), shapeKey(c));
    assert.equal(shapeKey(a), 'ids:3;mask:3');
    assert.notEqual(shapeKey({ x: f32([2, 3], [1, 2, 3, 4, 5, 6]) }), shapeKey({ x: f32([3, 2], [1, 2, 3, 4, 5, 6]) }));
  });
});

describe('splitOutputs', () => {
  it('gives each row exactly its own slice, in batch order, for every output', () => {
    const outputs: BatchTensors = {
      probs: { dtype: 'float32', dims: [3, 2], data: Float32Array.from([0.1, 0.9, 0.2, 0.8, 0.3, 0.7]) },
      label: { dtype: 'int64', dims: [3], data: BigInt64Array.from([1n, 1n, 0n]) },
      hidden: { dtype: 'float64', dims: [3, 1, 2], data: Float64Array.from([1, 2, 3, 4, 5, 6]) },
      ok: { dtype: 'bool', dims: [3, 1], data: Uint8Array.from([1, 0, 1]) },
      count: { dtype: 'int32', dims: [3, 1], data: Int32Array.from([7, 8, 9]) },
    };
    const rows = splitOutputs(outputs, 3);
    assert.equal(rows.length, 3);
    assert.deepEqual(
      rows.map((row) => values(row.probs?.data)),
      [
        [0.1, 0.9],
        [0.2, 0.8],
        [0.3, 0.7],
      ].map((pair) => values(Float32Array.from(pair))),
    );
    assert.deepEqual(
      rows.map((row) => row.probs?.dims),
      [[2], [2], [2]],
    );
    assert.deepEqual(
      rows.map((row) => Array.from(row.label?.data as BigInt64Array)),
      [[1n], [1n], [0n]],
    );
    assert.deepEqual(
      rows.map((row) => row.label?.dims),
      [[], [], []],
    );
    assert.deepEqual(
      rows.map((row) => values(row.hidden?.data)),
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    );
    assert.deepEqual(rows[2]?.hidden?.dims, [1, 2]);
    assert.deepEqual(
      rows.map((row) => values(row.ok?.data)),
      [[1], [0], [1]],
    );
    assert.deepEqual(
      rows.map((row) => values(row.count?.data)),
      [[7], [8], [9]],
    );
    assert.ok(rows[0]?.label?.data instanceof BigInt64Array);
    assert.ok(rows[0]?.ok?.data instanceof Uint8Array);
  });

  it('copies slices, so a row does not alias the batch buffer', () => {
    const data = Float32Array.from([1, 2, 3, 4]);
    const rows = splitOutputs({ y: { dtype: 'float32', dims: [2, 2], data } }, 2);
    data.fill(0);
    assert.deepEqual(values(rows[1]?.y?.data), [3, 4]);
    assert.equal(rows[1]?.y?.data.length, 2);
  });

  it('stacks and splits back to the same rows', () => {
    const rows: Row[] = [{ x: f32([3], [1, 2, 3]) }, { x: f32([3], [4, 5, 6]) }];
    const back = splitOutputs(stackRows(rows, [spec('x', 'float32', [-1, 3])], 'group'), 2);
    assert.deepEqual(
      back.map((row) => values(row.x?.data)),
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    );
  });

  it('refuses outputs whose batch dimension, length or array type is wrong', () => {
    const wrongBatch: BatchTensors = { y: { dtype: 'float32', dims: [2, 2], data: new Float32Array(4) } };
    assert.throws(() => splitOutputs(wrongBatch, 3), {
      code: 'ERR_INFERENCE_FAILED',
      message: /'y'.*batch dimension of 3/,
    });
    const short: BatchTensors = { y: { dtype: 'float32', dims: [2, 2], data: new Float32Array(3) } };
    assert.throws(() => splitOutputs(short, 2), { code: 'ERR_INFERENCE_FAILED', message: /3 values/ });
    const wrongType: BatchTensors = { y: { dtype: 'int64', dims: [2], data: new Float32Array(2) } };
    assert.throws(() => splitOutputs(wrongType, 2), { code: 'ERR_INFERENCE_FAILED', message: /Float32Array/ });
    const scalar: BatchTensors = { y: { dtype: 'float32', dims: [], data: new Float32Array(1) } };
    assert.throws(() => splitOutputs(scalar, 1), { code: 'ERR_INFERENCE_FAILED' });
  });
});
