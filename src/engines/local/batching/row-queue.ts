/**
 * Rows in arrival order, split into groups of rows that may share a batch (one group in
 * pad mode; one per shape in group mode). The scheduler keeps one of these per tenant
 * and one per priority level; rows can leave from anywhere (taken into a batch,
 * withdrawn when their request is shed or times out).
 */
import { Fifo } from './fifo.ts';
import type { QueueView } from './next-batch.ts';

export interface QueuedEntry {
  readonly arrivalMs: number;
  /** Rows with equal keys may share a batch. */
  readonly groupKey: string;
}

interface Slot<T> {
  readonly entry: T;
  gone: boolean;
}

interface Group<T> {
  readonly slots: Fifo<Slot<T>>;
  count: number;
}

/**
 * One arrival-ordered list of every row, plus one list per group. A row that leaves is
 * only marked gone; each list drops gone rows when they reach its front (the arrival list
 * as soon as a row leaves), so each row costs O(1) amortised whatever the mix of groups
 * or the order rows leave in, and a gone row is held only while an older one is queued.
 */
export class GroupedFifoQueue<T extends QueuedEntry> {
  private readonly arrivals = new Fifo<Slot<T>>();
  private readonly groups = new Map<string, Group<T>>();
  private readonly slots = new Map<T, Slot<T>>();

  /** Rows queued, all groups together. */
  get size(): number {
    return this.slots.size;
  }

  /** Slots the arrival list still holds, gone ones included: at most the rows from the oldest queued one to the newest. */
  get retained(): number {
    return this.arrivals.length;
  }

  push(entry: T): void {
    const slot: Slot<T> = { entry, gone: false };
    this.arrivals.push(slot);
    let group = this.groups.get(entry.groupKey);
    if (group === undefined) {
      group = { slots: new Fifo<Slot<T>>(), count: 0 };
      this.groups.set(entry.groupKey, group);
    }
    group.slots.push(slot);
    group.count += 1;
    this.slots.set(entry, slot);
  }

  /** The oldest queued row; undefined when empty. */
  oldest(): T | undefined {
    return liveFront(this.arrivals)?.entry;
  }

  /** The candidate batch: the group of the oldest queued row; undefined when empty. */
  head(): QueueView | undefined {
    const oldest = this.oldest();
    return oldest === undefined ? undefined : this.groupView(oldest.groupKey);
  }

  /** How many rows of one group are queued and when the oldest of them arrived; undefined when none. */
  groupView(groupKey: string): QueueView | undefined {
    const group = this.groups.get(groupKey);
    const front = group === undefined ? undefined : liveFront(group.slots);
    if (group === undefined || front === undefined) return undefined;
    return { queued: group.count, oldestArrivalMs: front.entry.arrivalMs };
  }

  /** Removes and returns up to `count` of the candidate group's rows, oldest first. */
  takeHead(count: number): T[] {
    const oldest = this.oldest();
    return oldest === undefined ? [] : this.takeGroup(oldest.groupKey, count);
  }

  /** Removes and returns up to `count` rows of one group, oldest first. */
  takeGroup(groupKey: string, count: number): T[] {
    const taken: T[] = [];
    const group = this.groups.get(groupKey);
    if (group === undefined) return taken;
    for (let slot = liveFront(group.slots); slot !== undefined && taken.length < count; slot = liveFront(group.slots)) {
      taken.push(slot.entry);
      this.remove(slot.entry);
    }
    return taken;
  }

  /** Takes a queued row out wherever it stands; false when it is not queued here. */
  remove(entry: T): boolean {
    const slot = this.slots.get(entry);
    if (slot === undefined) return false;
    slot.gone = true;
    this.slots.delete(entry);
    // Rows mostly leave through their group's list; without this the arrival list would
    // keep every gone row (and its request) until someone asked for the oldest row.
    if (this.slots.size === 0) this.arrivals.clear();
    else liveFront(this.arrivals);
    const group = this.groups.get(entry.groupKey);
    if (group !== undefined) {
      group.count -= 1;
      if (group.count === 0) this.groups.delete(entry.groupKey);
    }
    return true;
  }
}

function liveFront<T>(fifo: Fifo<Slot<T>>): Slot<T> | undefined {
  let front = fifo.peek();
  while (front !== undefined && front.gone) {
    fifo.shift();
    front = fifo.peek();
  }
  return front;
}
