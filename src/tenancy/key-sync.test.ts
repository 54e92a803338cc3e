import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqliteStore } from '../state/sqlite-store.ts';
import type { Store } from '../state/store.ts';
import { generateApiKey } from './api-keys.ts';
import { KeySync } from './key-sync.ts';
import { TenantDirectory } from './tenant-directory.ts';

const AT = '2026-12-07T12:00:00.000Z';

async function storeWithKey() {
  const store = openSqliteStore(':memory:');
  await store.createTenant({ name: 'clinic', priority: null, weight: 1, createdAt: AT });
  const made = generateApiKey();
  await store.insertKey({
    id: made.id,
    tenant: 'clinic',
    scopes: ['infer'],
    models: null,
    hash: made.hash,
    createdAt: AT,
    expiresAt: null,
    revokedAt: null,
  });
  return { store, made };
}

test("keys come from the config file and the store; the file's tenant settings win", async () => {
  const { store, made } = await storeWithKey();
  const declared = generateApiKey();
  const directory = new TenantDirectory(true);
  const sync = new KeySync(
    store,
    [{ name: 'clinic', keys: [{ id: declared.id, hash: declared.hash, scopes: ['read'] }], priority: 2, weight: 5 }],
    directory,
    () => undefined,
  );
  assert.equal(directory.keyCount, 1, 'the config file at once, before the store is read');
  await sync.refresh();
  assert.equal(directory.keyCount, 2);
  assert.deepEqual(directory.identify({ authorization: `Bearer ${made.key}` }).tenant, {
    name: 'clinic',
    priority: 2,
    weight: 5,
  });
  await store.close();
});

test('a reload that read the store before a revocation never lands after the revocation’s own', async () => {
  const { store, made } = await storeWithKey();
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  // The first reload's key list is read, then held back until after the revocation.
  const slow: Store = Object.assign(Object.create(store) as Store, {
    listKeys: async () => {
      const keys = await store.listKeys();
      if ((calls += 1) === 1) await held;
      return keys;
    },
  });
  const directory = new TenantDirectory(true);
  const sync = new KeySync(slow, [], directory, () => undefined);
  const stale = sync.refresh();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(calls, 1, 'the first reload has read the keys');
  await store.revokeKey(made.id, AT);
  const fresh = sync.refresh();
  await new Promise((resolve) => setImmediate(resolve)); // an unordered reload would be done by now
  release();
  await Promise.all([stale, fresh]);
  assert.throws(() => directory.identify({ authorization: `Bearer ${made.key}` }), { code: 'ERR_AUTH_KEY_REVOKED' });
  await store.close();
});
