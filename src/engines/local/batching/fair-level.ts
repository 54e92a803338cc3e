/**
 * One priority level of the scheduler: the rows its tenants have queued, shared among
 * them by deficit round robin, so a tenant flooding the level takes its share of each
 * batch and no more.
 *
 *   level ─┬─ all rows, by group ──────────── counts and oldest arrival per group
 *          ├─ tenant A: rows by group, requests in arrival order, DRR credit
 *          └─ tenant B: …
 */
import { DrrRing, type DrrMember } from './drr-ring.ts';
import type { QueueView } from './next-batch.ts';
import { GroupedFifoQueue, type QueuedEntry } from './row-queue.ts';

export interface QueuedRow<R> extends QueuedEntry {
  readonly request: R;
  /** The row's position in its request. */
  readonly index: number;
}

/** A queued request as admission sees it when it must make room. */
export interface QueuedRequest<R> {
  readonly request: R;
  /** Its rows still queued. */
  readonly rows: number;
}

export interface TenantLoad<R> {
  readonly rows: number;
  readonly weight: number;
  /** The tenant's requests with rows still queued, newest first (lazily). */
  readonly newestFirst: () => Iterable<QueuedRequest<R>>;
}

interface TenantState<R> extends DrrMember {
  readonly name: string;
  weight: number;
  deficit: number;
  readonly rows: GroupedFifoQueue<QueuedRow<R>>;
  /** Arrival order; requests that have left stay until compacted, and are skipped. */
  requests: R[];
  liveRequests: number;
}

interface RequestRows<R> {
  readonly tenant: TenantState<R>;
  readonly rows: Set<QueuedRow<R>>;
}

export class FairLevel<R> {
  private readonly all = new GroupedFifoQueue<QueuedRow<R>>();
  private readonly tenants = new Map<string, TenantState<R>>();
  private readonly requests = new Map<R, RequestRows<R>>();
  private readonly ring: DrrRing<TenantState<R>>;

  constructor(quantumRows: number) {
    this.ring = new DrrRing(quantumRows);
  }

  get size(): number {
    return this.all.size;
  }

  /** Queues every row of a request; the tenant's weight becomes the request's. */
  add(request: R, tenantName: string, weight: number, rows: readonly QueuedRow<R>[]): void {
    if (rows.length === 0) return;
    const tenant = this.tenantFor(tenantName, weight);
    for (const row of rows) {
      tenant.rows.push(row);
      this.all.push(row);
    }
    this.requests.set(request, { tenant, rows: new Set(rows) });
    tenant.requests.push(request);
    tenant.liveRequests += 1;
    // Served requests linger at the front of the list; drop them once they outnumber the live ones.
    if (tenant.requests.length > 2 * tenant.liveRequests + 16)
      tenant.requests = tenant.requests.filter((r) => this.requests.has(r));
  }

  /** Takes a request's queued rows out; returns how many there were. */
  withdraw(request: R): number {
    const entry = this.requests.get(request);
    if (entry === undefined) return 0;
    const rows = [...entry.rows];
    for (const row of rows) {
      entry.tenant.rows.remove(row);
      this.forget(row);
    }
    return rows.length;
  }

  holds(request: R): boolean {
    return this.requests.has(request);
  }

  /** The group of the row round robin serves next: the next tenant's oldest row. */
  headGroup(): string | undefined {
    return this.ring.peek()?.rows.oldest()?.groupKey;
  }

  groupView(groupKey: string): QueueView | undefined {
    return this.all.groupView(groupKey);
  }

  /** Removes and returns up to `count` rows of one group, tenants taking turns by their credit. */
  take(groupKey: string, count: number): QueuedRow<R>[] {
    const taken: QueuedRow<R>[] = [];
    const hasGroup = (tenant: TenantState<R>): boolean => tenant.rows.groupView(groupKey) !== undefined;
    while (taken.length < count && this.all.groupView(groupKey) !== undefined) {
      const tenant = this.ring.next(hasGroup);
      const row = tenant?.rows.takeGroup(groupKey, 1)[0];
      if (tenant === undefined || row === undefined) break;
      this.ring.charge(tenant);
      this.forget(row);
      taken.push(row);
    }
    return taken;
  }

  load(tenantName: string): TenantLoad<R> {
    const tenant = this.tenants.get(tenantName);
    if (tenant === undefined) return { rows: 0, weight: 1, newestFirst: () => [] };
    return { rows: tenant.rows.size, weight: tenant.weight, newestFirst: () => this.newestFirst(tenant) };
  }

  /** Every tenant with rows queued here. */
  tenantNames(): IterableIterator<string> {
    return this.tenants.keys();
  }

  rowsOf(tenantName: string): number {
    return this.tenants.get(tenantName)?.rows.size ?? 0;
  }

  private *newestFirst(tenant: TenantState<R>): Generator<QueuedRequest<R>> {
    for (let index = tenant.requests.length - 1; index >= 0; index -= 1) {
      const request = tenant.requests[index] as R;
      const rows = this.requests.get(request)?.rows.size ?? 0;
      if (rows > 0) yield { request, rows };
    }
  }

  private tenantFor(name: string, weight: number): TenantState<R> {
    const known = this.tenants.get(name);
    if (known !== undefined) {
      known.weight = weight;
      return known;
    }
    const tenant: TenantState<R> = {
      name,
      weight,
      deficit: 0,
      rows: new GroupedFifoQueue(),
      requests: [],
      liveRequests: 0,
    };
    this.tenants.set(name, tenant);
    this.ring.join(tenant);
    return tenant;
  }

  /** Books a row that has left the tenant's queue (taken or withdrawn) out of the rest. */
  private forget(row: QueuedRow<R>): void {
    this.all.remove(row);
    const entry = this.requests.get(row.request);
    if (entry === undefined) return;
    entry.rows.delete(row);
    if (entry.rows.size === 0) {
      this.requests.delete(row.request);
      entry.tenant.liveRequests -= 1;
    }
    const tenant = entry.tenant;
    if (tenant.rows.size === 0) {
      this.tenants.delete(tenant.name);
      this.ring.leave(tenant);
    }
  }
}
