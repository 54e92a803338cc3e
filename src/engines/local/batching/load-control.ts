/**
 * The batcher's queue with load control around it: which requests may wait, which are
 * refused or shed, and which time out. The batcher's loop asks it for the candidate
 * batch and takes rows from it; everything else about requests happens here.
 *
 *   admit ─┬─ deadline passed ──────────────────────────────► 504 ERR_DEADLINE_EXCEEDED
 *          ├─ predicted to miss its deadline (service model) ─► 429 ERR_ADMISSION_PREDICTED_MISS
 *          ├─ level full and no heavier tenant to shed ───────► 429 ERR_ADMISSION_QUEUE_FULL
 *          └─ queued, after shedding the heaviest tenants' newest requests (429 to them)
 *   expireDue(now) ─► requests past their deadline leave with 504, all their queued rows withdrawn
 */
import type { Row } from '../../../core/tensors.ts';
import { planRoom, retryAfterMs, type RoomPlan } from './room-plan.ts';
import { shapeKey } from './assemble.ts';
import type { BatchPolicy } from './batch-policy.ts';
import { notifySafely, type BatcherCounters, type ShedEvent } from './batcher-stats.ts';
import type { ConcurrencyGate } from '../../../control/concurrency-gate.ts';
import { DeadlineHeap } from './deadline-heap.ts';
import type { QueuedRow } from './fair-level.ts';
import { deadlineExceededError, predictedMissError, queueFullError, type LoadShedError } from './load-errors.ts';
import type { QueueView } from './next-batch.ts';
import type { PendingRequest } from './pending-request.ts';
import { SchedulerQueue, type QueueSnapshot } from './scheduler-queue.ts';
import { estimateBatchMs, predictCompletionMs, type ServiceModel } from './service-model.ts';
import type { Scheduling } from '../../../core/ticket.ts';

/** A batch executing now, as the prediction sees it. */
export interface RunningBatch {
  readonly size: number;
  readonly startMs: number;
}

export interface LoadControlOptions {
  readonly policy: BatchPolicy;
  readonly scheduling: Scheduling;
  readonly gate: ConcurrencyGate;
  readonly serviceModel: ServiceModel;
  readonly counters: BatcherCounters;
  readonly running: () => Iterable<RunningBatch>;
  readonly onShed: ((event: ShedEvent) => void) | undefined;
}

export class LoadControl {
  private readonly queue: SchedulerQueue<PendingRequest>;
  /** One timer serves all deadlines: the batcher arms it for the earliest of these. */
  private readonly deadlines = new DeadlineHeap<PendingRequest>();

  constructor(private readonly options: LoadControlOptions) {
    this.queue = new SchedulerQueue(options.scheduling.priorityLevels, options.scheduling.quantumRows);
  }

  /** Rows queued. */
  get size(): number {
    return this.queue.size;
  }

  /** Queues the request, or returns why not; sheds the queued requests it displaces. */
  admit(request: PendingRequest): LoadShedError | undefined {
    const { level, deadlineMs, arrivalMs: now } = request;
    if (deadlineMs !== undefined && deadlineMs <= now) return this.refuse(request, deadlineExceededError(undefined));
    const rowsAhead = this.queue.rowsAtOrAbove(level);
    const predictedMs = deadlineMs === undefined ? undefined : this.predictMs(rowsAhead, request.rows.length, now);
    if (deadlineMs !== undefined && predictedMs !== undefined && now + predictedMs > deadlineMs) {
      return this.refuse(request, predictedMissError(predictedMs, deadlineMs - now, this.retryAfter(rowsAhead)));
    }
    const plan = this.planRoom(request);
    if (!plan.admit) return this.refuse(request, queueFullError(level, this.retryAfter(rowsAhead), false));
    for (const victim of plan.shed) this.shed(victim, queueFullError(level, this.retryAfter(rowsAhead), true));
    const ragged = this.options.policy.ragged;
    const groupKey = (row: Row): string => (ragged === 'group' ? shapeKey(row) : '');
    this.queue.add(
      request,
      request.rows.map((row) => ({ groupKey: groupKey(row), arrivalMs: now })),
    );
    if (deadlineMs !== undefined) this.deadlines.push(request, deadlineMs);
    return undefined;
  }

  /** Fails every queued request whose deadline is ≤ `now` with a 504. */
  expireDue(now: number): void {
    for (const request of this.deadlines.popDue(now))
      this.shed(request, deadlineExceededError(now - request.arrivalMs));
  }

  /** When the next queued request times out; undefined when none has a deadline. */
  nextDeadlineMs(): number | undefined {
    return this.deadlines.peekMs();
  }

  head(): QueueView | undefined {
    return this.queue.head();
  }

  take(count: number): QueuedRow<PendingRequest>[] {
    const rows = this.queue.take(count);
    for (const { request } of rows) {
      // A request whose rows have all left the queue can no longer time out in it.
      if (!this.queue.holds(request)) this.deadlines.remove(request);
    }
    return rows;
  }

  /** Takes a request's queued rows out (its batch failed, or it is shed); returns how many. */
  withdraw(request: PendingRequest): number {
    this.deadlines.remove(request);
    return this.queue.withdraw(request);
  }

  snapshot(): QueueSnapshot {
    return this.queue.snapshot();
  }

  private planRoom(request: PendingRequest): RoomPlan<PendingRequest> {
    const { maxQueueSize } = this.options.scheduling;
    const queuedRows = this.queue.levelSize(request.level);
    const rows = request.rows.length;
    // Only a full level needs the per-tenant picture; most arrivals skip building it.
    if (maxQueueSize === 0 || queuedRows + rows <= maxQueueSize) return { admit: true, shed: [] };
    const arrival = { tenant: request.tenant, weight: request.weight, rows };
    return planRoom(arrival, queuedRows, maxQueueSize, this.queue.tenantLoads(request.level));
  }

  private predictMs(rowsAhead: number, ownRows: number, now: number): number | undefined {
    const { serviceModel, gate, policy } = this.options;
    const samples = serviceModel.averages();
    const batchMs = (size: number): number | undefined => estimateBatchMs(samples, size);
    const runningRemainingMs: number[] = [];
    for (const batch of this.options.running())
      runningRemainingMs.push(Math.max(0, (batchMs(batch.size) ?? 0) - (now - batch.startMs)));
    const concurrency = gate.limit ?? Math.max(1, runningRemainingMs.length);
    return predictCompletionMs({ rowsAhead, ownRows, runningRemainingMs, concurrency, policy, batchMs });
  }

  /** From the measured drain rate; before any is measured, from full batches on every slot. */
  private retryAfter(rowsAhead: number): number {
    const { serviceModel, gate, policy } = this.options;
    const fullBatchMs = serviceModel.batchMs(policy.maxBatchSize);
    const capacity =
      fullBatchMs === undefined || !(fullBatchMs > 0)
        ? undefined
        : ((gate.limit ?? 1) * policy.maxBatchSize * 1000) / fullBatchMs;
    return retryAfterMs(rowsAhead, serviceModel.drainRowsPerSec ?? capacity);
  }

  private refuse(request: PendingRequest, error: LoadShedError): LoadShedError {
    this.report(error, request, request.rows.length, false);
    return error;
  }

  private shed(request: PendingRequest, error: LoadShedError): void {
    const rows = this.withdraw(request);
    if (request.fail(error)) this.report(error, request, rows, true);
  }

  private report(error: LoadShedError, request: PendingRequest, rows: number, queued: boolean): void {
    this.options.counters.recordShed(error.reason, request.tenant);
    const onShed = this.options.onShed;
    if (onShed !== undefined)
      notifySafely(() =>
        onShed({ reason: error.reason, tenant: request.tenant, priority: request.level, rows, queued }),
      );
  }
}
