/**
 * Tensor data into typed arrays in one pass. `fillTypedFromJson` is the fast path for
 * JSON `data` that is flat and valid, the common case: it returns undefined on anything
 * else (nested arrays, a wrong count, a bad element), and the caller takes the general
 * path, which flattens, counts and names the first bad element exactly as before.
 */
import { SluiceError } from '../core/errors.ts';
import { allocate, type TensorData, type TensorDType, type V2Datatype } from '../core/tensors.ts';

export function fillTypedFromJson(data: unknown, dtype: TensorDType, expected: number): TensorData | undefined {
  if (!Array.isArray(data) || data.length !== expected) return undefined;
  const values = data as readonly unknown[];
  switch (dtype) {
    case 'float32':
    case 'float64': {
      const out = allocate(dtype, expected) as Float32Array | Float64Array;
      for (let index = 0; index < expected; index++) {
        const value = values[index];
        if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
        out[index] = value;
      }
      return out;
    }
    case 'int32': {
      const out = new Int32Array(expected);
      for (let index = 0; index < expected; index++) {
        const value = values[index];
        if (!Number.isInteger(value)) return undefined;
        out[index] = value as number;
      }
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(expected);
      for (let index = 0; index < expected; index++) {
        const value = values[index];
        if (!Number.isInteger(value)) return undefined;
        out[index] = BigInt(value as number);
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(expected);
      for (let index = 0; index < expected; index++) {
        const value = values[index];
        if (typeof value !== 'boolean') return undefined;
        out[index] = value ? 1 : 0;
      }
      return out;
    }
  }
}

/**
 * Binary elements obey the rules JSON ones do: floating-point values are finite (JSON has
 * no NaN or infinities, so the same request means the same thing either way) and BOOL
 * bytes are 0 or 1. Integers need no check: every bit pattern is one.
 */
export function checkTypedElements(data: TensorData, datatype: V2Datatype, where: string, field: string): void {
  if (datatype === 'FP32' || datatype === 'FP64') {
    if (datatype === 'FP32' && allFinite32(data as Float32Array)) return;
    const values = data as Float32Array | Float64Array;
    for (let index = 0; index < values.length; index++) {
      const value = values[index] as number;
      if (!Number.isFinite(value)) throw badElement(where, index, String(value), datatype, field);
    }
  } else if (datatype === 'BOOL') {
    const values = data as Uint8Array;
    for (let index = 0; index < values.length; index++) {
      const value = values[index] as number;
      if (value > 1) throw badElement(where, index, `byte ${value}`, datatype, field);
    }
  }
}

/**
 * Whether no float32 is NaN or infinite, read from the bits: a float is not finite exactly
 * when its 8 exponent bits are all ones, and adding one to the exponent then sets bit 8.
 * Integer ORs into four accumulators are several times faster than `Number.isFinite` per
 * element, which was a visible share of a large binary tensor's cost (docs/benchmarks.md);
 * the element loop above then names the first bad one.
 */
function allFinite32(values: Float32Array): boolean {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const whole = bits.length & ~3;
  let [a, b, c, d] = [0, 0, 0, 0];
  for (let index = 0; index < whole; index += 4) {
    a |= (((bits[index] as number) >> 23) & 0xff) + 1;
    b |= (((bits[index + 1] as number) >> 23) & 0xff) + 1;
    c |= (((bits[index + 2] as number) >> 23) & 0xff) + 1;
    d |= (((bits[index + 3] as number) >> 23) & 0xff) + 1;
  }
  for (let index = whole; index < bits.length; index++) a |= (((bits[index] as number) >> 23) & 0xff) + 1;
  return ((a | b | c | d) & 0x100) === 0;
}

function badElement(where: string, index: number, shown: string, datatype: V2Datatype, field: string): SluiceError {
  return new SluiceError('ERR_TENSOR_DATA', `${where} data[${index}]: ${shown} is not a valid ${datatype} value`, {
    field,
  });
}
