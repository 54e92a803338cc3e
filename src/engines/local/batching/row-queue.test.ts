import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fifo } from './fifo.ts';
import { GroupedFifoQueue } from './row-queue.ts';

interface Entry {
  readonly id: number;
  readonly arrivalMs: number;
  readonly groupKey: string;
}

const entry = (id: number, groupKey: string): Entry => ({ id, arrivalMs: id * 10, groupKey });

describe('Fifo', () => {
  it('keeps order across compactions', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i += 1) {
      fifo.push(i);
      if (i % 3 === 0) out.push(fifo.shift() ?? -1);
    }
    while (fifo.length > 0) out.push(fifo.shift() ?? -1);
    assert.deepEqual(
      out,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    assert.equal(fifo.shift(), undefined);
    assert.equal(fifo.peek(), undefined);
  });
});

describe('GroupedFifoQueue', () => {
  it('is empty at first', () => {
    const queue = new GroupedFifoQueue<Entry>();
    assert.equal(queue.size, 0);
    assert.equal(queue.head(), undefined);
    assert.deepEqual(queue.takeHead(3), []);
  });

  it('offers the group of the oldest row, counting only that group', () => {
    const queue = new GroupedFifoQueue<Entry>();
    for (const [id, key] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'a'],
      [4, 'b'],
      [5, 'b'],
    ] as const)
      queue.push(entry(id, key));
    assert.deepEqual(queue.head(), { queued: 2, oldestArrivalMs: 10 });
    assert.deepEqual(
      queue.takeHead(5).map((e) => e.id),
      [1, 3],
    );
    assert.equal(queue.size, 3);
    assert.deepEqual(queue.head(), { queued: 3, oldestArrivalMs: 20 });
    assert.deepEqual(
      queue.takeHead(2).map((e) => e.id),
      [2, 4],
    );
    assert.deepEqual(queue.head(), { queued: 1, oldestArrivalMs: 50 });
    assert.deepEqual(
      queue.takeHead(2).map((e) => e.id),
      [5],
    );
    assert.equal(queue.size, 0);
    assert.equal(queue.head(), undefined);
  });

  it('keeps FIFO order inside a group and takes no more than asked', () => {
    const queue = new GroupedFifoQueue<Entry>();
    for (let id = 1; id <= 7; id += 1) queue.push(entry(id, 'x'));
    assert.deepEqual(
      queue.takeHead(3).map((e) => e.id),
      [1, 2, 3],
    );
    assert.deepEqual(queue.head(), { queued: 4, oldestArrivalMs: 40 });
    queue.push(entry(8, 'x'));
    assert.deepEqual(
      queue.takeHead(10).map((e) => e.id),
      [4, 5, 6, 7, 8],
    );
  });

  it('lets a row leave from anywhere, keeping counts and the oldest row right', () => {
    const queue = new GroupedFifoQueue<Entry>();
    const entries = [entry(1, 'a'), entry(2, 'b'), entry(3, 'a'), entry(4, 'a')];
    for (const e of entries) queue.push(e);
    assert.equal(queue.remove(entries[0] as Entry), true);
    assert.equal(queue.remove(entries[0] as Entry), false, 'a row leaves once');
    assert.equal(queue.size, 3);
    assert.equal(queue.oldest()?.id, 2);
    assert.deepEqual(queue.groupView('a'), { queued: 2, oldestArrivalMs: 30 });
    queue.remove(entries[3] as Entry);
    assert.deepEqual(queue.groupView('a'), { queued: 1, oldestArrivalMs: 30 });
    queue.remove(entries[1] as Entry);
    assert.equal(queue.groupView('b'), undefined);
    assert.deepEqual(queue.head(), { queued: 1, oldestArrivalMs: 30 });
  });

  it('takes from a named group, oldest first, whatever group is oldest overall', () => {
    const queue = new GroupedFifoQueue<Entry>();
    for (const [id, key] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
      [4, 'a'],
    ] as const)
      queue.push(entry(id, key));
    assert.deepEqual(
      queue.takeGroup('b', 5).map((e) => e.id),
      [2, 3],
    );
    assert.deepEqual(queue.takeGroup('missing', 5), []);
    assert.equal(queue.size, 2);
    assert.equal(queue.oldest()?.id, 1);
  });

  it('holds no row that has left once no older row is queued, however rows leave (was a leak of every request)', () => {
    const queue = new GroupedFifoQueue<Entry>();
    for (let id = 0; id < 10_000; id += 1) {
      queue.push(entry(id, id % 2 === 0 ? 'a' : 'b'));
      if (id % 3 === 2) queue.takeGroup(id % 2 === 0 ? 'a' : 'b', 2);
    }
    assert.ok(queue.retained <= 2 * queue.size + 2, `arrivals hold ${queue.retained} slots for ${queue.size} rows`);
    queue.takeGroup('a', 10_000);
    queue.takeGroup('b', 10_000);
    assert.deepEqual([queue.size, queue.retained], [0, 0], 'an empty queue holds nothing');
    const [first, second] = [entry(1, 'a'), entry(2, 'b')];
    queue.push(first);
    queue.push(second);
    assert.ok(queue.remove(first));
    assert.deepEqual([queue.size, queue.retained], [1, 1], 'a row leaving from the front is dropped at once');
  });

  it('handles a large queue of interleaved groups in linear time', () => {
    const queue = new GroupedFifoQueue<Entry>();
    const rows = 200_000;
    for (let id = 0; id < rows; id += 1) queue.push(entry(id, `g${id % 7}`));
    let taken = 0;
    const started = performance.now();
    while (queue.size > 0) taken += queue.takeHead(8).length;
    assert.equal(taken, rows);
    // A quadratic queue would take minutes here; linear takes milliseconds.
    assert.ok(performance.now() - started < 2000);
  });
});
