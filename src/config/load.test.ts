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
  assert.throws(
    () => loadConfig({ file, env: {} }),
    (error: Error) => error instanceof ConfigError && /server\.port/.test(error.message),
  );
  assert.throws(() => loadConfig({ env: { SLUICE_SERVER__PORT: '70000' } }), /server\.port/);
  assert.throws(() => loadConfig({ env: { SLUICE_ADMISSION__BURST_MS: '-5' } }), /admission\.burst_ms/);
  assert.equal(loadConfig({ env: {} }).admission.burst_ms, 250);
});

test('an unknown key fails with the key named', () => {
  const file = configFile('server:\n  prot: 80\n');
  assert.throws(() => loadConfig({ file, env: {} }), /prot/);
  assert.throws(() => loadConfig({ env: { SLUICE_NOPE: '1' } }), {
    name: 'ConfigError',
    message: 'environment variable SLUICE_NOPE: unknown key nope',
  });
});

test('a missing or malformed file fails clearly', () => {
  assert.throws(() => loadConfig({ file: '/nonexistent/sluice.yaml', env: {} }), /cannot read config file/);
  assert.throws(() => loadConfig({ file: configFile('server: [1, 2\n'), env: {} }), /not valid YAML/);
  assert.throws(() => loadConfig({ file: configFile('- 1\n- 2\n'), env: {} }), /mapping at the top level/);
});

const BACKEND = {
  name: 'llm',
  dialect: 'openai',
  replicas: [{ url: 'http://10.0.0.5:8000' }],
  models: [{ name: 'chat' }],
};
const withBackend = (extra: Record<string, unknown>) =>
  loadConfig({ env: {}, overrides: { backends: [{ ...BACKEND, ...extra }] } });

test('a backend gets health checks, Retry-After and adaptive concurrency by default', () => {
  const backend = withBackend({}).backends[0];
  assert.deepEqual(backend?.health_check, {
    enabled: true,
    interval_ms: 10_000,
    timeout_ms: 2_000,
    unhealthy_threshold: 3,
    healthy_threshold: 2,
  });
  assert.deepEqual(backend?.retry_after, { enabled: true, max_ms: 60_000 });
  assert.deepEqual(backend?.adaptive_concurrency, {
    enabled: true,
    min_limit: 4,
    max_limit: 256,
    wait_ms: 1000,
    max_waiting: 1024,
  });
  assert.deepEqual(backend?.scheduling, { priority_levels: 3, default_priority_level: 2, default_timeout_ms: 60_000 });
  assert.equal(withBackend({ health_check: { path: '/healthz' } }).backends[0]?.health_check.path, '/healthz');
});

test('bad backend health check, Retry-After and concurrency values fail with the key named', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ health_check: { interval_ms: 10 } }, /backends\.0\.health_check\.interval_ms/],
    [
      { scheduling: { priority_levels: 2, default_priority_level: 3 } },
      /backends\.0\.scheduling\.default_priority_level: exceeds priority_levels/,
    ],
    [{ adaptive_concurrency: { wait_ms: -1 } }, /backends\.0\.adaptive_concurrency\.wait_ms/],
    [{ health_check: { timeout_ms: 0 } }, /backends\.0\.health_check\.timeout_ms/],
    [{ health_check: { unhealthy_threshold: 0 } }, /backends\.0\.health_check\.unhealthy_threshold/],
    [{ health_check: { healthy_threshold: 1.5 } }, /backends\.0\.health_check\.healthy_threshold/],
    [{ health_check: { path: 'v1/models' } }, /backends\.0\.health_check\.path: a path starting with "\/"/],
    [{ health_check: { intervall_ms: 100 } }, /intervall_ms/],
    [{ retry_after: { max_ms: 0 } }, /backends\.0\.retry_after\.max_ms/],
    [{ retry_after: { enabled: 'yes' } }, /backends\.0\.retry_after\.enabled/],
    [{ adaptive_concurrency: { min_limit: 0 } }, /backends\.0\.adaptive_concurrency\.min_limit/],
    [
      { adaptive_concurrency: { min_limit: 10, max_limit: 5 } },
      /backends\.0\.adaptive_concurrency\.max_limit: must be ≥ min_limit \(10\)/,
    ],
    [
      { adaptive_concurrency: { initial_limit: 500 } },
      /backends\.0\.adaptive_concurrency\.initial_limit: must lie in \[min_limit, max_limit\] = \[4, 256\]/,
    ],
  ];
  for (const [extra, message] of cases)
    assert.throws(
      () => withBackend(extra),
      (error: Error) => error instanceof ConfigError && message.test(error.message),
      JSON.stringify(extra),
    );
});
