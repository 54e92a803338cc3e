/** Remote models' pinned references, the Store contract's part (run from store.contract.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';
import type { StoreDatabase } from './store-database.contract.ts';
import { tenant, type OpenForTest } from './store-fixtures.contract.ts';
import type { PinnedReference } from './store.ts';

/** A pin of `model` at minute `n` of 2026-03-01, with a profile holding values JSON must spell exactly. */
export function pinned(model: string, n: number, overrides: Partial<PinnedReference> = {}): PinnedReference {
  return {
    model,
    version: '1',
    pinnedAt: new Date(Date.UTC(2026, 2, 1) + n * 60_000).toISOString(),
    pinnedBy: `key-${n}`,
    profile: {
      format: 1,
      source: `pinned by an operator: naïve "window" ${n} 🙂`,
      rows: 3,
      features: {
        prompt_tokens: { kind: 'numeric', values: [0.1 + 0.2, 1e-300, 12 + n] },
        finish_reason: { kind: 'categorical', counts: { stop: 2, length: 1 } },
      },
    },
    ...overrides,
  };
}

export function runReferenceContract(open: OpenForTest): void {
  it('keeps one pinned reference per model version, a new pin replacing the last, read back as written', async (t) => {
    const store = await open(t);
    assert.equal(await store.getReference('chat', '1'), undefined);
    await store.putReference(pinned('chat', 1));
    await store.putReference(pinned('chat', 2, { version: '2' }));
    await store.putReference(pinned('embed', 3));
    assert.deepEqual(await store.getReference('chat', '1'), pinned('chat', 1));
    await store.putReference(pinned('chat', 4));
    assert.deepEqual(await store.getReference('chat', '1'), pinned('chat', 4), 'the later pin replaced it');
    assert.deepEqual(await store.getReference('chat', '2'), pinned('chat', 2, { version: '2' }));
    assert.deepEqual(await store.getReference('embed', '1'), pinned('embed', 3));
    assert.equal(await store.getReference('embed', '2'), undefined);
  });
}

export function runReferenceDatabaseContract(newDatabase: () => Promise<StoreDatabase>): void {
  it('keeps a pinned reference when the database is opened again', async (t) => {
    const database = await newDatabase();
    const first = await database.open();
    await first.putReference(pinned('chat', 1));
    await first.close();
    const again = await database.open();
    t.after(() => again.close());
    assert.deepEqual(await again.getReference('chat', '1'), pinned('chat', 1));
  });

  it('upgrades a database at schema version 3 to pinned references, keeping its state', async (t) => {
    const database = await newDatabase();
    const dialect = await asAtVersion3(database);
    assert.deepEqual(
      await tables(database, dialect),
      V3_TABLES,
      'the tables a sluice at version 3 made, and no others',
    );
    const upgraded = await database.open();
    t.after(() => upgraded.close());
    assert.deepEqual(await upgraded.getTenant('acme'), tenant('acme'));
    await upgraded.putReference(pinned('chat', 1));
    assert.deepEqual(await upgraded.getReference('chat', '1'), pinned('chat', 1));
    const versions = await database.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      versions.map((row) => Number(row['version'])),
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, n) => n + 1),
    );
  });
}

/** The tables schema steps 1 to 3 make (the cost ledger's was the last before pinned references). */
const V3_TABLES = [
  'api_keys',
  'audit_checkpoint',
  'audit_records',
  'keys_version',
  'quality_quarantine',
  'schema_migrations',
  'tenants',
  'usage_ledger',
];

type Dialect = 'sqlite' | 'postgres';

async function tables(database: StoreDatabase, dialect: Dialect): Promise<string[]> {
  const rows = await database.query(
    dialect === 'sqlite'
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
  );
  return rows.map((row) => String(row['name'])).sort();
}

/**
 * Makes `database` what a sluice at schema version 3 left: every table dropped, then steps 1
 * to 3 run as that sluice ran them, a tenant written by SQL, and versions 1 to 3 recorded.
 * (A store opened first makes the database, and PostgreSQL's schema, and says its dialect.) The
 * dialect is returned.
 */
async function asAtVersion3(database: StoreDatabase): Promise<Dialect> {
  const fresh = await database.open();
  const dialect: Dialect = fresh.kind === 'postgres' ? 'postgres' : 'sqlite';
  await fresh.close();
  // Children before the tables they reference.
  const existing = (await tables(database, dialect)).filter((name) => name !== 'schema_migrations');
  for (const name of existing.sort((a, b) => Number(b === 'api_keys') - Number(a === 'api_keys')))
    await database.query(`DROP TABLE ${name}${dialect === 'postgres' ? ' CASCADE' : ''}`);
  await database.query('DELETE FROM schema_migrations');
  for (const migration of MIGRATIONS.filter((step) => step.version <= 3))
    for (const statement of migration[dialect]) await database.query(statement);
  await database.query(
    `INSERT INTO schema_migrations (version, applied_at) VALUES ${[1, 2, 3].map((n) => `(${n}, '2026-01-0${n}T00:00:00.000Z')`).join(', ')}`,
  );
  await database.query(
    `INSERT INTO tenants (name, priority, weight, created_at) VALUES ('acme', NULL, 1, '2026-01-01T00:00:00.000Z')`,
  );
  return dialect;
}
