import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateApiKey } from '../tenancy/api-keys.ts';
import { ConfigError, loadConfig } from './load.ts';

const load = (overrides: Record<string, unknown>) => loadConfig({ env: {}, overrides });

test('by default sluice binds loopback with auth off, and redacts its logs', () => {
  const config = load({});
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.auth.enabled, false);
  assert.equal(config.server.allow_unauthenticated, false);
  assert.equal(config.logging.redact, true);
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
    assert.equal(load({ server: { host } }).server.host, host);
});

test('another address with auth off is refused at start, naming the keys that would allow it', () => {
  for (const host of ['0.0.0.0', '::', '10.1.2.3', 'sluice.internal']) {
    assert.throws(
      () => load({ server: { host } }),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.includes('server.host') &&
        error.message.includes('auth.enabled') &&
        error.message.includes('server.allow_unauthenticated'),
      host,
    );
  }
  assert.throws(
    () => loadConfig({ env: { SLUICE_SERVER__HOST: '0.0.0.0' } }),
    /server\.host: "0\.0\.0\.0" is reachable from other machines/,
  );
});

test('it is served with auth on, or when unauthenticated serving is asked for', () => {
  assert.equal(load({ server: { host: '0.0.0.0' }, auth: { enabled: true } }).server.host, '0.0.0.0');
  assert.equal(load({ server: { host: '0.0.0.0', allow_unauthenticated: true } }).server.host, '0.0.0.0');
});

test('a config file declares keys by their hash only; a key itself, or a malformed hash, is refused', () => {
  const made = generateApiKey();
  const config = load({ tenants: [{ name: 'clinic', keys: [{ id: made.id, hash: made.hash }] }] });
  assert.deepEqual(config.tenants[0]?.keys[0]?.scopes, ['infer']);
  assert.throws(
    () => load({ tenants: [{ name: 'clinic', api_keys: [made.key] }] }),
    /tenants\.0: Unrecognized key: "api_keys"/,
  );
  assert.throws(
    () => load({ tenants: [{ name: 'clinic', keys: [{ id: made.id, hash: made.key }] }] }),
    /tenants\.0\.keys\.0\.hash: sha256:<salt>:<digest>/,
  );
  assert.throws(
    () => load({ tenants: [{ name: 'clinic', keys: [{ id: made.id, hash: made.hash, scopes: ['root'] }] }] }),
    /tenants\.0\.keys\.0\.scopes\.0/,
  );
  assert.throws(() => load({ database: { url: 'mysql://db/sluice' } }), /database\.url/);
});
