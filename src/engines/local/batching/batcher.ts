/**
 * The dynamic batcher's loop (Triton's `BatcherThread`). Requests pass load control
 * (`LoadControl`: admission, shedding, deadlines) into a priority and fair-share queue;
 * whenever the concurrency gate grants a permit the loop asks `nextBatch` what to do —
 * run n rows now, wait t ms, or nothing — and does exactly that. It never polls: it
 * wakes on an arrival, a batch finishing, `wake()`, or its one timer, armed for
 * whichever comes first of the oldest row's delay and the earliest deadline.
 *
 *   submitRequest ─► admit ─► queue ─► pump ─► expire due ─► nextBatch ─┬─ run n ─► permit ─► take n ─► execute ─► resolve rows
 *                                        ▲                              └─ wait t / idle ─► timer(min(t, earliest deadline))
 *                                        └── arrival · batch finished · wake() · timer
 */
import type { TensorSpec } from '../models/model-spec.ts';
import type { BatchTensors, Row } from '../../../core/tensors.ts';
import { normalisePolicy, type BatchPolicy } from './batch-policy.ts';
import { BatcherCounters, notifySafely, type BatcherStats, type ShedEvent } from './batcher-stats.ts';
import { RealClock, type Clock, type TimerHandle } from '../../../core/clock.ts';
import { FixedGate, type ConcurrencyGate, type GatePermit } from '../../../control/concurrency-gate.ts';
import type { QueuedRow } from './fair-level.ts';
import { executeRows } from './execute-rows.ts';
import { LoadControl, type RunningBatch } from './load-control.ts';
import { BatcherClosedError } from './load-errors.ts';
import { nextBatch, type QueueView } from './next-batch.ts';
import { PendingRequest, type RowResult } from './pending-request.ts';
import { ServiceModel } from './service-model.ts';
import { checkBatchDimensions, checkRow } from './tensor-check.ts';
import {
  normaliseScheduling,
  resolveTicket,
  type ResolvedTicket,
  type Scheduling,
  type SchedulingOptions,
  type Ticket,
} from '../../../core/ticket.ts';

export interface BatchEvent {
  readonly size: number;
  readonly inferenceMs: number;
  /** Each row's queue time, in batch order. */
  readonly queueMs: readonly number[];
}

export type ExecuteBatch = (batch: BatchTensors, size: number) => Promise<BatchTensors>;

export interface DynamicBatcherOptions {
  readonly policy: BatchPolicy;
  readonly inputs: readonly TensorSpec[];
  readonly execute: ExecuteBatch;
  /** Priority levels, the default level and the per-level queue bound; one unbounded level by default. */
  readonly scheduling?: SchedulingOptions;
  /** Batches allowed in flight at once; a fixed gate of `slots` (1 by default) when absent. */
  readonly concurrency?: ConcurrencyGate;
  /** Sugar for `concurrency: new FixedGate(slots)`; not both. */
  readonly slots?: number;
  readonly clock?: Clock;
  /**
   * Called after each successful batch, and for each request shed. Neither may throw:
   * an error thrown is re-thrown outside the batcher (an uncaught exception) so that
   * requests are not failed by an observer's bug.
   */
  readonly onBatch?: (event: BatchEvent) => void;
  readonly onShed?: (event: ShedEvent) => void;
}

const EMPTY_VIEW: QueueView = Object.freeze({ queued: 0, oldestArrivalMs: 0 });

export class DynamicBatcher {
  private readonly policy: BatchPolicy;
  /** Used once closing: nothing new can arrive, so waiting for company is pointless. */
  private readonly drainPolicy: BatchPolicy;
  private readonly scheduling: Scheduling;
  private readonly inputs: readonly TensorSpec[];
  private readonly execute: ExecuteBatch;
  private readonly gate: ConcurrencyGate;
  private readonly clock: Clock;
  private readonly onBatch: ((event: BatchEvent) => void) | undefined;
  private readonly queue: LoadControl;
  private readonly serviceModel = new ServiceModel();
  private readonly counters = new BatcherCounters();
  private readonly runningBatches = new Set<RunningBatch>();
  private lastCompletionMs = Number.NEGATIVE_INFINITY;

  private timer: TimerHandle | undefined;
  private pumpScheduled = false;
  private closing = false;
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;

  constructor(options: DynamicBatcherOptions) {
    if (options.slots !== undefined && options.concurrency !== undefined)
      throw new RangeError('give either slots or concurrency, not both');
    this.gate = options.concurrency ?? new FixedGate(options.slots ?? 1);
    this.policy = normalisePolicy(options.policy);
    this.drainPolicy = { ...this.policy, maxQueueDelayMs: 0 };
    this.scheduling = normaliseScheduling(options.scheduling);
    checkBatchDimensions(options.inputs, this.policy.maxBatchSize);
    this.inputs = Object.freeze([...options.inputs]);
    this.execute = options.execute;
    this.clock = options.clock ?? new RealClock();
    this.onBatch = options.onBatch;
    this.queue = new LoadControl({
      policy: this.policy,
      scheduling: this.scheduling,
      gate: this.gate,
      serviceModel: this.serviceModel,
      counters: this.counters,
      running: () => this.runningBatches,
      onShed: options.onShed,
    });
  }

  /**
   * Admits all of a request's rows or none; resolves with each row's own outputs, in
   * order, once all have run. Rejects with a 429 or 504 `LoadShedError` when load control
   * refuses or sheds it, with the batch's error when a batch carrying one of its rows
   * fails (its other queued rows are withdrawn), and with a 400 for a malformed row or ticket.
   */
  submitRequest(rows: readonly Row[], ticket: Ticket): Promise<RowResult[]> {
    if (this.closing) return Promise.reject(new BatcherClosedError());
    let resolved: ResolvedTicket;
    try {
      resolved = resolveTicket(ticket, this.scheduling);
      for (const row of rows) checkRow(this.inputs, row);
    } catch (error) {
      return Promise.reject(error);
    }
    if (rows.length === 0) return Promise.resolve([]);
    // The executor runs synchronously: the request is admitted or refused before submitRequest returns.
    return new Promise<RowResult[]>((resolve, reject) => {
      const request = new PendingRequest(resolved, rows, this.clock.now(), resolve, reject);
      const refusal = this.queue.admit(request);
      if (refusal === undefined) this.schedulePump();
      else request.fail(refusal);
    });
  }

  /** Seeds the service model with a warm-up batch's execution time. */
  recordWarmup(size: number, ms: number): void {
    this.serviceModel.recordBatch(size, ms);
  }

  /** Capacity may have grown (a higher limit, a new instance): look at the queue again. */
  wake(): void {
    this.schedulePump();
  }

  stats(): BatcherStats {
    const { byLevel, byTenant } = this.queue.snapshot();
    return {
      queued: this.queue.size,
      running: this.runningBatches.size,
      runningRows: [...this.runningBatches].reduce((rows, batch) => rows + batch.size, 0),
      slots: this.gate.limit ?? this.runningBatches.size,
      ...this.counters.snapshot(this.scheduling.priorityLevels),
      queuedByPriority: byLevel,
      queuedByTenant: byTenant,
      serviceModel: this.serviceModel.snapshot(),
    };
  }

  /** Stops accepting requests; resolves once every queued and running row has been answered. */
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
   * Deferred to a microtask so requests submitted in the same tick are seen together
   * and can share a batch even with no queue delay.
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
    for (;;) {
      const now = this.clock.now();
      // Before deciding, so no row whose deadline has passed is ever taken into a batch.
      this.queue.expireDue(now);
      const decision = nextBatch(this.queue.head() ?? EMPTY_VIEW, now, this.closing ? this.drainPolicy : this.policy);
      // With no permit, the next decision is due when a batch finishes or wake() is called.
      const permit = decision.action === 'run' ? this.gate.tryAcquire() : undefined;
      const entries = permit === undefined || decision.action !== 'run' ? [] : this.queue.take(decision.size);
      if (permit === undefined || entries.length === 0) {
        permit?.release('ignore');
        this.idle(decision.action === 'wait' ? decision.ms : undefined, now);
        return;
      }
      this.launch(entries, permit, now);
    }
  }

  private idle(waitMs: number | undefined, now: number): void {
    const deadlineMs = this.queue.nextDeadlineMs();
    const untilDeadlineMs = deadlineMs === undefined ? undefined : deadlineMs - now;
    this.armTimer(waitMs === undefined ? untilDeadlineMs : Math.min(waitMs, untilDeadlineMs ?? waitMs));
    if (this.closing && this.queue.size === 0 && this.runningBatches.size === 0) this.resolveDrained?.();
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

  private launch(entries: readonly QueuedRow<PendingRequest>[], permit: GatePermit, startMs: number): void {
    const batch: RunningBatch = { size: entries.length, startMs };
    this.runningBatches.add(batch);
    for (const entry of entries) this.counters.recordWait(entry.request.level, startMs - entry.arrivalMs);
    void this.runBatch(entries, startMs)
      .then((inferenceMs) => permit.release(inferenceMs === undefined ? 'dropped' : { rttMs: inferenceMs }))
      .finally(() => {
        this.runningBatches.delete(batch);
        this.schedulePump();
      });
  }

  /** Never rejects: a failure fails this batch's requests and nothing else. Returns the inference time, or undefined on failure. */
  private async runBatch(entries: readonly QueuedRow<PendingRequest>[], startMs: number): Promise<number | undefined> {
    const size = entries.length;
    const outcome = await executeRows(
      entries.map((entry) => entry.request.row(entry.index)),
      this.inputs,
      this.policy.ragged,
      this.execute,
    );
    if (!outcome.ok) {
      this.counters.recordFailedBatch();
      for (const { request } of entries) {
        this.queue.withdraw(request);
        request.fail(outcome.error);
      }
      return undefined;
    }
    const now = this.clock.now();
    const inferenceMs = now - startMs;
    this.serviceModel.recordBatch(size, inferenceMs);
    this.serviceModel.recordDrain(size, now - Math.max(this.lastCompletionMs, startMs));
    this.lastCompletionMs = now;
    this.counters.recordBatch(size);
    const queueMs = entries.map((entry) => startMs - entry.arrivalMs);
    entries.forEach((entry, index) => {
      const outputs = outcome.outputs[index] ?? {};
      entry.request.fulfil(entry.index, { outputs, queueMs: queueMs[index] ?? 0, inferenceMs, batchSize: size });
    });
    const onBatch = this.onBatch;
    if (onBatch !== undefined) notifySafely(() => onBatch({ size, inferenceMs, queueMs }));
    return inferenceMs;
  }
}
