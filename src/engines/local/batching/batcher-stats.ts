/**
 * The batcher's counters and the snapshot they make: batches by size, sheds by reason
 * and tenant, and time spent queued per priority level.
 */
import type { ShedReason } from './load-errors.ts';
import type { ServiceModelSnapshot } from './service-model.ts';

export type ShedCounts = Readonly<Record<ShedReason, number>>;

export interface QueueWaitStats {
  /** Rows that left the queue for a batch. */
  readonly count: number;
  readonly sumMs: number;
}

/** A snapshot; numbers do not move after it is taken. */
export interface BatcherStats {
  /** Rows queued, all levels together. */
  readonly queued: number;
  /** Batches executing now. */
  readonly running: number;
  /** Rows in the batches executing now. */
  readonly runningRows: number;
  /** The concurrency gate's current limit (for a gate that reports none: batches running). */
  readonly slots: number;
  /** Batches whose execution succeeded, and the rows they carried. */
  readonly executedBatches: number;
  readonly executedItems: number;
  /** Successful batches by size, e.g. `{ 4: 1, 2: 1 }`. */
  readonly batchCountsBySize: Readonly<Record<number, number>>;
  readonly failedBatches: number;
  /** Rows queued per priority level (1 = highest), every level listed. */
  readonly queuedByPriority: Readonly<Record<number, number>>;
  /** Rows queued per tenant; only tenants with rows queued. */
  readonly queuedByTenant: Readonly<Record<string, number>>;
  /** Requests refused or shed, by reason: refused on arrival and evicted alike. */
  readonly shed: ShedCounts;
  /** The same per tenant; a tenant appears once it has been shed. */
  readonly shedByTenant: Readonly<Record<string, ShedCounts>>;
  /** Queue wait of rows that reached a batch, per priority level. */
  readonly queueWaitByPriority: Readonly<Record<number, QueueWaitStats>>;
  readonly serviceModel: ServiceModelSnapshot;
}

/** Reported for every request shed, for metrics. */
export interface ShedEvent {
  readonly reason: ShedReason;
  readonly tenant: string;
  readonly priority: number;
  /** Rows refused, or withdrawn from the queue. */
  readonly rows: number;
  /** False when refused on arrival; true when it was queued (evicted or timed out). */
  readonly queued: boolean;
}

const noSheds = (): Record<ShedReason, number> => ({ queue_full: 0, predicted_miss: 0, deadline: 0 });

type CounterFields = Pick<
  BatcherStats,
  | 'executedBatches'
  | 'executedItems'
  | 'batchCountsBySize'
  | 'failedBatches'
  | 'shed'
  | 'shedByTenant'
  | 'queueWaitByPriority'
>;

export class BatcherCounters {
  private executedBatches = 0;
  private executedItems = 0;
  private failedBatches = 0;
  private readonly batchCounts = new Map<number, number>();
  private readonly shed = noSheds();
  private readonly shedByTenant = new Map<string, Record<ShedReason, number>>();
  private readonly waits = new Map<number, { count: number; sumMs: number }>();

  recordBatch(size: number): void {
    this.executedBatches += 1;
    this.executedItems += size;
    this.batchCounts.set(size, (this.batchCounts.get(size) ?? 0) + 1);
  }

  recordFailedBatch(): void {
    this.failedBatches += 1;
  }

  recordShed(reason: ShedReason, tenant: string): void {
    this.shed[reason] += 1;
    let counts = this.shedByTenant.get(tenant);
    if (counts === undefined) {
      counts = noSheds();
      this.shedByTenant.set(tenant, counts);
    }
    counts[reason] += 1;
  }

  recordWait(level: number, ms: number): void {
    const wait = this.waits.get(level) ?? { count: 0, sumMs: 0 };
    wait.count += 1;
    wait.sumMs += ms;
    this.waits.set(level, wait);
  }

  snapshot(priorityLevels: number): CounterFields {
    const batchCountsBySize: Record<number, number> = {};
    for (const [size, count] of this.batchCounts) batchCountsBySize[size] = count;
    const shedByTenant: Record<string, ShedCounts> = {};
    for (const [tenant, counts] of this.shedByTenant) shedByTenant[tenant] = { ...counts };
    const queueWaitByPriority: Record<number, QueueWaitStats> = {};
    for (let level = 1; level <= priorityLevels; level += 1)
      queueWaitByPriority[level] = { ...(this.waits.get(level) ?? { count: 0, sumMs: 0 }) };
    return {
      executedBatches: this.executedBatches,
      executedItems: this.executedItems,
      batchCountsBySize,
      failedBatches: this.failedBatches,
      shed: { ...this.shed },
      shedByTenant,
      queueWaitByPriority,
    };
  }
}

/**
 * Calls an observer (a metrics callback). An error it throws is re-thrown outside the
 * batcher, as an uncaught exception, so requests are not failed by an observer's bug.
 */
export function notifySafely(report: () => void): void {
  try {
    report();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
