/**
 * A first-in first-out list with O(1) amortised push and shift.
 * `Array.prototype.shift` moves every element, which is O(n) per call on a long queue;
 * here the front advances by index and the consumed prefix is dropped in one copy once
 * it is at least half the array, so each element is copied at most once on average.
 *
 *   items: [ consumed … consumed | live live live … ]
 *                                 ^ head
 */
const COMPACT_AFTER = 1024;

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
