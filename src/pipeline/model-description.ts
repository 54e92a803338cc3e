/**
 * What the protocol adapters may know of a model: its request fields, its outputs and its
 * task, in protocol-neutral terms. A local model's spec satisfies it as it is.
 */
import type { TensorDType, V2Datatype } from '../core/tensors.ts';

export type ModelTask = 'text-classification' | 'text-embedding' | 'tabular-classification' | 'tensor';

export interface RequestField {
  readonly name: string;
  readonly datatype: V2Datatype;
  /** Per-item shape, without the batch dimension; -1 marks a variable dimension. */
  readonly shape: readonly number[];
}

export interface OutputTensor {
  readonly name: string;
  readonly dtype: TensorDType;
  /** Full shape, batch dimension first. */
  readonly shape: readonly number[];
}

export interface ModelDescription {
  readonly name: string;
  readonly version: string;
  readonly task: ModelTask;
  readonly inputs: readonly RequestField[];
  readonly tensors: { readonly outputs: readonly OutputTensor[] };
  readonly labels?: readonly string[] | undefined;
  readonly batching: { readonly max_batch_size: number };
  /** Declared per item, in `unit` (absent: compute-units): what the cost ledger charges. */
  readonly cost: { readonly per_item: number; readonly unit?: string };
  /** What becomes of an item lacking a field (docs/model-yaml.md); absent: `reject`. */
  readonly quality?: { readonly partial_data: { readonly policy: string } };
}

/**
 * Under a partial-data policy other than `reject` (`impute`, `fallback`) an item's null is
 * a missing value, as an absent field is; under `reject` it is a value its schema refuses.
 */
export function nullsAreMissing(policy: string | undefined): boolean {
  return policy !== undefined && policy !== 'reject';
}
