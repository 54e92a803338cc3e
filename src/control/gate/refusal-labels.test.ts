import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../../core/errors.ts';
import { TenantDirectory } from '../../tenancy/tenant-directory.ts';
import { loadConfig } from '../../config/load.ts';
import { generateApiKey } from '../../tenancy/api-keys.ts';
import { configSnapshot } from '../../tenancy/key-sync.ts';
import { gateTenant, refusedModel } from './refusal-labels.ts';

describe('refusal labels', () => {
  const models = {
    resolveLabels(name: string, version?: string) {
      if (name !== 'served' || (version !== undefined && version !== '2'))
        throw new SluiceError('ERR_MODEL_NOT_FOUND', name);
      return { name: 'served', version: '2' };
    },
  };

  it('a name that resolves names the model and version', () => {
    assert.deepEqual(refusedModel(models, 'served', undefined), { model: 'served', version: '2' });
    assert.deepEqual(refusedModel(models, 'served', '2'), { model: 'served', version: '2' });
  });

  it('a name that does not resolve, a malformed URL segment or no name at all is "_unresolved"', () => {
    const unresolved = { model: '_unresolved', version: '' };
    assert.deepEqual(refusedModel(models, 'no-such-model', undefined), unresolved);
    assert.deepEqual(refusedModel(models, '%E0%A4%A', '1', decodeURIComponent), unresolved);
    assert.deepEqual(refusedModel(models, undefined, undefined), unresolved);
  });

  it('the tenant is "default" with auth off, the key\'s tenant with auth on, and "_unauthenticated" for a missing or wrong key', () => {
    const off = new TenantDirectory(false);
    assert.equal(gateTenant(off, { authorization: 'Bearer whatever' }).name, 'default');
    const made = generateApiKey();
    const config = loadConfig({
      env: {},
      overrides: {
        auth: { enabled: true },
        tenants: [{ name: 'clinic', keys: [{ id: made.id, hash: made.hash }], weight: 3 }],
      },
    });
    const on = new TenantDirectory(true);
    on.load(configSnapshot(config.tenants));
    assert.deepEqual(gateTenant(on, { authorization: `Bearer ${made.key}` }), {
      name: 'clinic',
      priority: undefined,
      weight: 3,
    });
    assert.equal(gateTenant(on, {}).name, '_unauthenticated');
    assert.equal(gateTenant(on, { 'x-api-key': 'sk-wrong-0123456789abcdef' }).name, '_unauthenticated');
  });
});
