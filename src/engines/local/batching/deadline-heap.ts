/**
 * Queued requests by deadline, earliest on top (a binary min-heap with a position index,
 * so a request that leaves the queue early is removed in O(log n), not left behind).
 * The batcher arms one timer, for the earliest deadline, instead of one per request.
 */
export class DeadlineHeap<T> {
  private readonly items: { readonly item: T; readonly deadlineMs: number }[] = [];
  private readonly positions = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  push(item: T, deadlineMs: number): void {
    if (this.positions.has(item)) return;
    this.items.push({ item, deadlineMs });
    this.positions.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** The earliest deadline; undefined when empty. */
  peekMs(): number | undefined {
    return this.items[0]?.deadlineMs;
  }

  /** Removes and returns every item whose deadline is ≤ `nowMs`, earliest first. */
  popDue(nowMs: number): T[] {
    const due: T[] = [];
    for (let top = this.items[0]; top !== undefined && top.deadlineMs <= nowMs; top = this.items[0]) {
      due.push(top.item);
      this.remove(top.item);
    }
    return due;
  }

  remove(item: T): void {
    const index = this.positions.get(item);
    if (index === undefined) return;
    this.positions.delete(item);
    const last = this.items.pop();
    if (last === undefined || index === this.items.length) return;
    this.items[index] = last;
    this.positions.set(last.item, index);
    this.up(index);
    this.down(index);
  }

  private up(start: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.deadlineAt(parent) <= this.deadlineAt(index)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private down(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.items.length && this.deadlineAt(left) < this.deadlineAt(smallest)) smallest = left;
      if (right < this.items.length && this.deadlineAt(right) < this.deadlineAt(smallest)) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private deadlineAt(index: number): number {
    return this.items[index]?.deadlineMs ?? Number.POSITIVE_INFINITY;
  }

  private swap(a: number, b: number): void {
    const first = this.items[a];
    const second = this.items[b];
    if (first === undefined || second === undefined) return;
    this.items[a] = second;
    this.items[b] = first;
    this.positions.set(second.item, a);
    this.positions.set(first.item, b);
  }
}
