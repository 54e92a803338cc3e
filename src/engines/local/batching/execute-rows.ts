/**
 * One batch's round trip: rows stacked into batch tensors, the model run once, and its
 * outputs split back into one set per row. Any failure on the way (a row that will not
 * stack, an executor that throws or rejects, outputs of the wrong batch size) is
 * returned, not thrown, so it fails this batch's requests and nothing else.
 */
import type { TensorSpec } from '../models/model-spec.ts';
import type { BatchTensors, Row } from '../../../core/tensors.ts';
import { splitOutputs, stackRows } from './assemble.ts';
import type { RaggedMode } from './batch-policy.ts';

export type BatchOutcome =
  { readonly ok: true; readonly outputs: readonly Row[] } | { readonly ok: false; readonly error: unknown };

export async function executeRows(
  rows: readonly Row[],
  inputs: readonly TensorSpec[],
  ragged: RaggedMode,
  execute: (batch: BatchTensors, size: number) => Promise<BatchTensors>,
): Promise<BatchOutcome> {
  try {
    const outputs = splitOutputs(await execute(stackRows(rows, inputs, ragged), rows.length), rows.length);
    return { ok: true, outputs };
  } catch (error) {
    return { ok: false, error };
  }
}
