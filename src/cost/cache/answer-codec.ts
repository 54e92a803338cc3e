/**
 * Cached values are text, the same in memory and in Redis: a local model's row per item
 * (each tensor's bytes in base64), or a remote model's JSON answer with who made it.
 */
import type { Row, RowTensor, TensorData, TensorDType } from '../../core/tensors.ts';
import type { DocumentAnswer } from '../../pipeline/target.ts';

interface StoredTensor {
  readonly dtype: TensorDType;
  readonly dims: readonly number[];
  readonly data: string;
}

const ARRAY_OF: Readonly<Record<TensorDType, (buffer: ArrayBuffer) => TensorData>> = {
  float32: (buffer) => new Float32Array(buffer),
  float64: (buffer) => new Float64Array(buffer),
  int64: (buffer) => new BigInt64Array(buffer),
  int32: (buffer) => new Int32Array(buffer),
  bool: (buffer) => new Uint8Array(buffer),
};

export function encodeRow(row: Row): string {
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, tensor] of Object.entries(row)) {
    const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    tensors[name] = { dtype: tensor.dtype, dims: tensor.dims, data: bytes.toString('base64') };
  }
  return JSON.stringify(tensors);
}

export function decodeRow(text: string): Row {
  const stored = JSON.parse(text) as Record<string, StoredTensor>;
  const row: Record<string, RowTensor> = {};
  for (const [name, tensor] of Object.entries(stored)) {
    const bytes = Buffer.from(tensor.data, 'base64');
    // A copy on its own buffer: typed arrays need their element alignment, a pooled Buffer's offset has none.
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    row[name] = { dtype: tensor.dtype, dims: tensor.dims, data: ARRAY_OF[tensor.dtype](buffer) };
  }
  return row;
}

/** A remote model's answer as it was made: the model and version that answered it, its status and body. */
export interface StoredDocument {
  readonly model: string;
  readonly version: string;
  readonly status: number;
  readonly document: Readonly<Record<string, unknown>>;
}

export function encodeDocument(answer: DocumentAnswer): string {
  const { model, version } = answer.provenance;
  return JSON.stringify({ model, version, status: answer.status, document: answer.document });
}

export function decodeDocument(text: string): StoredDocument {
  return JSON.parse(text) as StoredDocument;
}
