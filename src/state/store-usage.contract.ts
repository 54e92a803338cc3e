/** The cost ledger's part of the Store contract (run from store.contract.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { OpenForTest } from './store-fixtures.contract.ts';
import type { Store, UsageKey, UsageRow, UsageSums } from './store.ts';

const ZERO: UsageSums = { requests: 0, items: 0, inputTokens: 0, outputTokens: 0, costNanos: 0, cacheHits: 0 };

/** A row of a test: acme's key k1 on triage 1 on 2026-03-01 in compute-units, fields from `overrides`. */
export function usage(overrides: Partial<UsageRow> = {}): UsageRow {
  const key: UsageKey = {
    tenant: 'acme',
    key: 'k1',
    model: 'triage',
    version: '1',
    day: '2026-03-01',
    unit: 'compute-units',
  };
  return { ...key, ...ZERO, requests: 1, ...overrides };
}

/** Rows of two tenants, two keys, a local and a remote model, three days. */
const SPREAD: readonly UsageRow[] = [
  usage({ requests: 2, items: 10, costNanos: 5_000_000_000 }),
  usage({ day: '2026-03-02', requests: 1, items: 4, costNanos: 2_000_000_000, cacheHits: 1 }),
  usage({ key: 'k2', version: '2', items: 3, costNanos: 1_500_000_000 }),
  usage({ model: 'chat', unit: 'USD', inputTokens: 100, outputTokens: 50, costNanos: 350_000 }),
  usage({ tenant: 'beta', key: 'k3', day: '2026-03-03', items: 7, costNanos: 3_500_000_000 }),
  usage({ tenant: 'beta', key: 'k3', model: 'chat', unit: 'USD', day: '2026-03-03', inputTokens: 10 }),
];

export function runUsageContract(open: OpenForTest): void {
  it('adds each flush’s sums into the row of its key, exactly, duplicates in one batch included', async (t) => {
    const store = await open(t);
    const big = 2 ** 40;
    await store.addUsage([usage({ items: 2, costNanos: big }), usage({ items: 3, costNanos: 1 })]);
    await store.addUsage([usage({ items: 5, inputTokens: 7, outputTokens: 9, costNanos: big, cacheHits: 1 })]);
    await store.addUsage([]);
    const totals = await store.queryUsage({ groupBy: ['tenant', 'key', 'model', 'version', 'day'] });
    const { unit: _unit, ...key } = usage();
    const sums = { requests: 3, items: 10, inputTokens: 7, outputTokens: 9, costNanos: 2 * big + 1, cacheHits: 1 };
    assert.deepEqual(totals, [{ ...key, unit: 'compute-units', ...sums }]);
  });

  it('sums by the dimensions asked for, always by unit, sorted by them', async (t) => {
    const store = await open(t);
    await store.addUsage(SPREAD);
    assert.deepEqual(await store.queryUsage({ groupBy: [] }), [
      { unit: 'USD', ...ZERO, requests: 2, inputTokens: 110, outputTokens: 50, costNanos: 350_000 },
      { unit: 'compute-units', ...ZERO, requests: 5, items: 24, costNanos: 12_000_000_000, cacheHits: 1 },
    ]);
    const byTenantModel = await store.queryUsage({ groupBy: ['tenant', 'model'] });
    assert.deepEqual(
      byTenantModel.map(({ tenant, model, unit, requests, items }) => [tenant, model, unit, requests, items]),
      [
        ['acme', 'chat', 'USD', 1, 0],
        ['acme', 'triage', 'compute-units', 4, 17],
        ['beta', 'chat', 'USD', 1, 0],
        ['beta', 'triage', 'compute-units', 1, 7],
      ],
    );
    const byDay = await store.queryUsage({ groupBy: ['day'], model: 'triage' });
    assert.deepEqual(
      byDay.map(({ day, requests }) => [day, requests]),
      [
        ['2026-03-01', 3],
        ['2026-03-02', 1],
        ['2026-03-03', 1],
      ],
    );
    const byVersion = await store.queryUsage({ groupBy: ['version', 'key'], tenant: 'acme', model: 'triage' });
    assert.deepEqual(
      byVersion.map(({ version, key, items }) => [version, key, items]),
      [
        ['1', 'k1', 14],
        ['2', 'k2', 3],
      ],
    );
  });

  it('keeps only the rows of the tenant, key, model and days (both inclusive) asked for', async (t) => {
    const store = await open(t);
    await store.addUsage(SPREAD);
    const items = async (filter: Record<string, string>) =>
      (await store.queryUsage({ ...filter, groupBy: [] })).reduce((sum, total) => sum + total.items, 0);
    assert.equal(await items({ tenant: 'beta' }), 7);
    assert.equal(await items({ key: 'k2' }), 3);
    assert.equal(await items({ model: 'chat' }), 0);
    assert.equal(await items({ from: '2026-03-02' }), 11);
    assert.equal(await items({ to: '2026-03-02' }), 17);
    assert.equal(await items({ from: '2026-03-02', to: '2026-03-02' }), 4);
    assert.equal(await items({ tenant: 'acme', key: 'k1', model: 'triage', to: '2026-03-01' }), 10);
    assert.deepEqual(await store.queryUsage({ tenant: 'nobody', groupBy: ['tenant'] }), []);
  });
}

/** Flushes per store in the concurrency case: enough to interleave. */
const FLUSHES_PER_STORE = 20;

/** Two stores (two replicas) flushing into the same rows at once: every sum is kept. */
export function runUsageDatabaseContract(newDatabase: () => Promise<{ open(): Promise<Store> }>): void {
  it('keeps every sum when two stores on one database add into the same rows at once', async (t) => {
    const database = await newDatabase();
    const stores: Store[] = [await database.open(), await database.open()];
    t.after(() => Promise.all(stores.map((store) => store.close())));
    // The two stores list the rows in opposite orders: sorted inside, they never deadlock.
    const batch = [usage({ items: 1 }), usage({ tenant: 'beta', items: 2 }), usage({ model: 'chat', items: 3 })];
    const flushes = stores.flatMap((store, which) =>
      Array.from({ length: FLUSHES_PER_STORE }, () => store.addUsage(which === 0 ? batch : [...batch].reverse())),
    );
    await Promise.all(flushes);
    const totals = await (stores[0] as Store).queryUsage({ groupBy: ['tenant', 'model'] });
    const flushed = 2 * FLUSHES_PER_STORE;
    assert.deepEqual(
      totals.map(({ tenant, model, requests, items }) => [tenant, model, requests, items]),
      [
        ['acme', 'chat', flushed, 3 * flushed],
        ['acme', 'triage', flushed, flushed],
        ['beta', 'triage', flushed, 2 * flushed],
      ],
    );
  });
}
