/**
 * The batching decision, apart from the loop that acts on it (Triton's
 * `GetDynamicBatch()` vs `BatcherThread`). Pure: same view, time and policy, same answer.
 *
 * Semantics follow Triton's dynamic batcher (core/src/dynamic_batch_scheduler.cc),
 * for rows of batch size 1, asked only when an execution slot is free:
 *
 *   available = min(queued, max_batch_size)
 *   preferred = preferred_batch_sizes, or [max_batch_size] when none are given
 *               (Triton's config normalisation does exactly this)
 *   best      = the largest preferred size ≤ available, if any
 *   expired   = max_queue_delay_ms > 0 and the oldest row has waited ≥ max_queue_delay_ms
 *
 *   queued = 0                    → idle
 *   best exists and not expired   → run best, at once: Triton does not hold a formed
 *                                   preferred batch back hoping for a larger one
 *   expired, or delay 0           → run available: rows that already waited their
 *                                   full delay go out together, preferred or not
 *   otherwise                     → wait until the oldest row's delay expires
 *
 * So with preferred sizes that leave out max_batch_size (say [2, 4] with max 8) a
 * full queue runs batches of 4 until its oldest row has waited out the delay; list
 * max_batch_size among the preferred sizes to have full batches run at once.
 */
import type { BatchPolicy } from './batch-policy.ts';

/** What the queue holds for the candidate batch: the group of the oldest queued row. */
export interface QueueView {
  /** Rows queued that may share a batch with the oldest row (itself included). */
  readonly queued: number;
  /** When the oldest of them arrived, on the clock's scale; ignored when `queued` is 0. */
  readonly oldestArrivalMs: number;
}

export type BatchDecision =
  | { readonly action: 'run'; readonly size: number }
  | { readonly action: 'wait'; readonly ms: number }
  | { readonly action: 'idle' };

const IDLE: BatchDecision = Object.freeze({ action: 'idle' });

export function nextBatch(view: QueueView, nowMs: number, policy: BatchPolicy): BatchDecision {
  if (view.queued <= 0) return IDLE;
  const available = Math.min(view.queued, policy.maxBatchSize);
  const delayMs = policy.maxQueueDelayMs;
  const ageMs = nowMs - view.oldestArrivalMs;
  const expired = delayMs > 0 && ageMs >= delayMs;
  const best = largestPreferredAtMost(available, policy);
  if (best > 0 && !expired) return { action: 'run', size: best };
  if (expired || delayMs === 0) return { action: 'run', size: available };
  return { action: 'wait', ms: delayMs - ageMs };
}

/** 0 when no preferred size fits; max_batch_size stands in for an empty preferred list. */
function largestPreferredAtMost(limit: number, policy: BatchPolicy): number {
  const sizes = policy.preferredBatchSizes;
  if (sizes.length === 0) return policy.maxBatchSize <= limit ? policy.maxBatchSize : 0;
  let best = 0;
  for (const size of sizes) {
    if (size <= limit && size > best) best = size;
  }
  return best;
}
