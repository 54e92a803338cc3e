import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../state/sqlite-store.ts';
import type { AuditEntry, SealEntries, SealedRecord, Store } from '../state/store.ts';
import { AuditEntriesDroppedError, batchSize, createAuditLog, type AuditLogOptions } from './audit-log.ts';
import { verifyStoredChain } from './verify.ts';

function entry(n: number): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
    actor: 'sk-sluice-abc123',
    action: 'inference',
    tenant: 'acme',
    details: { n, model: 'triage', version: 1, route: 'local', status: 200, latencyMs: 3, items: 1 },
  };
}

/**
 * A real SQLite store whose appendAudit fails while `failing` says so, and which notes the
 * size of every batch it writes.
 */
function storeUnderTest(failing: (call: number) => boolean = () => false) {
  const store = openSqliteStore(':memory:');
  const batches: number[] = [];
  let calls = 0;
  const wrapped: Pick<Store, 'appendAudit'> = {
    async appendAudit(seal: SealEntries): Promise<readonly SealedRecord[]> {
      calls += 1;
      if (failing(calls)) throw new Error(`database down (call ${calls})`);
      const records = await store.appendAudit(seal);
      batches.push(records.length);
      return records;
    },
  };
  const ns = async (): Promise<number[]> => {
    const seen: number[] = [];
    await store.auditSnapshot(async ({ scan }) => {
      for await (const record of scan(1000)) seen.push(record.details['n'] as number);
    });
    return seen;
  };
  return { store, wrapped, batches, calls: () => calls, ns };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

const slow: AuditLogOptions = { flushIntervalMs: 60_000 };

describe('batchSize', () => {
  const cases: [pending: number, due: boolean, size: number][] = [
    [0, false, 0],
    [0, true, 0],
    [10, false, 0],
    [10, true, 10],
    [512, false, 512],
    [2000, false, 512],
    [2000, true, 512],
  ];
  for (const [pending, due, size] of cases) {
    test(`writes ${size} of ${pending} pending when ${due ? '' : 'not '}due`, () => {
      assert.equal(batchSize(pending, 512, due), size);
    });
  }
});

describe('createAuditLog', () => {
  test('writes entries that wait less than a full batch when the interval ends, in one append', async () => {
    const { wrapped, batches, ns } = storeUnderTest();
    const log = createAuditLog(wrapped, { flushIntervalMs: 20 });
    for (const n of range(0, 10)) log.record(entry(n));
    assert.equal(log.stats().pending, 10);
    await until(() => log.stats().written === 10, 'the interval wrote the entries');
    assert.deepEqual(batches, [10]);
    assert.deepEqual(await ns(), range(0, 10));
    assert.deepEqual(log.stats(), { pending: 0, written: 10, failedFlushes: 0, dropped: 0 });
  });

  test('writes a full batch without waiting for the interval', async () => {
    const { wrapped, batches } = storeUnderTest();
    const log = createAuditLog(wrapped, { ...slow, maxBatch: 100 });
    for (const n of range(0, 250)) log.record(entry(n));
    await until(() => log.stats().written === 200, 'the two full batches were written');
    await sleep(20);
    assert.deepEqual(batches, [100, 100]);
    assert.equal(log.stats().pending, 50);
    await log.close();
    assert.deepEqual(batches, [100, 100, 50]);
  });

  test('records many entries in few appends, in the order they were recorded, and the chain verifies', async () => {
    const { store, wrapped, batches, ns } = storeUnderTest();
    const log = createAuditLog(wrapped, { flushIntervalMs: 5, maxBatch: 512 });
    for (const burst of range(0, 50)) {
      for (const n of range(burst * 100, burst * 100 + 100)) log.record(entry(n));
      await nextTurn();
    }
    await log.flush();
    assert.equal(
      batches.reduce((sum, size) => sum + size, 0),
      5000,
    );
    assert.ok(batches.length <= 50, `5000 entries in ${batches.length} appends`);
    assert.ok(Math.max(...batches) <= 512);
    assert.deepEqual(await ns(), range(0, 5000));
    const { verdict } = await verifyStoredChain(store, undefined);
    assert.deepEqual(verdict.ok && [verdict.records, verdict.lastSeq], [5000, 5000]);
  });

  test('close writes everything pending, and entries recorded after it are counted as dropped', async () => {
    const { wrapped, ns } = storeUnderTest();
    const log = createAuditLog(wrapped, slow);
    for (const n of range(0, 100)) log.record(entry(n));
    await log.close();
    log.record(entry(100));
    assert.deepEqual(await ns(), range(0, 100));
    assert.deepEqual(log.stats(), { pending: 0, written: 100, failedFlushes: 0, dropped: 1 });
  });

  test('loses nothing while the database fails and recovers, and keeps the order', async () => {
    const { store, wrapped, ns, calls } = storeUnderTest((call) => call <= 3);
    const errors: Error[] = [];
    const log = createAuditLog(wrapped, { flushIntervalMs: 5, maxBatch: 64, onError: (error) => errors.push(error) });
    for (const burst of range(0, 10)) {
      for (const n of range(burst * 50, burst * 50 + 50)) log.record(entry(n));
      await sleep(2);
    }
    await until(() => log.stats().written === 500, 'every entry was written');
    assert.ok(calls() > 3);
    assert.deepEqual(log.stats(), { pending: 0, written: 500, failedFlushes: 3, dropped: 0 });
    assert.deepEqual(
      errors.map((error) => error.message),
      ['database down (call 1)', 'database down (call 2)', 'database down (call 3)'],
    );
    assert.deepEqual(await ns(), range(0, 500));
    assert.equal((await verifyStoredChain(store, undefined)).verdict.ok, true);
  });

  test('flush rejects while the database fails, keeping the entries for the next write', async () => {
    let down = true;
    const { wrapped, ns } = storeUnderTest(() => down);
    const log = createAuditLog(wrapped, { ...slow, onError: () => {} });
    for (const n of range(0, 5)) log.record(entry(n));
    await assert.rejects(log.flush(), /a write failed; 5 entries still pending/);
    assert.deepEqual(log.stats(), { pending: 5, written: 0, failedFlushes: 1, dropped: 0 });
    down = false;
    await log.flush();
    assert.deepEqual(await ns(), range(0, 5));
  });

  test('after a failed write, waits for the interval before trying again, even with full batches waiting', async () => {
    const { wrapped, calls } = storeUnderTest(() => true);
    const log = createAuditLog(wrapped, { ...slow, maxBatch: 10, onError: () => {} });
    for (const n of range(0, 100)) log.record(entry(n));
    await until(() => calls() === 1, 'the full batch was tried');
    for (const n of range(100, 200)) log.record(entry(n));
    await sleep(50);
    assert.equal(calls(), 1);
    assert.equal(log.stats().pending, 200);
  });

  test('bounds the buffer while the database is down: the excess is dropped, counted and reported once an interval', async () => {
    let down = true;
    const { wrapped, ns } = storeUnderTest(() => down);
    const drops: AuditEntriesDroppedError[] = [];
    const onError = (error: Error) => {
      if (error instanceof AuditEntriesDroppedError) drops.push(error);
    };
    const log = createAuditLog(wrapped, { flushIntervalMs: 10, maxPending: 100, onError });
    for (const n of range(0, 150)) log.record(entry(n));
    assert.deepEqual(log.stats(), { pending: 100, written: 0, failedFlushes: 0, dropped: 50 });
    await until(() => drops.length === 1, 'the drops were reported');
    assert.deepEqual([drops[0]?.dropped, drops[0]?.droppedTotal], [50, 50]);
    log.record(entry(150));
    await until(() => drops.length === 2, 'the next drop was reported');
    assert.deepEqual([drops[1]?.dropped, drops[1]?.droppedTotal], [1, 51]);
    down = false;
    await until(() => log.stats().written === 100, 'the buffer was written');
    assert.deepEqual(await ns(), range(0, 100));
    assert.equal(log.stats().dropped, 51);
  });

  test('an entry whose details cannot be sealed is written with a note instead of stopping the log', async () => {
    const { store, wrapped, batches, ns } = storeUnderTest();
    const errors: Error[] = [];
    const log = createAuditLog(wrapped, { flushIntervalMs: 5, onError: (error) => errors.push(error) });
    log.record(entry(0));
    log.record({ ...entry(1), details: { n: 10n } });
    log.record(entry(2));
    await until(() => log.stats().written === 3, 'the batch was written');
    assert.deepEqual(batches, [3], 'in one append, at the first try');
    assert.deepEqual(
      errors.map((error) => error.message),
      ["audit log: an entry's details cannot be written: an audit record cannot hold a bigint: it has no JSON form"],
    );
    const records = await store.queryAudit({ limit: 10 });
    assert.deepEqual(records[1]?.details, { unsealable: 'an audit record cannot hold a bigint: it has no JSON form' });
    assert.deepEqual(await ns(), [0, undefined, 2]);
  });
});

describe('createAuditLog settings', () => {
  test('refuses a batch or buffer of no entries, and a negative interval', () => {
    const { wrapped } = storeUnderTest();
    assert.throws(() => createAuditLog(wrapped, { maxBatch: 0 }), /maxBatch must be a whole number above 0/);
    assert.throws(() => createAuditLog(wrapped, { maxPending: 0.5 }), /maxPending must be a whole number above 0/);
    assert.throws(() => createAuditLog(wrapped, { flushIntervalMs: -1 }), /flushIntervalMs must be a whole number/);
  });

  test('takes an option given as undefined as its default (100 ms, batches of 512)', async () => {
    const { wrapped, batches } = storeUnderTest();
    const log = createAuditLog(wrapped, { flushIntervalMs: undefined, maxBatch: undefined });
    for (const n of range(0, 511)) log.record(entry(n));
    await sleep(30);
    assert.deepEqual(batches, []);
    log.record(entry(511));
    await until(() => batches.length === 1, 'the full batch was written');
    assert.deepEqual(batches, [512]);
    await log.close();
  });
});
