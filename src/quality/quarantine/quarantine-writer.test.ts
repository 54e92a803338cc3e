import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../state/sqlite-store.ts';
import type { QuarantineEntry, Store } from '../../state/store.ts';
import type { Rejection } from './quarantine-entry.ts';
import { QuarantineWriter, type DropReason, type QuarantineWriterOptions } from './quarantine-writer.ts';

function rejection(n: number, model = 'noshow-risk', reads?: { count: number }): Rejection {
  return {
    model,
    version: '1',
    at: Date.UTC(2026, 2, 1) + n,
    code: 'ERR_REQUEST_INVALID',
    failures: [{ field: 'instances[0].age', rule: 'must be <= 120' }],
    label: (index) => `instances[${index}]`,
    body: () => {
      if (reads !== undefined) reads.count += 1;
      return { instances: [{ age: 200 + n, note: `patient ${n}: reach me at jane.doe${n}@example.com` }] };
    },
  };
}

/** A real SQLite store whose addQuarantine fails while `failing` says so, and notes each batch's size. */
function storeUnderTest(failing: () => boolean = () => false) {
  const store = openSqliteStore(':memory:');
  const batches: number[] = [];
  const wrapped: Pick<Store, 'addQuarantine'> = {
    async addQuarantine(entries: readonly QuarantineEntry[], maxPerModel: number) {
      if (failing()) throw new Error('database down');
      batches.push(entries.length);
      await store.addQuarantine(entries, maxPerModel);
    },
  };
  const stored = (model = 'noshow-risk') =>
    store.listQuarantine({ model, since: '2000-01-01T00:00:00.000Z', limit: 10_000 });
  return { store, wrapped, batches, stored };
}

function writerOn(store: Pick<Store, 'addQuarantine'>, options: Partial<QuarantineWriterOptions> = {}) {
  const drops: Array<[string, DropReason, number]> = [];
  const written: Array<[string, number]> = [];
  const errors: Error[] = [];
  const writer = new QuarantineWriter(store, {
    maxPerModel: 1000,
    flushIntervalMs: 60_000,
    onDropped: (model, reason, count) => drops.push([model, reason, count]),
    onWritten: (model, count) => written.push([model, count]),
    onError: (error) => errors.push(error),
    ...options,
  });
  return { writer, drops, written, errors };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

describe('QuarantineWriter', () => {
  test('only notes a rejection on the request path: the body is read and redacted when the batch is written', async () => {
    const { wrapped, batches, stored } = storeUnderTest();
    const { writer, written } = writerOn(wrapped, { flushIntervalMs: 20 });
    const reads = { count: 0 };
    for (let n = 0; n < 5; n++) writer.record(rejection(n, 'noshow-risk', reads));
    assert.equal(reads.count, 0, 'record() read no body');
    assert.deepEqual(writer.stats(), { pending: 5, written: 0, dropped: 0 });
    await until(() => batches.length > 0, 'the interval wrote');
    assert.deepEqual(batches, [5], 'one batch, one transaction');
    assert.equal(reads.count, 5);
    assert.deepEqual(written, [['noshow-risk', 5]]);
    const entries = await stored();
    assert.equal(entries.length, 5);
    assert.deepEqual(entries[0]?.payload, {
      instances: [{ age: 204, note: 'patient 4: reach me at [REDACTED:email]' }],
    });
    assert.doesNotMatch(JSON.stringify(entries), /@example\.com|jane\.doe/, 'no e-mail address reached the store');
  });

  test('drops and counts rejections beyond its buffer, in all and per model', async () => {
    const { wrapped, stored } = storeUnderTest();
    const { writer, drops } = writerOn(wrapped, { maxPending: 4, maxPendingPerModel: 3 });
    for (let n = 0; n < 4; n++) writer.record(rejection(n, 'a'));
    writer.record(rejection(4, 'b'));
    writer.record(rejection(5, 'c'));
    assert.deepEqual(drops, [
      ['a', 'buffer_full', 1],
      ['c', 'buffer_full', 1],
    ]);
    assert.deepEqual(writer.stats(), { pending: 4, written: 0, dropped: 2 });
    await writer.flush();
    assert.deepEqual(writer.stats(), { pending: 0, written: 4, dropped: 2 });
    assert.equal((await stored('a')).length, 3);
    writer.record(rejection(6, 'c'));
    assert.equal(writer.stats().pending, 1, 'a written buffer takes rejections again');
  });

  test('a failed write drops its batch, counted and reported, and never throws; the next one is written', async () => {
    let down = true;
    const { wrapped, stored } = storeUnderTest(() => down);
    const { writer, drops, errors } = writerOn(wrapped);
    for (let n = 0; n < 3; n++) writer.record(rejection(n));
    writer.record(rejection(3, 'other'));
    await writer.flush();
    assert.deepEqual(drops, [
      ['noshow-risk', 'write_failed', 3],
      ['other', 'write_failed', 1],
    ]);
    assert.deepEqual(
      errors.map((error) => error.message),
      ['database down'],
    );
    down = false;
    writer.record(rejection(4));
    await writer.flush();
    assert.deepEqual(writer.stats(), { pending: 0, written: 1, dropped: 4 });
    assert.equal((await stored()).length, 1);
  });

  test("keeps the store's bound per model: the oldest entries go", async () => {
    const { wrapped, stored } = storeUnderTest();
    const { writer } = writerOn(wrapped, { maxPerModel: 2 });
    for (let n = 0; n < 5; n++) writer.record(rejection(n));
    await writer.flush();
    writer.record(rejection(5));
    await writer.flush();
    assert.deepEqual(
      (await stored()).map((entry) => entry.time),
      [rejection(5).at, rejection(4).at].map((at) => new Date(at).toISOString()),
    );
  });

  test('close writes what it holds, and rejections after it are dropped as closed', async () => {
    const { wrapped, stored } = storeUnderTest();
    const { writer, drops } = writerOn(wrapped);
    writer.record(rejection(1));
    await writer.close();
    writer.record(rejection(2));
    assert.equal((await stored()).length, 1);
    assert.deepEqual(drops, [['noshow-risk', 'closed', 1]]);
  });

  test('refuses settings that are not whole numbers in range, naming them', () => {
    const { wrapped } = storeUnderTest();
    assert.throws(() => writerOn(wrapped, { maxPerModel: 0 }), /maxPerModel must be a whole number of at least 1/);
    assert.throws(() => writerOn(wrapped, { maxPending: 2.5 }), /maxPending/);
    assert.throws(() => writerOn(wrapped, { flushIntervalMs: -1 }), /flushIntervalMs .* at least 0/);
  });
});
