/**
 * What the batcher has learnt about its model's speed: an EWMA of execution time per
 * batch size (seeded by warm-up, updated by every executed batch) and an EWMA of the
 * rate rows drain at. Admission uses it to predict when a new request would complete,
 * and refusals use the drain rate for Retry-After.
 */
import { ExpAverage } from '../../../control/exp-average.ts';
import type { BatchPolicy } from './batch-policy.ts';
import { nextBatch } from './next-batch.ts';

/** EWMA window in samples: each new sample weighs 2/(10+1) ≈ 0.18 once warmed up. */
const WINDOW = 10;
/** Plain mean over the first samples, so one cold warm-up run does not linger. */
const WARMUP_SAMPLES = 3;

export interface ServiceModelSnapshot {
  /** EWMA of execution time per batch size seen, e.g. `{ 1: 2.1, 8: 6.5 }`. */
  readonly batchMsBySize: Readonly<Record<number, number>>;
  /** EWMA of rows completed per second while busy; undefined until measured. */
  readonly drainRowsPerSec: number | undefined;
}

export class ServiceModel {
  private readonly bySize = new Map<number, ExpAverage>();
  private readonly drainRows = new ExpAverage(WINDOW, WARMUP_SAMPLES);
  private readonly drainIntervalMs = new ExpAverage(WINDOW, WARMUP_SAMPLES);
  private drainSamples = 0;
  /** Rebuilt after a batch is recorded, not on every read: admission reads it for every request. */
  private averagesCache: ReadonlyMap<number, number> | undefined;

  recordBatch(size: number, ms: number): void {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be an integer ≥ 1, got ${size}`);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`batch time must be a finite number ≥ 0, got ${ms}`);
    let average = this.bySize.get(size);
    if (average === undefined) {
      average = new ExpAverage(WINDOW, WARMUP_SAMPLES);
      this.bySize.set(size, average);
    }
    average.add(ms);
    this.averagesCache = undefined;
  }

  /** `rows` completed `intervalMs` after the previous completion (or after their batch started, if later). */
  recordDrain(rows: number, intervalMs: number): void {
    this.drainRows.add(rows);
    this.drainIntervalMs.add(Math.max(0, intervalMs));
    this.drainSamples += 1;
  }

  /** Estimated execution time of a batch of `size`; undefined with no samples at all. */
  batchMs(size: number): number | undefined {
    return estimateBatchMs(this.averages(), size);
  }

  /** The current average per batch size measured, for estimating many sizes at once. */
  averages(): ReadonlyMap<number, number> {
    if (this.averagesCache === undefined) {
      const averages = new Map<number, number>();
      for (const [size, average] of this.bySize) averages.set(size, average.current);
      this.averagesCache = averages;
    }
    return this.averagesCache;
  }

  /** Averaging rows and intervals apart (not their ratio per batch) keeps one tiny interval from swamping the rate. */
  get drainRowsPerSec(): number | undefined {
    const intervalMs = this.drainIntervalMs.current;
    if (this.drainSamples === 0 || !(intervalMs > 0)) return undefined;
    return (this.drainRows.current / intervalMs) * 1000;
  }

  snapshot(): ServiceModelSnapshot {
    const batchMsBySize: Record<number, number> = {};
    for (const [size, ms] of [...this.averages()].sort(([a], [b]) => a - b)) batchMsBySize[size] = ms;
    return { batchMsBySize, drainRowsPerSec: this.drainRowsPerSec };
  }
}

/**
 * A batch's time from the sizes measured: the measurement itself, else linear between
 * the nearest sizes measured on either side, else scaled in proportion to size from the
 * nearest one (per-row cost held constant); undefined when nothing is measured.
 */
export function estimateBatchMs(samples: ReadonlyMap<number, number>, size: number): number | undefined {
  const exact = samples.get(size);
  if (exact !== undefined) return exact;
  // Sizes and times apart, not as pairs: admission estimates on every request.
  let belowSize = 0;
  let belowMs = 0;
  let aboveSize = Infinity;
  let aboveMs = 0;
  for (const [known, ms] of samples) {
    if (known < size && known > belowSize) {
      belowSize = known;
      belowMs = ms;
    }
    if (known > size && known < aboveSize) {
      aboveSize = known;
      aboveMs = ms;
    }
  }
  const hasBelow = belowSize > 0;
  const hasAbove = aboveSize !== Infinity;
  if (hasBelow && hasAbove) return belowMs + ((aboveMs - belowMs) * (size - belowSize)) / (aboveSize - belowSize);
  if (hasBelow) return (belowMs * size) / belowSize;
  return hasAbove ? (aboveMs * size) / aboveSize : undefined;
}

export interface PredictionInput {
  /** Rows queued at the arrival's priority or higher: served before it. */
  readonly rowsAhead: number;
  readonly ownRows: number;
  /** Estimated time left of each batch executing now. */
  readonly runningRemainingMs: readonly number[];
  /** Batches that may execute at once. */
  readonly concurrency: number;
  readonly policy: BatchPolicy;
  readonly batchMs: (size: number) => number | undefined;
}

/**
 * How long until a new request's last row completes: the rows ahead of it and its own
 * are cut into the batches the policy would form under backlog; every batch but the one
 * carrying its last row, plus what is left of the running batches, is shared among the
 * execution slots, then its own batch runs. Optimistic on purpose: it assumes batches
 * launch as soon as a slot frees, since a prediction that refuses must not be a guess.
 * Undefined when the service model has no samples (admission then admits).
 */
export function predictCompletionMs(input: PredictionInput): number | undefined {
  const sizes = backlogBatches(input.rowsAhead + input.ownRows, input.policy);
  const last = sizes.pop();
  if (last === undefined) return 0;
  const ownMs = input.batchMs(last.size);
  if (ownMs === undefined) return undefined;
  let aheadMs = input.runningRemainingMs.reduce((sum, ms) => sum + ms, 0);
  for (const { size, count } of sizes) {
    const ms = input.batchMs(size);
    if (ms === undefined) return undefined;
    aheadMs += ms * count;
  }
  return aheadMs / Math.max(1, input.concurrency) + ownMs;
}

export interface BatchRun {
  readonly size: number;
  readonly count: number;
}

/**
 * The batches `nextBatch` forms from `rows` rows that have all waited out the queue
 * delay (the backlog case), as runs of equal sizes in order; the last run has count 1.
 * Full-size runs are counted in one step, so a long queue costs no more than a short one.
 */
export function backlogBatches(rows: number, policy: BatchPolicy): BatchRun[] {
  const runs: BatchRun[] = [];
  const add = (size: number, count: number): void => {
    const last = runs[runs.length - 1];
    if (last?.size === size) runs[runs.length - 1] = { size, count: last.count + count };
    else runs.push({ size, count });
  };
  let left = rows;
  const fullSize = backlogSize(Number.MAX_SAFE_INTEGER, policy);
  if (left >= policy.maxBatchSize) {
    const count = Math.floor((left - policy.maxBatchSize) / fullSize) + 1;
    add(fullSize, count);
    left -= count * fullSize;
  }
  while (left > 0) {
    const size = backlogSize(left, policy);
    add(size, 1);
    left -= size;
  }
  const last = runs[runs.length - 1];
  if (last !== undefined && last.count > 1)
    runs.splice(runs.length - 1, 1, { size: last.size, count: last.count - 1 }, { size: last.size, count: 1 });
  return runs;
}

function backlogSize(rows: number, policy: BatchPolicy): number {
  const decision = nextBatch({ queued: rows, oldestArrivalMs: 0 }, policy.maxQueueDelayMs, policy);
  return decision.action === 'run' ? decision.size : Math.min(rows, policy.maxBatchSize);
}
