/**
 * Tensors on their way to another thread. `postMessage` copies a typed array by cloning
 * its whole backing buffer, which for a view means every byte of the buffer it sits in
 * (Node's 8 KiB Buffer pool, a request body). So a tensor that owns its buffer outright
 * moves it (zero copy; the sender's array is left detached), and a view or a
 * SharedArrayBuffer-backed array is first copied into a buffer of its own, which then
 * moves. Every element type, BigInt64Array included, copies with `slice()`.
 */
import type { BatchTensor, BatchTensors, TensorData } from '../../../core/tensors.ts';

export interface PortableTensors {
  readonly tensors: BatchTensors;
  /** Each buffer once, even when several tensors share it. */
  readonly transfer: ArrayBuffer[];
}

export function portableTensors(tensors: BatchTensors): PortableTensors {
  const portable: Record<string, BatchTensor> = {};
  const transfer = new Set<ArrayBuffer>();
  for (const [name, tensor] of Object.entries(tensors)) {
    const data = ownsItsBuffer(tensor.data) ? tensor.data : tensor.data.slice();
    transfer.add(data.buffer as ArrayBuffer);
    portable[name] = { dtype: tensor.dtype, dims: [...tensor.dims], data };
  }
  return { tensors: portable, transfer: [...transfer] };
}

/** True when the array spans the whole of a transferable (non-shared) buffer. */
export function ownsItsBuffer(data: TensorData): boolean {
  const buffer: ArrayBufferLike = data.buffer;
  return buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength;
}
