import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowTensor } from '../core/tensors.ts';
import type { ModelDescription, RequestField } from '../pipeline/model-description.ts';
import type { DecodedTensor } from './v2-binary.ts';
import { rowsToV2Tensors, v2TensorsToItems } from './v2-tensors.ts';

function model(...inputs: RequestField[]): ModelDescription {
  return {
    name: 'm',
    version: '1',
    task: 'tensor',
    inputs,
    tensors: { outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 2] }] },
    batching: { max_batch_size: 8 },
    cost: { per_item: 0 },
  };
}

const image: RequestField = { name: 'x', datatype: 'FP32', shape: [2, 2] };
const json = (name: string, datatype: string, shape: number[], data: unknown): DecodedTensor => ({
  binary: false,
  name,
  datatype,
  shape,
  data,
});

describe('v2TensorsToItems', () => {
  test('a tensor field: flat JSON data becomes one typed array, each item a shaped view of its slice', () => {
    const items = v2TensorsToItems([json('x', 'FP32', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])], model(image));
    const [first, second] = items.map((item) => item['x'] as RowTensor);
    assert.equal(first?.dtype, 'float32');
    assert.deepEqual(first?.dims, [2, 2]);
    assert.deepEqual([...(first?.data ?? [])], [1, 2, 3, 4]);
    assert.deepEqual([...(second?.data ?? [])], [5, 6, 7, 8]);
    assert.equal(first?.data.buffer, second?.data.buffer);
  });

  test('nested JSON data gives the same items as flat data', () => {
    const nested = [
      [
        [1, 2],
        [3, 4],
      ],
    ];
    const [item] = v2TensorsToItems([json('x', 'FP32', [1, 2, 2], nested)], model(image));
    assert.deepEqual([...((item?.['x'] as RowTensor).data ?? [])], [1, 2, 3, 4]);
  });

  test('a binary tensor field: each item views the body without a copy', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const items = v2TensorsToItems(
      [{ binary: true, name: 'x', datatype: 'FP32', shape: [2, 2, 2], data }],
      model(image),
    );
    const second = items[1]?.['x'] as RowTensor;
    assert.equal(second.data.buffer, data.buffer);
    assert.equal(second.data.byteOffset, 16);
  });

  test('INT64 and BOOL tensor fields hold BigInt64Array and Uint8Array rows', () => {
    const ids: RequestField = { name: 'ids', datatype: 'INT64', shape: [2] };
    const mask: RequestField = { name: 'mask', datatype: 'BOOL', shape: [2] };
    const [item] = v2TensorsToItems(
      [json('ids', 'INT64', [1, 2], [7, 9]), json('mask', 'BOOL', [1, 2], [true, false])],
      model(ids, mask),
    );
    assert.deepEqual([...(item?.['ids'] as RowTensor).data], [7n, 9n]);
    assert.deepEqual([...(item?.['mask'] as RowTensor).data], [1, 0]);
  });

  test('scalar fields keep JS values, from JSON and from binary alike', () => {
    const fields = model({ name: 'age', datatype: 'FP32', shape: [] }, { name: 'on', datatype: 'BOOL', shape: [] });
    const fromJson = v2TensorsToItems(
      [json('age', 'FP32', [2], [30, 40]), json('on', 'BOOL', [2, 1], [[true], [false]])],
      fields,
    );
    const fromBinary = v2TensorsToItems(
      [
        { binary: true, name: 'age', datatype: 'FP32', shape: [2], data: new Float32Array([30, 40]) },
        { binary: true, name: 'on', datatype: 'BOOL', shape: [2, 1], data: new Uint8Array([1, 0]) },
      ],
      fields,
    );
    assert.deepEqual(fromJson, [
      { age: 30, on: true },
      { age: 40, on: false },
    ]);
    assert.deepEqual(fromBinary, fromJson);
  });

  const refusals: Array<[string, DecodedTensor, string, RegExp]> = [
    [
      'a string among numbers',
      json('x', 'FP32', [1, 2, 2], [1, 2, 'a', 4]),
      'ERR_TENSOR_DATA',
      /data\[2\]: "a" is not a valid FP32/,
    ],
    [
      'too few elements',
      json('x', 'FP32', [1, 2, 2], [1, 2, 3]),
      'ERR_TENSOR_SHAPE',
      /holds 4 elements but data has 3/,
    ],
    [
      'a wrong per-item shape',
      json('x', 'FP32', [1, 4], [1, 2, 3, 4]),
      'ERR_TENSOR_SHAPE',
      /shape must be \[N, 2, 2\]/,
    ],
    ['a wrong datatype', json('x', 'FP64', [1, 2, 2], [1, 2, 3, 4]), 'ERR_TENSOR_DATATYPE', /must be FP32, got FP64/],
    [
      'NaN in binary data',
      { binary: true, name: 'x', datatype: 'FP32', shape: [1, 2, 2], data: new Float32Array([1, NaN, 3, 4]) },
      'ERR_TENSOR_DATA',
      /data\[1\]: NaN is not a valid FP32 value/,
    ],
  ];
  for (const [name, input, code, message] of refusals) {
    test(`refuses ${name}, naming the input`, () => {
      assert.throws(
        () => v2TensorsToItems([input], model(image)),
        (error: Error & { code?: string }) =>
          error.code === code && message.test(error.message) && /"x"/.test(error.message),
      );
    });
  }

  test('a binary BOOL byte other than 0 or 1 is refused', () => {
    const field: RequestField = { name: 'b', datatype: 'BOOL', shape: [2] };
    const input: DecodedTensor = {
      binary: true,
      name: 'b',
      datatype: 'BOOL',
      shape: [1, 2],
      data: new Uint8Array([1, 2]),
    };
    assert.throws(() => v2TensorsToItems([input], model(field)), /data\[1\]: byte 2 is not a valid BOOL value/);
  });
});

describe("v2TensorsToItems: partial data is left to the model's policy", () => {
  const age: RequestField = { name: 'age', datatype: 'FP32', shape: [] };
  const channel: RequestField = { name: 'channel', datatype: 'BYTES', shape: [] };
  const codes: RequestField = { name: 'codes', datatype: 'BYTES', shape: [2] };
  const withPolicy = (policy: string, ...inputs: RequestField[]) => ({
    ...model(...inputs),
    quality: { partial_data: { policy } },
  });

  test('an input left out is absent from every item, under any policy', () => {
    for (const policy of ['reject', 'impute', 'fallback']) {
      const items = v2TensorsToItems([json('age', 'FP32', [2], [30, 40])], withPolicy(policy, age, channel));
      assert.deepEqual(items, [{ age: 30 }, { age: 40 }], policy);
    }
  });

  test('with no input at all there is no batch size: refused naming the first input', () => {
    assert.throws(() => v2TensorsToItems([], withPolicy('impute', age, channel)), {
      code: 'ERR_TENSOR_MISSING_INPUT',
      message: 'missing input "age"',
    });
  });

  test("a null element of a one-value field is that item's null where the policy reads it as missing", () => {
    for (const policy of ['impute', 'fallback']) {
      const items = v2TensorsToItems(
        [json('age', 'FP32', [3], [30, null, 50]), json('channel', 'BYTES', [3, 1], [['web'], [null], ['']])],
        withPolicy(policy, age, channel),
      );
      assert.deepEqual(items, [
        { age: 30, channel: 'web' },
        { age: null, channel: null },
        { age: 50, channel: '' },
      ]);
    }
  });

  test('a null element is refused under reject, and inside an item of several values under any policy', () => {
    const nulls = json('channel', 'BYTES', [2], ['web', null]);
    for (const description of [model(channel), withPolicy('reject', channel)])
      assert.throws(() => v2TensorsToItems([nulls], description), {
        code: 'ERR_TENSOR_DATA',
        message: 'input "channel" data[1]: null is not a valid BYTES value',
      });
    const hole = json('codes', 'BYTES', [1, 2], ['a', null]);
    assert.throws(() => v2TensorsToItems([hole], withPolicy('impute', codes)), {
      code: 'ERR_TENSOR_DATA',
      message: 'input "codes" data[1]: null is not a valid BYTES value',
    });
  });
});

describe('rowsToV2Tensors', () => {
  test('stacks rows into one typed tensor per output, a single row without a copy', () => {
    const row = (values: number[]) => ({ y: { dtype: 'float32' as const, dims: [2], data: new Float32Array(values) } });
    const outputs = [{ name: 'y', dtype: 'float32' as const, shape: [-1, 2] }];
    const [stacked] = rowsToV2Tensors([row([1, 2]), row([3, 4])], outputs);
    assert.deepEqual(stacked?.shape, [2, 2]);
    assert.equal(stacked?.datatype, 'FP32');
    assert.deepEqual([...(stacked?.data as Float32Array)], [1, 2, 3, 4]);
    const single = row([5, 6]);
    assert.equal(rowsToV2Tensors([single], outputs)[0]?.data, single.y.data);
  });
});
