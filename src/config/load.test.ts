import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './load.ts';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-config-')), 'sluice.yaml');
  writeFileSync(file, text);
  return file;
}

test('defaults serve the embedded models on port 8080', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.server.port, 8080);
  assert.equal(config.models.repository, 'models');
  assert.equal(config.models.build_defaults, true);
});

test('file values, then environment overrides, then explicit overrides', () => {
  const file = configFile('server:\n  port: 9000\n  host: 127.0.0.1\nlogging:\n  level: warn\n');
  const config = loadConfig({ file, env: { SLUICE_SERVER__PORT: '9100', SLUICE_MODELS__BUILD_DEFAULTS: 'false' } });
  assert.equal(config.server.port, 9100);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.models.build_defaults, false);
  assert.equal(config.logging.level, 'warn');
  assert.equal(loadConfig({ file, env: {}, overrides: { server: { port: 1 } } }).server.port, 1);
});

test('the loaded config is frozen', () => {
  const config = loadConfig({ env: {} });
  assert.throws(() => {
    (config.server as { port: number }).port = 1;
  }, TypeError);
});

test('a bad value fails with the key named', () => {
  const file = configFile('server:\n  port: "eighty"\n');
  assert.throws(() => loadConfig({ file, env: {} }), (error: Error) => error instanceof ConfigError && /server\.port/.test(error.message));
  assert.throws(() => loadConfig({ env: { SLUICE_SERVER__PORT: '70000' } }), /server\.port/);
});

test('an unknown key fails with the key named', () => {
  const file = configFile('server:\n  prot: 80\n');
  assert.throws(() => loadConfig({ file, env: {} }), /prot/);
  assert.throws(() => loadConfig({ env: { SLUICE_NOPE: '1' } }), /nope/);
});

test('a missing or malformed file fails clearly', () => {
  assert.throws(() => loadConfig({ file: '/nonexistent/sluice.yaml', env: {} }), /cannot read config file/);
  assert.throws(() => loadConfig({ file: configFile('server: [1, 2\n'), env: {} }), /not valid YAML/);
  assert.throws(() => loadConfig({ file: configFile('- 1\n- 2\n'), env: {} }), /mapping at the top level/);
});
