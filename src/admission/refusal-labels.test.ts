import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelRegistry } from '../models/registry.ts';
import { TenantDirectory } from '../tenancy/tenant-directory.ts';
import { loadConfig } from '../config/load.ts';
import { refusedModel, refusedTenant } from './refusal-labels.ts';

describe('refusal labels', () => {
  const models = new ModelRegistry({ intraOpThreads: 1, maxItemsPerRequest: 1, loadControl: true });

  it('a name that does not resolve, a malformed URL segment or no name at all is "_unresolved"', () => {
    const unresolved = { model: '_unresolved', version: '' };
    assert.deepEqual(refusedModel(models, 'no-such-model', undefined), unresolved);
    assert.deepEqual(refusedModel(models, '%E0%A4%A', '1', decodeURIComponent), unresolved);
    assert.deepEqual(refusedModel(models, undefined, undefined), unresolved);
  });

  it('the tenant is "default" with auth off, and with auth on for a missing or wrong key', () => {
    const off = new TenantDirectory(loadConfig({ env: {}, overrides: {} }));
    assert.equal(refusedTenant(off, { authorization: 'Bearer whatever' }), 'default');
    const on = new TenantDirectory(loadConfig({ env: {}, overrides: { auth: { enabled: true }, tenants: [{ name: 'clinic', api_keys: ['sk-clinic-0123456789abcdef'] }] } }));
    assert.equal(refusedTenant(on, { authorization: 'Bearer sk-clinic-0123456789abcdef' }), 'clinic');
    assert.equal(refusedTenant(on, {}), 'default');
    assert.equal(refusedTenant(on, { 'x-api-key': 'sk-wrong-0123456789abcdef' }), 'default');
  });
});
