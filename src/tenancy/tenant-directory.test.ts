import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TENANT, TenantDirectory } from './tenant-directory.ts';

const tenants = [
  { name: 'clinic-a', api_keys: ['key-a-0123456789abcdef'], priority: 1, weight: 3 },
  {
    name: 'batch-jobs',
    api_keys: ['key-b-0123456789abcdef', 'key-b2-0123456789abcdef'],
    priority: undefined,
    weight: 1,
  },
];

test('auth off: everyone is the default tenant', () => {
  const directory = new TenantDirectory({ auth: { enabled: false }, tenants });
  assert.equal(directory.identify({}), DEFAULT_TENANT);
  assert.equal(directory.identify({ authorization: 'Bearer key-a-0123456789abcdef' }), DEFAULT_TENANT);
});

test('auth on: bearer and x-api-key name the tenant', () => {
  const directory = new TenantDirectory({ auth: { enabled: true }, tenants });
  assert.deepEqual(directory.identify({ authorization: 'Bearer key-a-0123456789abcdef' }), {
    name: 'clinic-a',
    priority: 1,
    weight: 3,
  });
  assert.equal(directory.identify({ 'x-api-key': 'key-b2-0123456789abcdef' }).name, 'batch-jobs');
  assert.equal(directory.identify({ authorization: 'bearer   key-b-0123456789abcdef ' }).name, 'batch-jobs');
});

test('auth on: a missing or unknown key is refused with 401', () => {
  const directory = new TenantDirectory({ auth: { enabled: true }, tenants });
  assert.throws(
    () => directory.identify({}),
    (error: { code: string; status: number }) => error.code === 'ERR_AUTH_MISSING_KEY' && error.status === 401,
  );
  assert.throws(() => directory.identify({ authorization: 'Basic abc' }), { code: 'ERR_AUTH_MISSING_KEY' });
  assert.throws(() => directory.identify({ authorization: 'Bearer key-a-0123456789abcdeX' }), {
    code: 'ERR_AUTH_INVALID_KEY',
  });
});

test("a request is looked up once: the admission gate's answer is authentication's, the wrong-key one too", () => {
  const directory = new TenantDirectory({ auth: { enabled: true }, tenants });
  const headers: Record<string, string> = { authorization: 'Bearer key-a-0123456789abcdef' };
  assert.equal(directory.tenantOf(headers)?.name, 'clinic-a');
  headers['authorization'] = 'Bearer key-b-0123456789abcdef';
  assert.equal(directory.identify(headers).name, 'clinic-a', 'kept by the headers object, not hashed again');
  const wrong = { authorization: 'Bearer key-a-0123456789abcdeX' };
  assert.equal(directory.tenantOf(wrong), undefined);
  assert.throws(() => directory.identify(wrong), { code: 'ERR_AUTH_INVALID_KEY' });
  assert.equal(
    directory.identify({ authorization: 'Bearer key-b-0123456789abcdef' }).name,
    'batch-jobs',
    'another request, another lookup',
  );
});
