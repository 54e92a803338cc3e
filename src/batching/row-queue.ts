/**
 * Where rows wait for a batch. The batcher talks to the queue only through `RowQueue`,
 * so priorities, deadlines or per-tenant fairness can replace this FIFO later without
 * touching the loop or the decision.
 */
import { Fifo } from './fifo.ts';
import type { QueueView } from './next-batch.ts';

export interface QueuedEntry {
  readonly arrivalMs: number;
  /** Rows with equal keys may share a batch. */
  readonly groupKey: string;
}

export interface RowQueue<T extends QueuedEntry> {
  /** Rows queued, all groups together. */
  readonly size: number;
  push(entry: T): void;
  /** The candidate batch: the group of the oldest queued row; undefined when empty. */
  head(): QueueView | undefined;
  /** Removes and returns up to `count` of the candidate group's rows, oldest first. */
  takeHead(count: number): T[];
}

interface Slot<T> {
  readonly entry: T;
  taken: boolean;
}

/**
 * FIFO across groups: one arrival-ordered list of every row, plus one list per group.
 * Rows leave through their group's list; the arrival list skips them lazily when they
 * reach its front, so each row costs O(1) amortised whatever the mix of groups.
 */
export class GroupedFifoQueue<T extends QueuedEntry> implements RowQueue<T> {
  private readonly arrivals = new Fifo<Slot<T>>();
  private readonly groups = new Map<string, Fifo<Slot<T>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(entry: T): void {
    const slot: Slot<T> = { entry, taken: false };
    this.arrivals.push(slot);
    let group = this.groups.get(entry.groupKey);
    if (group === undefined) {
      group = new Fifo<Slot<T>>();
      this.groups.set(entry.groupKey, group);
    }
    group.push(slot);
    this.count += 1;
  }

  head(): QueueView | undefined {
    const oldest = this.oldestSlot();
    if (oldest === undefined) return undefined;
    const group = this.groups.get(oldest.entry.groupKey);
    return { queued: group?.length ?? 0, oldestArrivalMs: oldest.entry.arrivalMs };
  }

  takeHead(count: number): T[] {
    const oldest = this.oldestSlot();
    if (oldest === undefined) return [];
    const key = oldest.entry.groupKey;
    const group = this.groups.get(key);
    if (group === undefined) return [];
    const taken: T[] = [];
    for (let slot = group.peek(); slot !== undefined && taken.length < count; slot = group.peek()) {
      group.shift();
      slot.taken = true;
      taken.push(slot.entry);
    }
    if (group.length === 0) this.groups.delete(key);
    this.count -= taken.length;
    return taken;
  }

  private oldestSlot(): Slot<T> | undefined {
    let front = this.arrivals.peek();
    while (front !== undefined && front.taken) {
      this.arrivals.shift();
      front = this.arrivals.peek();
    }
    return front;
  }
}
