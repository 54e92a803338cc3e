/**
 * Tensor types shared by preprocessing, batching and execution.
 *
 * A "row" is one request item's contribution to a batch: its tensors without the
 * leading batch dimension. The batcher stacks rows into batch tensors (padding
 * variable dimensions) and splits batch outputs back into rows.
 */

export type TensorDType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** Datatypes of request fields, in the Open Inference Protocol's names. */
export const V2_DATATYPES = ['BOOL', 'INT32', 'INT64', 'FP32', 'FP64', 'BYTES'] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

const V2_DATATYPE_OF: Readonly<Record<TensorDType, V2Datatype>> = {
  float32: 'FP32',
  float64: 'FP64',
  int64: 'INT64',
  int32: 'INT32',
  bool: 'BOOL',
};

/** A tensor element type in the Open Inference Protocol's name. */
export function v2DatatypeOf(dtype: TensorDType): V2Datatype {
  return V2_DATATYPE_OF[dtype];
}

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface RowTensor {
  readonly dtype: TensorDType;
  readonly data: TensorData;
  /** Dimensions of this row, excluding the batch dimension. */
  readonly dims: readonly number[];
}

/** The tensors of one item, keyed by ONNX tensor name. */
export type Row = Readonly<Record<string, RowTensor>>;

/** A whole batch tensor, batch dimension first. */
export interface BatchTensor {
  readonly dtype: TensorDType;
  readonly data: TensorData;
  readonly dims: readonly number[];
}

export type BatchTensors = Readonly<Record<string, BatchTensor>>;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

export function allocate(dtype: TensorDType, length: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'bool':
      return new Uint8Array(length);
  }
}

/** Flat elements in row-major order as nested arrays of the given dimensions ([] → the one element). */
export function nestArray(flat: readonly unknown[], dims: readonly number[]): unknown {
  const build = (offset: number, axis: number): unknown => {
    if (axis === dims.length) return flat[offset];
    const stride = elementCount(dims.slice(axis + 1));
    return Array.from({ length: dims[axis] ?? 0 }, (_, index) => build(offset + index * stride, axis + 1));
  };
  return build(0, 0);
}
