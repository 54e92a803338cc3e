import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRow } from '../../state/store.ts';
import { itemCharge } from './charge.ts';
import { LedgerWriter } from './ledger-writer.ts';
import { UsageLedger } from './usage-ledger.ts';

const KEY = { tenant: 'acme', key: 'k1', model: 'triage', version: '1', day: '2026-03-01' };

/** A store that fails while `failing` is set, and keeps every batch it took. */
class FakeStore {
  failing = false;
  readonly batches: UsageRow[][] = [];
  async addUsage(rows: readonly UsageRow[]): Promise<void> {
    if (this.failing) throw new Error('database down');
    this.batches.push([...rows]);
  }
}

function setup(intervalMs = 60_000) {
  const ledger = new UsageLedger(100);
  const store = new FakeStore();
  const errors: string[] = [];
  const writes: string[] = [];
  const writer = new LedgerWriter(ledger, store, {
    intervalMs,
    onError: (error, rows) => errors.push(`${rows}: ${error.message}`),
    onWrite: (outcome, rows) => writes.push(`${outcome} ${rows}`),
  });
  return { ledger, store, writer, errors, writes };
}

describe('LedgerWriter', () => {
  it('writes every row gathered since the last write as one batch, and nothing when none', async () => {
    const { ledger, store, writer, writes } = setup();
    ledger.add(KEY, itemCharge({ per_item: 1 }, 2, 0));
    ledger.add({ ...KEY, tenant: 'beta' }, itemCharge({ per_item: 1 }, 1, 0));
    ledger.add(KEY, itemCharge({ per_item: 1 }, 1, 0));
    await writer.flush();
    await writer.flush();
    assert.deepEqual(
      store.batches.map((batch) => batch.map((row) => [row.tenant, row.requests, row.items])),
      [
        [
          ['acme', 2, 3],
          ['beta', 1, 1],
        ],
      ],
    );
    assert.deepEqual(writes, ['written 2']);
  });

  it('keeps the sums of a failed write and writes them, with what came since, once the store is back', async () => {
    const { ledger, store, writer, errors, writes } = setup();
    ledger.add(KEY, itemCharge({ per_item: 1 }, 2, 0));
    store.failing = true;
    await assert.rejects(writer.flush(), /database down/);
    ledger.add(KEY, itemCharge({ per_item: 1 }, 5, 0));
    store.failing = false;
    await writer.flush();
    assert.deepEqual(
      store.batches.map((batch) => batch.map((row) => [row.requests, row.items])),
      [[[2, 7]]],
    );
    assert.deepEqual(errors, ['1: database down']);
    assert.deepEqual(writes, ['failed 1', 'written 1']);
  });

  it('writes on its interval once started, off any caller, and a failing store throws into no one', async () => {
    const { ledger, store, writer, errors } = setup(10);
    writer.start();
    store.failing = true;
    ledger.add(KEY, itemCharge({ per_item: 1 }, 1, 0));
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.ok(errors.length >= 1, 'the interval tried and failed');
    store.failing = false;
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(
      store.batches.flat().reduce((sum, row) => sum + row.requests, 0),
      1,
      'written once, when back',
    );
    await writer.close();
  });

  it('runs a read between writes, never during one', async () => {
    const { ledger, store, writer } = setup();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    store.addUsage = async (rows) => {
      await held;
      store.batches.push([...rows]);
    };
    ledger.add(KEY, itemCharge({ per_item: 1 }, 1, 0));
    const writing = writer.flush();
    const read = writer.exclusive(async () => store.batches.length);
    release();
    await writing;
    assert.equal(await read, 1, 'the read saw the batch written, not half-way');
  });

  it('writes what is left when closed', async () => {
    const { ledger, store, writer } = setup();
    writer.start();
    ledger.add(KEY, itemCharge({ per_item: 1 }, 3, 0));
    await writer.close();
    assert.equal(store.batches[0]?.[0]?.items, 3);
  });
});
