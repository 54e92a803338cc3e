/** Remote models' pinned references, the Store contract's part (run from store.contract.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
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
    const first = await database.open();
    await first.createTenant(tenant('acme'));
    await first.close();
    // What a sluice before pinned references were kept left: no table, versions 1 to 3.
    await database.query('DROP TABLE quality_references');
    await database.query('DELETE FROM schema_migrations WHERE version = 4');
    const upgraded = await database.open();
    t.after(() => upgraded.close());
    assert.deepEqual(await upgraded.getTenant('acme'), tenant('acme'));
    await upgraded.putReference(pinned('chat', 1));
    assert.deepEqual(await upgraded.getReference('chat', '1'), pinned('chat', 1));
  });
}
