import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../config/load.ts';
import { serveConfig } from './serve-config.ts';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-serve-config-')), 'sluice.yaml');
  writeFileSync(file, text);
  return file;
}

test('--host, --port, --models and --log-level win over the file and the environment', () => {
  const file = configFile('server: { host: 0.0.0.0, port: 9000 }\nlogging: { level: warn }\n');
  const env = { SLUICE_SERVER__HOST: '10.1.1.1', SLUICE_LOGGING__LEVEL: 'error' };
  const config = serveConfig({ config: file, host: '127.0.0.1', port: 9100, models: '/srv/m', logLevel: 'debug' }, env);
  assert.deepEqual(
    [config.server.host, config.server.port, config.models.repository, config.logging.level],
    ['127.0.0.1', 9100, '/srv/m', 'debug'],
  );
});

test('without flags the file and the environment decide', () => {
  const file = configFile('server: { port: 9000, allow_unauthenticated: true }\nlogging: { level: warn }\n');
  const config = serveConfig({ config: file }, { SLUICE_SERVER__HOST: '10.1.1.1' });
  assert.deepEqual(
    [config.server.host, config.server.port, config.models.repository, config.logging.level],
    ['10.1.1.1', 9000, 'models', 'warn'],
  );
});

test('a bad flag value is refused with the key named', () => {
  assert.throws(
    () => serveConfig({ logLevel: 'verbose' }, {}),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message ===
        'invalid configuration:\n  logging.level: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
  );
  assert.throws(
    () => serveConfig({ host: '' }, {}),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message === 'invalid configuration:\n  server.host: Too small: expected string to have >=1 characters',
  );
});
