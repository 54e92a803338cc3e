/**
 * The errors the batcher refuses work with. Both 429s carry `retryAfterMs` for the HTTP
 * layer's `Retry-After` header; the 504 says how long the request waited in vain.
 */
import { SluiceError } from '../../../core/errors.ts';

export class BatcherClosedError extends SluiceError {
  constructor() {
    super('ERR_BATCHER_CLOSED', 'the model is shutting down and accepts no new work');
  }
}

export type ShedReason = 'queue_full' | 'predicted_miss' | 'deadline';

export class LoadShedError extends SluiceError {
  constructor(
    readonly reason: ShedReason,
    message: string,
    retryAfterMs: number | undefined,
  ) {
    const code =
      reason === 'queue_full'
        ? 'ERR_ADMISSION_QUEUE_FULL'
        : reason === 'predicted_miss'
          ? 'ERR_ADMISSION_PREDICTED_MISS'
          : 'ERR_DEADLINE_EXCEEDED';
    super(code, message, retryAfterMs === undefined ? {} : { retryAfterMs });
    this.name = 'LoadShedError';
  }
}

export function queueFullError(level: number, retryAfterMs: number, evicted: boolean): LoadShedError {
  const what = evicted ? 'was shed to make room for a lighter tenant' : 'was refused';
  return new LoadShedError('queue_full', `the queue for priority ${level} is full; the request ${what}`, retryAfterMs);
}

export function predictedMissError(predictedMs: number, budgetMs: number, retryAfterMs: number): LoadShedError {
  const message = `the request would complete in about ${Math.ceil(predictedMs)} ms but its deadline is ${Math.max(0, Math.floor(budgetMs))} ms away`;
  return new LoadShedError('predicted_miss', message, retryAfterMs);
}

export function deadlineExceededError(waitedMs: number | undefined): LoadShedError {
  const message =
    waitedMs === undefined
      ? 'the request deadline had passed before it was queued'
      : `the request timed out in the queue after ${Math.round(waitedMs)} ms`;
  return new LoadShedError('deadline', message, undefined);
}
