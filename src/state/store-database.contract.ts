/**
 * The Store contract's cases for a database that outlives a store (a file, a server): it
 * can be re-opened, it keeps its schema version, and two stores on it append as one.
 */
import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { LATEST_SCHEMA_VERSION } from './migrations.ts';
import { assertChain, chainSeal, entry, scanned, tenant } from './store-fixtures.contract.ts';
import { rejection } from './store-quarantine.contract.ts';
import { usage } from './store-usage.contract.ts';
import type { Store } from './store.ts';

export interface StoreDatabase {
  /** Opens one more store on this database (the first one migrates it). */
  open(): Promise<Store>;
  /** Runs SQL on the database directly, beside any store: to read its schema, or to play a newer sluice. */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
}

/** Appends per store in the concurrency case: enough to interleave, few enough to stay fast. */
const APPENDS_PER_STORE = 25;

export function runDatabaseContract(newDatabase: () => Promise<StoreDatabase>): void {
  const openOn = async (t: TestContext, database: StoreDatabase): Promise<Store> => {
    const store = await database.open();
    t.after(() => store.close());
    return store;
  };

  it('never forks the chain when two stores on one database append at once', async (t) => {
    const database = await newDatabase();
    const stores = [await openOn(t, database), await openOn(t, database)];
    const appends = stores.flatMap((store, which) =>
      Array.from({ length: APPENDS_PER_STORE }, (_, n) =>
        // One or two entries at a time, so batches of either size interleave.
        store.appendAudit(chainSeal([entry(n, { actor: `store-${which}` }), ...(n % 2 ? [entry(n)] : [])])),
      ),
    );
    const written = (await Promise.all(appends)).flat();
    const chain = await scanned(stores[0] as Store, 16);
    assert.equal(chain.length, written.length);
    assert.deepEqual(
      chain.map((record) => record.seq),
      Array.from({ length: written.length }, (_, n) => n + 1),
    );
    assertChain(chain);
  });

  it('keeps its state and runs no migration again when opened again', async (t) => {
    const database = await newDatabase();
    const first = await database.open();
    await first.createTenant(tenant('acme'));
    const migrations = await database.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      migrations.map((row) => Number(row['version'])),
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, n) => n + 1),
    );
    await first.close();
    const again = await openOn(t, database);
    assert.deepEqual(await again.getTenant('acme'), tenant('acme'));
    assert.deepEqual(
      await database.query('SELECT version, applied_at FROM schema_migrations ORDER BY version'),
      migrations,
      'the same steps, applied when they were',
    );
  });

  it('upgrades a database at schema version 1 to the quarantine, keeping its state', async (t) => {
    const database = await newDatabase();
    const first = await database.open();
    await first.createTenant(tenant('acme'));
    await first.close();
    // What a sluice before the quarantine left: no table, version 1 only.
    await database.query('DROP TABLE quality_quarantine');
    await database.query('DELETE FROM schema_migrations WHERE version = 2');
    const upgraded = await openOn(t, database);
    assert.deepEqual(await upgraded.getTenant('acme'), tenant('acme'));
    await upgraded.addQuarantine([rejection(1)], 10);
    const since = '2000-01-01T00:00:00.000Z';
    assert.equal((await upgraded.listQuarantine({ model: rejection(1).model, since, limit: 10 })).length, 1);
    const versions = await database.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      versions.map((row) => Number(row['version'])),
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, n) => n + 1),
    );
  });

  it('upgrades a database at schema version 2 to the cost ledger, keeping its state', async (t) => {
    const database = await newDatabase();
    const first = await database.open();
    await first.addQuarantine([rejection(1)], 10);
    await first.close();
    // What a sluice before the ledger left: no table, versions 1 and 2 only.
    await database.query('DROP TABLE usage_ledger');
    await database.query('DELETE FROM schema_migrations WHERE version = 3');
    const upgraded = await openOn(t, database);
    const since = '2000-01-01T00:00:00.000Z';
    assert.equal((await upgraded.listQuarantine({ model: rejection(1).model, since, limit: 10 })).length, 1);
    await upgraded.addUsage([usage({ items: 4 })]);
    assert.equal((await upgraded.queryUsage({ groupBy: [] }))[0]?.items, 4);
    const versions = await database.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      versions.map((row) => Number(row['version'])),
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, n) => n + 1),
    );
  });

  it('refuses a database at a newer schema version, naming both versions', async () => {
    const database = await newDatabase();
    await (await database.open()).close();
    const newer = LATEST_SCHEMA_VERSION + 1;
    await database.query(
      `INSERT INTO schema_migrations (version, applied_at) VALUES (${newer}, '2030-01-01T00:00:00.000Z')`,
    );
    await assert.rejects(database.open(), (error: Error) => {
      assert.match(error.message, new RegExp(`schema version ${newer}, newer than version ${LATEST_SCHEMA_VERSION}`));
      return true;
    });
  });
}
