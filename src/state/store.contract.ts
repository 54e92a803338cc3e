/**
 * What every `Store` promises, as one suite each database runs (`store.contract.test.ts`):
 * tenants and keys here, the audit log in store-audit.contract.ts (across many segments in
 * store-audit-segments.contract.ts, its move into segments in store-audit-migration.contract.ts),
 * the quarantine of rejected payloads in store-quarantine.contract.ts, the cost ledger in
 * store-usage.contract.ts, remote models' pinned references in store-references.contract.ts,
 * and what only a database that outlives a store can show (re-opening, migrations, two stores
 * appending at once) in store-database.contract.ts. Every store a case opens is closed when it ends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAuditMigrationContract } from './store-audit-migration.contract.ts';
import { runAuditSegmentContract } from './store-audit-segments.contract.ts';
import { runAuditContract } from './store-audit.contract.ts';
import { runDatabaseContract, type StoreDatabase } from './store-database.contract.ts';
import { conflict, key, tenant, type OpenForTest } from './store-fixtures.contract.ts';
import { runQuarantineContract } from './store-quarantine.contract.ts';
import { runReferenceContract, runReferenceDatabaseContract } from './store-references.contract.ts';
import { runUsageContract, runUsageDatabaseContract } from './store-usage.contract.ts';
import type { Store } from './store.ts';

export type { StoreDatabase } from './store-database.contract.ts';

/**
 * `newStore` opens a store on a fresh, empty database. `newDatabase`, for a database that
 * can be opened more than once (a file, a server), adds the cases that need that.
 */
export function runStoreContract(
  name: string,
  newStore: () => Promise<Store>,
  newDatabase?: () => Promise<StoreDatabase>,
): void {
  const open: OpenForTest = async (t) => {
    const store = await newStore();
    t.after(() => store.close());
    return store;
  };
  describe(`${name} keeps the Store contract`, () => {
    runTenantCases(open);
    runKeyCases(open);
    runAuditContract(open);
    runAuditSegmentContract(open);
    runQuarantineContract(open);
    runUsageContract(open);
    runReferenceContract(open);
    if (newDatabase !== undefined) runDatabaseContract(newDatabase);
    if (newDatabase !== undefined) runAuditMigrationContract(newDatabase);
    if (newDatabase !== undefined) runUsageDatabaseContract(newDatabase);
    if (newDatabase !== undefined) runReferenceDatabaseContract(newDatabase);
  });
}

function runTenantCases(open: OpenForTest): void {
  it('creates, gets and lists tenants (by name), and refuses a name that exists', async (t) => {
    const store = await open(t);
    const acme = tenant('acme', { priority: 2, weight: 2.5 });
    await store.createTenant(tenant('zeta'));
    await store.createTenant(acme);
    assert.deepEqual(await store.getTenant('acme'), acme);
    assert.equal(await store.getTenant('nobody'), undefined);
    assert.deepEqual(await store.listTenants(), [acme, tenant('zeta')]);
    await assert.rejects(store.createTenant(tenant('acme', { weight: 9 })), conflict(/tenant "acme" exists/));
    assert.deepEqual(await store.getTenant('acme'), acme, 'the refused write changed nothing');
  });

  it('refuses to delete a tenant with an unrevoked key, and deletes it with its revoked keys after', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    await store.insertKey(key('k1', 'acme'));
    await store.insertKey(key('k2', 'acme', { revokedAt: '2026-01-03T00:00:00.000Z' }));
    await assert.rejects(store.deleteTenant('acme'), conflict(/tenant "acme" still has 1 unrevoked key/));
    assert.ok(await store.getTenant('acme'), 'still there');
    await store.revokeKey('k1', '2026-01-04T00:00:00.000Z');
    assert.equal(await store.deleteTenant('acme'), true);
    assert.equal(await store.getTenant('acme'), undefined);
    assert.deepEqual(await store.listKeys(), [], 'its revoked keys went with it');
    assert.equal(await store.deleteTenant('acme'), false, 'a second delete finds nothing');
  });
}

function runKeyCases(open: OpenForTest): void {
  it('inserts keys, and gets them and lists them by tenant, oldest first', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    await store.createTenant(tenant('beta'));
    const newer = key('k-newer', 'acme', { scopes: ['infer', 'read'], models: ['triage', 'embed'] });
    const older = key('k-older', 'acme', {
      createdAt: '2026-01-01T12:00:00.000Z',
      expiresAt: '2027-01-01T00:00:00.000Z',
    });
    const other = key('k-other', 'beta', { scopes: ['admin', 'metrics'] });
    for (const record of [newer, older, other]) await store.insertKey(record);
    assert.deepEqual(await store.getKey('k-newer'), newer);
    assert.equal(await store.getKey('k-none'), undefined);
    assert.deepEqual(await store.listKeys('acme'), [older, newer]);
    assert.deepEqual(await store.listKeys('beta'), [other]);
    assert.deepEqual(await store.listKeys('nobody'), []);
    assert.deepEqual(await store.listKeys(), [older, newer, other]);
  });

  it('refuses a key whose id exists or whose tenant does not, naming it', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    await store.insertKey(key('k1', 'acme'));
    await assert.rejects(store.insertKey(key('k1', 'acme', { scopes: ['admin'] })), conflict(/key k1 exists/));
    await assert.rejects(store.insertKey(key('k2', 'ghost')), conflict(/tenant "ghost" does not exist/));
    assert.deepEqual(await store.listKeys(), [key('k1', 'acme')]);
  });

  it('revokes a key once: a second revocation keeps the first time', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    await store.insertKey(key('k1', 'acme'));
    const first = '2026-02-01T00:00:00.000Z';
    assert.deepEqual(await store.revokeKey('k1', first), key('k1', 'acme', { revokedAt: first }));
    const again = await store.revokeKey('k1', '2026-03-01T00:00:00.000Z');
    assert.equal(again?.revokedAt, first);
    assert.equal((await store.getKey('k1'))?.revokedAt, first);
    assert.equal(await store.revokeKey('k-none', first), undefined);
  });

  it('rotates a key in one step: the replacement is in and the old key revoked', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    await store.insertKey(key('k1', 'acme'));
    const at = '2026-02-01T00:00:00.000Z';
    assert.deepEqual(await store.rotateKey('k1', key('k2', 'acme'), at), key('k1', 'acme', { revokedAt: at }));
    assert.deepEqual(await store.getKey('k2'), key('k2', 'acme'));
    assert.equal((await store.getKey('k1'))?.revokedAt, at);
    assert.equal(await store.rotateKey('k1', key('k3', 'acme'), at), undefined, 'a revoked key does not rotate');
    assert.equal(await store.rotateKey('k-none', key('k4', 'acme'), at), undefined, 'nor a missing one');
    assert.deepEqual(
      (await store.listKeys()).map((record) => record.id),
      ['k1', 'k2'],
    );
  });

  it('rotates nothing when the replacement cannot be inserted', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    await store.insertKey(key('k1', 'acme'));
    await store.insertKey(key('k2', 'acme'));
    const version = await store.keysVersion();
    const at = '2026-02-01T00:00:00.000Z';
    await assert.rejects(store.rotateKey('k1', key('k2', 'acme'), at), conflict(/key k2 exists/));
    await assert.rejects(store.rotateKey('k1', key('k3', 'ghost'), at), conflict(/tenant "ghost" does not exist/));
    assert.equal((await store.getKey('k1'))?.revokedAt, null, 'the old key was not revoked');
    assert.equal(await store.getKey('k3'), undefined);
    assert.equal(await store.keysVersion(), version);
  });

  it('changes keysVersion on every key write and never on a read', async (t) => {
    const store = await open(t);
    await store.createTenant(tenant('acme'));
    const seen = [await store.keysVersion()];
    const expectChanged = async (what: string): Promise<void> => {
      const now = await store.keysVersion();
      assert.ok(!seen.includes(now), `${what} left keysVersion at ${now} (seen ${seen.join(', ')})`);
      seen.push(now);
    };
    await store.insertKey(key('k1', 'acme'));
    await expectChanged('an insert');
    await store.getKey('k1');
    await store.listKeys('acme');
    await store.getTenant('acme');
    assert.equal(await store.keysVersion(), seen.at(-1), 'reads leave it');
    await store.rotateKey('k1', key('k2', 'acme'), '2026-02-01T00:00:00.000Z');
    await expectChanged('a rotation');
    await store.revokeKey('k2', '2026-02-02T00:00:00.000Z');
    await expectChanged('a revocation');
  });
}
