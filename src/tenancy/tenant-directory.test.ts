import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyRecord, TenantRecord } from '../state/store.ts';
import { generateApiKey } from './api-keys.ts';
import { ANONYMOUS, authorize, authorizeModel, TenantDirectory } from './tenant-directory.ts';

const tenants: TenantRecord[] = [
  { name: 'clinic-a', priority: 1, weight: 3, createdAt: '' },
  { name: 'batch-jobs', priority: null, weight: 1, createdAt: '' },
];
const [a, b, revoked, expired, limited] = Array.from({ length: 5 }, () => generateApiKey()) as [
  ApiKey,
  ApiKey,
  ApiKey,
  ApiKey,
  ApiKey,
];
type ApiKey = ReturnType<typeof generateApiKey>;

function record(made: { id: string; hash: string }, tenant: string, extra: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: made.id,
    tenant,
    scopes: ['infer'],
    models: null,
    hash: made.hash,
    createdAt: '',
    expiresAt: null,
    revokedAt: null,
    ...extra,
  };
}

const NOW = Date.parse('2026-12-07T12:00:00Z');
function directory(enabled = true): TenantDirectory {
  const tenantDirectory = new TenantDirectory(enabled, () => NOW);
  tenantDirectory.load({
    tenants,
    keys: [
      record(a, 'clinic-a', { scopes: ['infer', 'read'] }),
      record(b, 'batch-jobs'),
      record(revoked, 'clinic-a', { revokedAt: '2026-12-01T00:00:00Z' }),
      record(expired, 'clinic-a', { expiresAt: '2026-12-07T11:59:59Z' }),
      record(limited, 'clinic-a', { models: ['triage-small'] }),
    ],
  });
  return tenantDirectory;
}

test('auth off: everyone is the default tenant with every scope', () => {
  const off = directory(false);
  assert.equal(off.identify({}), ANONYMOUS);
  assert.equal(off.identify({ authorization: `Bearer ${a.key}` }), ANONYMOUS);
  assert.doesNotThrow(() => authorize(ANONYMOUS, 'admin'));
});

test('auth on: bearer and x-api-key name the tenant and the key', () => {
  const on = directory();
  const caller = on.identify({ authorization: `Bearer ${a.key}` });
  assert.deepEqual(caller.tenant, { name: 'clinic-a', priority: 1, weight: 3 });
  assert.equal(caller.key?.id, a.id);
  assert.equal(on.identify({ 'x-api-key': b.key }).tenant.name, 'batch-jobs');
  assert.equal(on.identify({ authorization: `bearer   ${b.key} ` }).tenant.name, 'batch-jobs');
});

test('auth on: missing, unknown, wrong-secret, revoked and expired keys are refused with 401 and their own code', () => {
  const on = directory();
  const refused = (headers: Record<string, string>, code: string) =>
    assert.throws(
      () => on.identify(headers),
      (error: { code: string; status: number }) => {
        assert.equal(error.code, code);
        assert.equal(error.status, 401);
        return true;
      },
    );
  refused({}, 'ERR_AUTH_MISSING_KEY');
  refused({ authorization: 'Basic abc' }, 'ERR_AUTH_MISSING_KEY');
  refused({ authorization: 'Bearer not-a-sluice-key' }, 'ERR_AUTH_INVALID_KEY');
  refused({ authorization: `Bearer ${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}` }, 'ERR_AUTH_INVALID_KEY');
  refused({ authorization: `Bearer ${generateApiKey().key}` }, 'ERR_AUTH_INVALID_KEY');
  refused({ authorization: `Bearer ${revoked.key}` }, 'ERR_AUTH_KEY_REVOKED');
  refused({ authorization: `Bearer ${expired.key}` }, 'ERR_AUTH_KEY_EXPIRED');
});

test('only the holder of the real secret learns that a key was revoked', () => {
  const on = directory();
  const forged = `${revoked.key.slice(0, -4)}AAAA`;
  assert.throws(() => on.identify({ authorization: `Bearer ${forged}` }), { code: 'ERR_AUTH_INVALID_KEY' });
});

test('scopes and model lists: 403 naming what is missing', () => {
  const on = directory();
  const caller = on.identify({ authorization: `Bearer ${b.key}` });
  assert.doesNotThrow(() => authorize(caller, 'infer'));
  assert.throws(
    () => authorize(caller, 'admin'),
    (error: { code: string; status: number; message: string }) =>
      error.code === 'ERR_AUTH_SCOPE' && error.status === 403 && error.message.includes('"admin"'),
  );
  const narrow = on.identify({ authorization: `Bearer ${limited.key}` });
  assert.doesNotThrow(() => authorizeModel(narrow, 'triage-small'));
  assert.throws(() => authorizeModel(narrow, 'embed'), { code: 'ERR_AUTH_MODEL_FORBIDDEN' });
  assert.doesNotThrow(() => authorizeModel(caller, 'embed'));
});

test('load replaces the keys at once: a key revoked since is refused on the next request', () => {
  const on = directory();
  assert.equal(on.identify({ authorization: `Bearer ${b.key}` }).tenant.name, 'batch-jobs');
  on.load({ tenants, keys: [record(b, 'batch-jobs', { revokedAt: '2026-12-07T12:00:00Z' })] });
  assert.throws(() => on.identify({ authorization: `Bearer ${b.key}` }), { code: 'ERR_AUTH_KEY_REVOKED' });
  assert.equal(on.keyCount, 1);
});

test("a request is looked up once: the admission gate's answer is authentication's, the wrong-key one too", () => {
  const on = directory();
  const headers: Record<string, string> = { authorization: `Bearer ${a.key}` };
  assert.equal(on.tenantOf(headers)?.name, 'clinic-a');
  headers['authorization'] = `Bearer ${b.key}`;
  assert.equal(on.identify(headers).tenant.name, 'clinic-a', 'kept by the headers object, not hashed again');
  const wrong = { authorization: 'Bearer sk-sluice-wrong' };
  assert.equal(on.tenantOf(wrong), undefined);
  assert.throws(() => on.identify(wrong), { code: 'ERR_AUTH_INVALID_KEY' });
  assert.equal(on.identify({ authorization: `Bearer ${b.key}` }).tenant.name, 'batch-jobs', 'another request');
});
