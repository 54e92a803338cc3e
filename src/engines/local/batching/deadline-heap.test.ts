import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineHeap } from './deadline-heap.ts';

describe('DeadlineHeap', () => {
  it('pops what is due, earliest first, and nothing else', () => {
    const heap = new DeadlineHeap<string>();
    for (const [item, ms] of [
      ['c', 30],
      ['a', 10],
      ['d', 40],
      ['b', 20],
      ['e', 50],
    ] as const)
      heap.push(item, ms);
    assert.equal(heap.peekMs(), 10);
    assert.deepEqual(heap.popDue(25), ['a', 'b']);
    assert.equal(heap.peekMs(), 30);
    assert.deepEqual(heap.popDue(30), ['c'], 'a deadline equal to now is due');
    assert.equal(heap.size, 2);
  });

  it('removes an item from anywhere, and ignores one it does not hold', () => {
    const heap = new DeadlineHeap<number>();
    for (let i = 0; i < 50; i += 1) heap.push(i, (i * 37) % 50);
    for (let i = 0; i < 50; i += 2) heap.remove(i);
    heap.remove(1000);
    heap.push(1, 999);
    assert.equal(heap.size, 25, 'an item already held is not pushed twice');
    const order = heap.popDue(Number.POSITIVE_INFINITY);
    const deadlines = order.map((i) => (i * 37) % 50);
    assert.deepEqual(
      deadlines,
      [...deadlines].sort((a, b) => a - b),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: 25 }, (_, k) => 2 * k + 1),
    );
    assert.equal(heap.peekMs(), undefined);
  });
});
