/**
 * The dynamic batcher's loop (Triton's `BatcherThread`): rows queue up, and whenever
 * an execution slot is free it asks `nextBatch` what to do — run n rows now, wait t ms,
 * or nothing — and does exactly that. It never polls: it wakes on a submit, on a batch
 * finishing, or on the one timer armed for the oldest row's delay.
 *
 *   submit ─► queue ─► pump ─► nextBatch ─┬─ run n ─► stackRows ─► execute ─► splitOutputs ─► resolve rows
 *                        ▲                ├─ wait t ─► timer ─┐
 *                        └────────────────┴───────────────────┴─ batch finished
 */
import { SluiceError } from '../errors.ts';
import type { TensorSpec } from '../models/model-spec.ts';
import type { BatchTensors, Row } from '../tensors.ts';
import { shapeKey, splitOutputs, stackRows } from './assemble.ts';
import { normalisePolicy, type BatchPolicy } from './batch-policy.ts';
import { RealClock, type Clock, type TimerHandle } from './clock.ts';
import { nextBatch, type BatchDecision, type QueueView } from './next-batch.ts';
import { GroupedFifoQueue, type QueuedEntry, type RowQueue } from './row-queue.ts';
import { checkBatchDimensions, checkRow } from './tensor-check.ts';

export interface RowResult {
  /** This row's own outputs, batch dimension removed. */
  readonly outputs: Row;
  /** From submit until its batch left the queue. */
  readonly queueMs: number;
  /** From leaving the queue until outputs were split: stacking, execution and splitting. */
  readonly inferenceMs: number;
  /** How many rows shared the batch. */
  readonly batchSize: number;
}

export interface BatchEvent {
  readonly size: number;
  readonly inferenceMs: number;
  /** Each row's queue time, in batch order. */
  readonly queueMs: readonly number[];
}

/** A snapshot; numbers do not move after it is taken. */
export interface BatcherStats {
  readonly queued: number;
  /** Batches executing now. */
  readonly running: number;
  readonly slots: number;
  /** Batches whose execution succeeded, and the rows they carried. */
  readonly executedBatches: number;
  readonly executedItems: number;
  /** Successful batches by size, e.g. `{ 4: 1, 2: 1 }`. */
  readonly batchCountsBySize: Readonly<Record<number, number>>;
  readonly failedBatches: number;
}

export type ExecuteBatch = (batch: BatchTensors, size: number) => Promise<BatchTensors>;

export interface DynamicBatcherOptions {
  readonly policy: BatchPolicy;
  readonly inputs: readonly TensorSpec[];
  readonly execute: ExecuteBatch;
  /** Batches allowed in flight at once; 1 by default. */
  readonly slots?: number;
  readonly clock?: Clock;
  /**
   * Called after each successful batch. It must not throw: an error it throws is
   * re-thrown outside the batcher (an uncaught exception) so that rows already
   * answered are not failed by an observer's bug.
   */
  readonly onBatch?: (event: BatchEvent) => void;
}

export class BatcherClosedError extends SluiceError {
  constructor() {
    super('ERR_BATCHER_CLOSED', 'the model is shutting down and accepts no new work');
  }
}

interface PendingRow extends QueuedEntry {
  readonly row: Row;
  readonly resolve: (result: RowResult) => void;
  readonly reject: (error: unknown) => void;
}

const EMPTY_VIEW: QueueView = Object.freeze({ queued: 0, oldestArrivalMs: 0 });

export class DynamicBatcher {
  private readonly policy: BatchPolicy;
  /** Used once closing: nothing new can arrive, so waiting for company is pointless. */
  private readonly drainPolicy: BatchPolicy;
  private readonly inputs: readonly TensorSpec[];
  private readonly execute: ExecuteBatch;
  private readonly slots: number;
  private readonly clock: Clock;
  private readonly onBatch: ((event: BatchEvent) => void) | undefined;
  private readonly queue: RowQueue<PendingRow> = new GroupedFifoQueue<PendingRow>();

  private running = 0;
  private timer: TimerHandle | undefined;
  private pumpScheduled = false;
  private closing = false;
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;

  private executedBatches = 0;
  private executedItems = 0;
  private failedBatches = 0;
  private readonly batchCounts = new Map<number, number>();

  constructor(options: DynamicBatcherOptions) {
    const slots = options.slots ?? 1;
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be an integer ≥ 1, got ${slots}`);
    this.policy = normalisePolicy(options.policy);
    this.drainPolicy = { ...this.policy, maxQueueDelayMs: 0 };
    checkBatchDimensions(options.inputs, this.policy.maxBatchSize);
    this.inputs = Object.freeze([...options.inputs]);
    this.execute = options.execute;
    this.slots = slots;
    this.clock = options.clock ?? new RealClock();
    this.onBatch = options.onBatch;
  }

  /** Queues one row; resolves with its own outputs once its batch has run. */
  submit(row: Row): Promise<RowResult> {
    if (this.closing) return Promise.reject(new BatcherClosedError());
    try {
      checkRow(this.inputs, row);
    } catch (error) {
      return Promise.reject(error);
    }
    const groupKey = this.policy.ragged === 'group' ? shapeKey(row) : '';
    return new Promise<RowResult>((resolve, reject) => {
      this.queue.push({ row, arrivalMs: this.clock.now(), groupKey, resolve, reject });
      this.schedulePump();
    });
  }

  stats(): BatcherStats {
    const batchCountsBySize: Record<number, number> = {};
    for (const [size, count] of this.batchCounts) batchCountsBySize[size] = count;
    return {
      queued: this.queue.size,
      running: this.running,
      slots: this.slots,
      executedBatches: this.executedBatches,
      executedItems: this.executedItems,
      batchCountsBySize,
      failedBatches: this.failedBatches,
    };
  }

  /** Stops accepting rows; resolves once every queued and running row has been answered. */
  close(): Promise<void> {
    if (this.drained === undefined) {
      this.closing = true;
      this.drained = new Promise<void>((resolve) => {
        this.resolveDrained = resolve;
      });
      this.schedulePump();
    }
    return this.drained;
  }

  /**
   * Deferred to a microtask so rows submitted in the same tick (the items of one
   * request) are seen together and can share a batch even with no queue delay.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.slots) {
      const decision = this.decide();
      if (decision.action !== 'run') {
        this.armTimer(decision.action === 'wait' ? decision.ms : undefined);
        this.settleClose();
        return;
      }
      this.launch(this.queue.takeHead(decision.size));
    }
    // Every slot is busy: no decision is due until one frees, and that completion pumps.
    this.armTimer(undefined);
  }

  private decide(): BatchDecision {
    const view = this.queue.head() ?? EMPTY_VIEW;
    return nextBatch(view, this.clock.now(), this.closing ? this.drainPolicy : this.policy);
  }

  /** Keeps at most one timer; an earlier one already armed is kept, as waking early only re-decides. */
  private armTimer(ms: number | undefined): void {
    if (ms === undefined) {
      if (this.timer !== undefined) this.clock.clearTimer(this.timer);
      this.timer = undefined;
      return;
    }
    // Whole milliseconds, as timers have no finer grain; this also guarantees progress.
    const waitMs = Math.max(1, Math.ceil(ms));
    if (this.timer !== undefined && this.timer.dueMs <= this.clock.now() + waitMs) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.pump();
    }, waitMs);
  }

  private settleClose(): void {
    if (this.closing && this.queue.size === 0 && this.running === 0) this.resolveDrained?.();
  }

  private launch(entries: readonly PendingRow[]): void {
    this.running += 1;
    void this.runBatch(entries).finally(() => {
      this.running -= 1;
      this.schedulePump();
    });
  }

  /** Never rejects: a failure rejects this batch's rows and nothing else. */
  private async runBatch(entries: readonly PendingRow[]): Promise<void> {
    const size = entries.length;
    const startMs = this.clock.now();
    let outputs: Row[];
    try {
      const batch = stackRows(
        entries.map((entry) => entry.row),
        this.inputs,
        this.policy.ragged,
      );
      outputs = splitOutputs(await this.execute(batch, size), size);
    } catch (error) {
      this.failedBatches += 1;
      for (const entry of entries) entry.reject(error);
      return;
    }
    const inferenceMs = this.clock.now() - startMs;
    const queueMs = entries.map((entry) => startMs - entry.arrivalMs);
    this.executedBatches += 1;
    this.executedItems += size;
    this.batchCounts.set(size, (this.batchCounts.get(size) ?? 0) + 1);
    entries.forEach((entry, index) => {
      entry.resolve({ outputs: outputs[index] ?? {}, queueMs: queueMs[index] ?? 0, inferenceMs, batchSize: size });
    });
    this.notify({ size, inferenceMs, queueMs });
  }

  private notify(event: BatchEvent): void {
    if (this.onBatch === undefined) return;
    try {
      this.onBatch(event);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
