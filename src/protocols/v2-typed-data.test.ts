import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../core/errors.ts';
import { checkTypedElements } from './v2-typed-data.ts';

function floats(length: number): Float32Array {
  return Float32Array.from({ length }, (_, index) => (index % 7) - 3.5 + index * 1e-3);
}

describe('checkTypedElements', () => {
  it('accepts finite float32 data of any length, extremes and subnormals included', () => {
    for (const length of [0, 1, 3, 4, 5, 8, 1001]) checkTypedElements(floats(length), 'FP32', 'input "x"', 'x');
    const extremes = new Float32Array([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0]);
    checkTypedElements(extremes, 'FP32', 'input "x"', 'x');
  });

  it('names the first non-finite float32 wherever it sits, in the unrolled part or the tail', () => {
    for (const length of [1, 4, 7, 1001])
      for (const index of new Set([0, Math.floor(length / 2), length - 1]))
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const data = floats(length);
          data[index] = bad;
          assert.throws(
            () => checkTypedElements(data, 'FP32', 'input "x"', 'x'),
            (error: unknown) =>
              error instanceof SluiceError &&
              error.code === 'ERR_TENSOR_DATA' &&
              error.message === `input "x" data[${index}]: ${String(bad)} is not a valid FP32 value`,
          );
        }
  });

  it('checks a view into a larger buffer, not the bytes around it', () => {
    const buffer = new Float32Array([Number.NaN, 1, 2, 3, 4, 5, Number.NaN]);
    checkTypedElements(buffer.subarray(1, 6), 'FP32', 'input "x"', 'x');
  });

  it('checks float64 and bool data element by element', () => {
    checkTypedElements(new Float64Array([1, -2, 1e308]), 'FP64', 'input "y"', 'y');
    assert.throws(() => checkTypedElements(new Float64Array([1, Infinity]), 'FP64', 'input "y"', 'y'), /data\[1\]/);
    assert.throws(() => checkTypedElements(new Uint8Array([0, 1, 2]), 'BOOL', 'input "b"', 'b'), /byte 2/);
  });
});
