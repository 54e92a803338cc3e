/**
 * Where requests' rows wait for a batch: one `FairLevel` per priority level. A batch
 * takes the group (shape) of the row the highest non-empty level would serve next, then
 * fills from that level by round robin among its tenants and, if room is left, from the
 * levels below it, in order. Rows of other groups never join it.
 *
 *   level 1 ─ tenants A, B ──┐
 *   level 2 ─ tenants A, C ──┼─► candidate group g ─► view { rows of g, oldest of g } ─► nextBatch
 *   level 3 ─ …            ──┘                     └─► take(n): level 1 first, DRR within a level
 */
import { FairLevel, type QueuedRow, type TenantLoad } from './fair-level.ts';
import type { QueueView } from './next-batch.ts';
import type { QueuedEntry } from './row-queue.ts';

/** What the queue needs to know about a request to place it. */
export interface QueueRequest {
  /** 1 = highest. */
  readonly level: number;
  readonly tenant: string;
  readonly weight: number;
}

export interface QueueSnapshot {
  /** Rows queued per priority level, every level listed. */
  readonly byLevel: Readonly<Record<number, number>>;
  /** Rows queued per tenant, all levels together; only tenants with rows queued. */
  readonly byTenant: Readonly<Record<string, number>>;
}

export class SchedulerQueue<R extends QueueRequest> {
  private readonly levels: FairLevel<R>[];

  constructor(priorityLevels: number, quantumRows: number) {
    this.levels = Array.from({ length: priorityLevels }, () => new FairLevel<R>(quantumRows));
  }

  /** Rows queued, all levels together. */
  get size(): number {
    return this.levels.reduce((sum, level) => sum + level.size, 0);
  }

  /** Queues every row of `request`, in order. */
  add(request: R, rows: readonly QueuedEntry[]): void {
    const queued = rows.map((row, index): QueuedRow<R> => ({
      request,
      index,
      groupKey: row.groupKey,
      arrivalMs: row.arrivalMs,
    }));
    this.level(request.level).add(request, request.tenant, request.weight, queued);
  }

  /** Takes a request's queued rows out (it was shed, timed out or failed); returns how many. */
  withdraw(request: R): number {
    return this.level(request.level).withdraw(request);
  }

  /** Whether any row of the request is still queued. */
  holds(request: R): boolean {
    return this.level(request.level).holds(request);
  }

  /** The candidate batch for `nextBatch`; undefined when nothing is queued. */
  head(): QueueView | undefined {
    const groupKey = this.candidateGroup();
    if (groupKey === undefined) return undefined;
    let queued = 0;
    let oldestArrivalMs = Number.POSITIVE_INFINITY;
    for (const level of this.levels) {
      const view = level.groupView(groupKey);
      if (view === undefined) continue;
      queued += view.queued;
      oldestArrivalMs = Math.min(oldestArrivalMs, view.oldestArrivalMs);
    }
    return { queued, oldestArrivalMs };
  }

  /** Removes and returns up to `count` rows of the candidate group, highest level first. */
  take(count: number): QueuedRow<R>[] {
    const groupKey = this.candidateGroup();
    const taken: QueuedRow<R>[] = [];
    if (groupKey === undefined) return taken;
    for (const level of this.levels) {
      if (taken.length >= count) break;
      taken.push(...level.take(groupKey, count - taken.length));
    }
    return taken;
  }

  /** Rows that would be served before a new arrival at `level`: those queued at it or above. */
  rowsAtOrAbove(level: number): number {
    let rows = 0;
    for (let index = 0; index < level && index < this.levels.length; index += 1) rows += this.levels[index]?.size ?? 0;
    return rows;
  }

  levelSize(level: number): number {
    return this.level(level).size;
  }

  /** Every tenant queued at `level`, with its load, for admission to choose whom to shed. */
  tenantLoads(level: number): Map<string, TenantLoad<R>> {
    const fair = this.level(level);
    const loads = new Map<string, TenantLoad<R>>();
    for (const tenant of fair.tenantNames()) loads.set(tenant, fair.load(tenant));
    return loads;
  }

  snapshot(): QueueSnapshot {
    const byLevel: Record<number, number> = {};
    const byTenant: Record<string, number> = {};
    this.levels.forEach((level, index) => {
      byLevel[index + 1] = level.size;
      for (const tenant of level.tenantNames()) byTenant[tenant] = (byTenant[tenant] ?? 0) + level.rowsOf(tenant);
    });
    return { byLevel, byTenant };
  }

  private candidateGroup(): string | undefined {
    for (const level of this.levels) {
      if (level.size > 0) return level.headGroup();
    }
    return undefined;
  }

  private level(level: number): FairLevel<R> {
    const fair = this.levels[level - 1];
    if (fair === undefined) throw new RangeError(`priority level ${level} is not in 1..${this.levels.length}`);
    return fair;
  }
}
