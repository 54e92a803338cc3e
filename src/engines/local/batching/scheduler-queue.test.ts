import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueuedRow } from './fair-level.ts';
import { SchedulerQueue, type QueueRequest } from './scheduler-queue.ts';

interface Request extends QueueRequest {
  readonly id: string;
}

let clockMs = 0;
/** Adds a request of `rows` rows (all of `group`) arriving 1 ms after the previous one. */
function add(
  queue: SchedulerQueue<Request>,
  id: string,
  options: { level?: number; tenant?: string; weight?: number; rows?: number; group?: string } = {},
): Request {
  const request: Request = { id, level: options.level ?? 1, tenant: options.tenant ?? id, weight: options.weight ?? 1 };
  clockMs += 1;
  queue.add(
    request,
    Array.from({ length: options.rows ?? 1 }, () => ({ groupKey: options.group ?? '', arrivalMs: clockMs })),
  );
  return request;
}

const ids = (rows: readonly QueuedRow<Request>[]): string[] => rows.map((row) => `${row.request.id}.${row.index}`);
const tenants = (rows: readonly QueuedRow<Request>[]): string => rows.map((row) => row.request.tenant).join('');

describe('SchedulerQueue', () => {
  it('is empty at first', () => {
    const queue = new SchedulerQueue<Request>(2, 1);
    assert.equal(queue.size, 0);
    assert.equal(queue.head(), undefined);
    assert.deepEqual(queue.take(4), []);
    assert.deepEqual(queue.snapshot(), { byLevel: { 1: 0, 2: 0 }, byTenant: {} });
  });

  it('serves the highest level first, then fills the batch from the levels below', () => {
    const queue = new SchedulerQueue<Request>(3, 1);
    add(queue, 'low', { level: 3, rows: 2 });
    add(queue, 'mid', { level: 2, rows: 2 });
    add(queue, 'top', { level: 1 });
    assert.deepEqual(
      queue.head(),
      { queued: 5, oldestArrivalMs: clockMs - 2 },
      'every batchable row counts; the oldest is the low one',
    );
    assert.deepEqual(ids(queue.take(4)), ['top.0', 'mid.0', 'mid.1', 'low.0']);
    assert.deepEqual(ids(queue.take(4)), ['low.1']);
    assert.equal(queue.size, 0);
  });

  it('counts rows at a level or above, and per level and tenant', () => {
    const queue = new SchedulerQueue<Request>(3, 1);
    add(queue, 'a', { level: 1, tenant: 'x', rows: 2 });
    add(queue, 'b', { level: 2, tenant: 'y', rows: 3 });
    add(queue, 'c', { level: 3, tenant: 'x', rows: 1 });
    assert.deepEqual(
      [1, 2, 3].map((level) => queue.rowsAtOrAbove(level)),
      [2, 5, 6],
    );
    assert.equal(queue.levelSize(2), 3);
    assert.deepEqual(queue.snapshot(), { byLevel: { 1: 2, 2: 3, 3: 1 }, byTenant: { x: 3, y: 3 } });
    assert.throws(() => queue.levelSize(4), /priority level 4/);
  });

  it('shares a level among tenants row by row, so a flooding tenant cannot starve the others', () => {
    const queue = new SchedulerQueue<Request>(1, 1);
    for (let i = 0; i < 20; i += 1) add(queue, `a${i}`, { tenant: 'A' });
    for (let i = 0; i < 3; i += 1) add(queue, `b${i}`, { tenant: 'B' });
    assert.equal(tenants(queue.take(4)), 'ABAB');
    assert.equal(tenants(queue.take(4)), 'ABAA', 'B ran out after its third row');
    assert.equal(tenants(queue.take(4)), 'AAAA');
  });

  it('gives tenants rows in proportion to their weights', () => {
    const queue = new SchedulerQueue<Request>(1, 1);
    for (let i = 0; i < 30; i += 1) {
      add(queue, `h${i}`, { tenant: 'H', weight: 2 });
      add(queue, `l${i}`, { tenant: 'L', weight: 1 });
    }
    const served = tenants([...queue.take(15), ...queue.take(15)]);
    assert.equal([...served].filter((tenant) => tenant === 'H').length, 20);
  });

  it('never mixes groups, and picks the group of the row round robin serves next', () => {
    const queue = new SchedulerQueue<Request>(1, 1);
    add(queue, 'a1', { tenant: 'A', group: 'short' });
    add(queue, 'a2', { tenant: 'A', group: 'short' });
    add(queue, 'b1', { tenant: 'B', group: 'long' });
    add(queue, 'a3', { tenant: 'A', group: 'long' });
    assert.deepEqual(queue.head(), { queued: 2, oldestArrivalMs: clockMs - 3 });
    assert.deepEqual(ids(queue.take(8)), ['a1.0', 'a2.0'], 'A holds the turn: its oldest group, and only that group');
    assert.deepEqual(queue.head(), { queued: 2, oldestArrivalMs: clockMs - 1 });
    assert.deepEqual(ids(queue.take(8)), ['b1.0', 'a3.0']);
  });

  it('withdraws every queued row of a request, and forgets a tenant left with nothing', () => {
    const queue = new SchedulerQueue<Request>(1, 1);
    const big = add(queue, 'big', { tenant: 'A', rows: 3 });
    add(queue, 'other', { tenant: 'B' });
    assert.deepEqual(ids(queue.take(2)), ['big.0', 'other.0']);
    assert.equal(queue.holds(big), true);
    assert.equal(queue.withdraw(big), 2);
    assert.equal(queue.holds(big), false);
    assert.equal(queue.withdraw(big), 0);
    assert.equal(queue.size, 0);
    assert.deepEqual(queue.snapshot().byTenant, {});
  });

  it('lists a tenant’s queued requests newest first, with their rows still queued', () => {
    const queue = new SchedulerQueue<Request>(1, 1);
    const first = add(queue, 'first', { tenant: 'A', rows: 2 });
    const second = add(queue, 'second', { tenant: 'A', rows: 3 });
    add(queue, 'b', { tenant: 'B', weight: 4 });
    queue.take(1);
    const loads = queue.tenantLoads(1);
    assert.deepEqual([...loads.keys()].sort(), ['A', 'B']);
    assert.equal(loads.get('A')?.rows, 4);
    assert.equal(loads.get('B')?.weight, 4);
    assert.deepEqual(
      [...(loads.get('A')?.newestFirst() ?? [])],
      [
        { request: second, rows: 3 },
        { request: first, rows: 1 },
      ],
    );
  });

  it('still lists newest first after a long-lived tenant has served many requests (its list compacts)', () => {
    const queue = new SchedulerQueue<Request>(1, 1);
    add(queue, 'keep', { tenant: 'A', rows: 1 });
    add(queue, 'keep-2', { tenant: 'A', rows: 1 });
    for (let i = 0; i < 1000; i += 1) {
      add(queue, `r${i}`, { tenant: 'A' });
      // Serve the oldest but one, so the tenant never empties.
      queue.take(1);
    }
    const newest = [...(queue.tenantLoads(1).get('A')?.newestFirst() ?? [])];
    assert.deepEqual(
      newest.map((entry) => entry.request.id),
      ['r999', 'r998'],
    );
  });
});
