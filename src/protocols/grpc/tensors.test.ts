import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../../core/errors.ts';
import type { InferInputTensor, InferTensorContents, ModelInferRequest } from './proto.ts';
import { documentToRawOutputs, jsonInferRequest } from './json-bridge.ts';
import { decodeInputs, rowsToRawOutputs } from './tensors.ts';

const EMPTY: InferTensorContents = {
  bool_contents: [],
  int_contents: [],
  int64_contents: [],
  uint_contents: [],
  uint64_contents: [],
  fp32_contents: [],
  fp64_contents: [],
  bytes_contents: [],
};

function input(
  name: string,
  datatype: string,
  shape: number[],
  contents: Partial<InferTensorContents> | null = null,
): InferInputTensor {
  return {
    name,
    datatype,
    shape: shape.map(String),
    parameters: {},
    contents: contents === null ? null : { ...EMPTY, ...contents },
  };
}

function request(inputs: InferInputTensor[], raw: Buffer[] = []): ModelInferRequest {
  return { model_name: 'm', model_version: '', id: '', parameters: {}, inputs, outputs: [], raw_input_contents: raw };
}

function refusal(run: () => unknown): SluiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  return assert.fail('no error');
}

describe('decodeInputs', () => {
  test('raw contents become typed arrays (BYTES: strings), as a binary HTTP body does', () => {
    const fp32 = Buffer.from(Float32Array.of(1.5, -2).buffer);
    const bytes = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hi')]);
    const [a, b] = decodeInputs(request([input('a', 'FP32', [1, 2]), input('b', 'BYTES', [1])], [fp32, bytes]));
    assert.deepEqual(a, { binary: true, name: 'a', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(1.5, -2) });
    assert.deepEqual(b, { binary: true, name: 'b', datatype: 'BYTES', shape: [1], data: ['hi'] });
  });

  test('typed contents become typed arrays, 64-bit integers exactly', () => {
    const tensors = decodeInputs(
      request([
        input('i', 'INT64', [2], { int64_contents: ['9007199254740993', '-1'] }),
        input('b', 'BOOL', [2], { bool_contents: [true, false] }),
        input('s', 'BYTES', [1], { bytes_contents: [Buffer.from('é')] }),
        input('f', 'FP64', [1], { fp64_contents: [0.1] }),
      ]),
    );
    assert.deepEqual(
      tensors.map((tensor) => tensor.data),
      [BigInt64Array.of(9007199254740993n, -1n), Uint8Array.of(1, 0), ['é'], Float64Array.of(0.1)],
    );
  });

  const cases: Array<[string, ModelInferRequest, string, RegExp]> = [
    [
      'raw entries for some inputs only',
      request([input('a', 'FP32', [1]), input('b', 'FP32', [1])], [Buffer.alloc(4)]),
      'raw_input_contents',
      /1 entries for 2 inputs/,
    ],
    [
      'raw bytes that the shape does not fill',
      request([input('a', 'FP32', [1, 3])], [Buffer.alloc(8)]),
      'a',
      /3 FP32 elements \(12 bytes\).*8 bytes/,
    ],
    [
      'BYTES raw with fewer elements than the shape',
      request([input('t', 'BYTES', [2])], [Buffer.from([0, 0, 0, 0])]),
      't',
      /shape holds 2 elements/,
    ],
    [
      'both raw and contents',
      request([input('a', 'FP32', [1], { fp32_contents: [1] })], [Buffer.alloc(4)]),
      'a',
      /contents must not be set/,
    ],
    ['an unknown datatype', request([input('a', 'FP8', [1], {})]), 'a', /unknown datatype "FP8"/],
    [
      'contents in the wrong field',
      request([input('a', 'FP32', [1], { int_contents: [1] })]),
      'a',
      /fp32_contents, not int_contents/,
    ],
    [
      'contents the shape does not hold',
      request([input('a', 'INT32', [3], { int_contents: [1, 2] })]),
      'a',
      /holds 3 elements but int_contents has 2/,
    ],
    [
      'an INT8 value out of range',
      request([input('a', 'INT8', [1], { int_contents: [300] })]),
      'a',
      /300 is not a valid INT8 value/,
    ],
    ['FP16 in contents', request([input('a', 'FP16', [1], {})]), 'a', /raw_input_contents/],
    ['a negative dimension', request([input('a', 'FP32', [-1], {})]), 'a', /non-negative integers/],
    [
      'BYTES contents that are not UTF-8',
      request([input('t', 'BYTES', [1], { bytes_contents: [Buffer.from([0xff])] })]),
      't',
      /not valid UTF-8/,
    ],
  ];
  for (const [name, given, field, message] of cases) {
    test(`refuses ${name}, naming the field`, () => {
      const error = refusal(() => decodeInputs(given));
      assert.equal(error.status, 400);
      assert.equal(error.field, field);
      assert.match(error.message, message);
    });
  }
});

test('rowsToRawOutputs stacks each output row by row, little-endian', () => {
  const row = (values: number[]) => ({ p: { dtype: 'float32' as const, data: Float32Array.from(values), dims: [2] } });
  const { outputs, raw } = rowsToRawOutputs(
    [row([1, 2]), row([3, 4])],
    [{ name: 'p', dtype: 'float32', shape: [-1, 2] }],
  );
  assert.deepEqual(outputs, [{ name: 'p', datatype: 'FP32', shape: [2, 2] }]);
  assert.deepEqual(raw, [Buffer.from(Float32Array.of(1, 2, 3, 4).buffer)]);
});

test('documentToRawOutputs writes a JSON answer raw, and refuses a malformed one as the upstream fault', () => {
  const { outputs, raw } = documentToRawOutputs({
    outputs: [
      { name: 'n', datatype: 'INT64', shape: [2], data: [1, -2] },
      { name: 't', datatype: 'BYTES', shape: [1], data: ['ok'] },
    ],
  });
  assert.deepEqual(outputs, [
    { name: 'n', datatype: 'INT64', shape: [2] },
    { name: 't', datatype: 'BYTES', shape: [1] },
  ]);
  assert.deepEqual(raw, [Buffer.from(BigInt64Array.of(1n, -2n).buffer), Buffer.from([2, 0, 0, 0, 0x6f, 0x6b])]);
  const bad = refusal(() =>
    documentToRawOutputs({ outputs: [{ name: 'n', datatype: 'FP32', shape: [2], data: [1] }] }),
  );
  assert.equal(bad.code, 'ERR_UPSTREAM_BAD_RESPONSE');
});

test('jsonInferRequest is the JSON Open Inference request of the same tensors and parameters', () => {
  const given: ModelInferRequest = {
    ...request([input('a', 'FP32', [1, 2])], [Buffer.from(Float32Array.of(1, 2).buffer)]),
    id: 'x',
    parameters: { timeout: { parameter_choice: 'int64_param', int64_param: '5000' } },
    outputs: [{ name: 'p', parameters: {} }],
  };
  assert.deepEqual(jsonInferRequest(given, decodeInputs(given)), {
    id: 'x',
    parameters: { timeout: 5000 },
    inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
    outputs: [{ name: 'p' }],
  });
});
