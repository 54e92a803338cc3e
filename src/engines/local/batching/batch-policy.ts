/**
 * The dynamic batching settings of one model, in Triton's terms
 * (`max_batch_size`, `max_queue_delay_ms`, `preferred_batch_sizes`), checked once
 * and normalised so the decision function never has to.
 */
import type { BatchingSpec } from '../models/model-spec.ts';

export type RaggedMode = BatchingSpec['ragged'];

export interface BatchPolicy {
  readonly maxBatchSize: number;
  /** How long the oldest queued row may wait for others to join its batch; 0 = never wait. */
  readonly maxQueueDelayMs: number;
  /** Batch sizes to form when possible, each ≤ maxBatchSize (any order; normalised to ascending and unique). */
  readonly preferredBatchSizes: readonly number[];
  /** How rows whose variable dimensions differ share batches (see BatchingSpec.ragged). */
  readonly ragged: RaggedMode;
}

export function policyFromSpec(spec: BatchingSpec): BatchPolicy {
  return normalisePolicy({
    maxBatchSize: spec.max_batch_size,
    maxQueueDelayMs: spec.max_queue_delay_ms,
    preferredBatchSizes: spec.preferred_batch_sizes,
    ragged: spec.ragged,
  });
}

/** Validates a policy and returns a frozen copy with preferred sizes ascending and unique. */
export function normalisePolicy(policy: BatchPolicy): BatchPolicy {
  const { maxBatchSize, maxQueueDelayMs, preferredBatchSizes, ragged } = policy;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`max_batch_size must be an integer ≥ 1, got ${maxBatchSize}`);
  }
  if (!Number.isFinite(maxQueueDelayMs) || maxQueueDelayMs < 0) {
    throw new RangeError(`max_queue_delay_ms must be a finite number ≥ 0, got ${maxQueueDelayMs}`);
  }
  for (const size of preferredBatchSizes) {
    if (!Number.isInteger(size) || size < 1 || size > maxBatchSize) {
      throw new RangeError(`preferred batch size ${size} must be an integer in 1..max_batch_size (${maxBatchSize})`);
    }
  }
  if (ragged !== 'pad' && ragged !== 'group') {
    throw new RangeError(`ragged must be 'pad' or 'group', got ${String(ragged)}`);
  }
  const sorted = [...new Set(preferredBatchSizes)].sort((a, b) => a - b);
  return Object.freeze({ maxBatchSize, maxQueueDelayMs, preferredBatchSizes: Object.freeze(sorted), ragged });
}
