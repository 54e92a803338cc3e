import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editDistance, isServiceLinkVariable } from './env.ts';
import { ConfigError, loadConfig } from './load.ts';

/** What Kubernetes sets in every pod of a namespace holding a Service named `sluice` with a port named `http`. */
const SERVICE_LINKS = {
  SLUICE_SERVICE_HOST: '10.0.0.1',
  SLUICE_SERVICE_PORT: '8080',
  SLUICE_SERVICE_PORT_HTTP: '8080',
  SLUICE_PORT: 'tcp://10.0.0.1:8080',
  SLUICE_PORT_8080_TCP: 'tcp://10.0.0.1:8080',
  SLUICE_PORT_8080_TCP_ADDR: '10.0.0.1',
  SLUICE_PORT_8080_TCP_PORT: '8080',
  SLUICE_PORT_8080_TCP_PROTO: 'tcp',
};

const refusal = (message: string) => (error: Error) => {
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error.name}`);
  assert.equal(error.message, message);
  return true;
};

test('the service-link variables of a Kubernetes Service named sluice are not configuration', () => {
  assert.deepEqual(loadConfig({ env: SERVICE_LINKS }), loadConfig({ env: {} }));
});

test('the service-link variables of a Service named sluice-metrics, with UDP and SCTP ports, are ignored too', () => {
  const env = {
    SLUICE_METRICS_SERVICE_HOST: '10.0.0.2',
    SLUICE_METRICS_SERVICE_PORT_PROM_SCRAPE: '9090',
    SLUICE_METRICS_PORT: 'udp://10.0.0.2:53',
    SLUICE_METRICS_PORT_53_UDP_PROTO: 'udp',
    SLUICE_METRICS_PORT_9_SCTP_ADDR: '10.0.0.2',
  };
  assert.deepEqual(loadConfig({ env }), loadConfig({ env: {} }));
});

test('configuration variables that end like service links still configure, next to the service links', () => {
  const config = loadConfig({ env: { ...SERVICE_LINKS, SLUICE_SERVER__PORT: '9000', SLUICE_SERVER__HOST: '::1' } });
  assert.equal(config.server.port, 9000);
  assert.equal(config.server.host, '::1');
});

test('a variable whose first segment is a top-level key is configuration even without __', () => {
  const config = loadConfig({ env: { SLUICE_LOGGING: '{level: debug}' } });
  assert.equal(config.logging.level, 'debug');
});

test('a misspelt key is refused, named as the variable it came from, with the nearest real variable', () => {
  assert.throws(
    () => loadConfig({ env: { SLUICE_SERVER__PROT: '1' } }),
    refusal('environment variable SLUICE_SERVER__PROT: unknown key server.prot (did you mean SLUICE_SERVER__PORT?)'),
  );
  assert.throws(
    () => loadConfig({ env: { SLUICE_MODELS_REPOSITORY: '/srv/models' } }),
    refusal(
      'environment variable SLUICE_MODELS_REPOSITORY: unknown key models_repository (did you mean SLUICE_MODELS__REPOSITORY?)',
    ),
  );
  assert.throws(
    () => loadConfig({ env: { SLUICE_ADMISSION__LOOP_LAG__TARGETMS: '5' } }),
    refusal(
      'environment variable SLUICE_ADMISSION__LOOP_LAG__TARGETMS: unknown key admission.loop_lag.targetms (did you mean SLUICE_ADMISSION__LOOP_LAG__TARGET_MS?)',
    ),
  );
});

test('an unknown variable with no near key is refused without a suggestion, and every bad variable is named', () => {
  assert.throws(
    () => loadConfig({ env: { SLUICE_NOPE: '1', SLUICE_SERVER__PROT: '1', SLUICE_SERVICE_HOST: '10.0.0.1' } }),
    refusal(
      [
        'environment variable SLUICE_NOPE: unknown key nope',
        'environment variable SLUICE_SERVER__PROT: unknown key server.prot (did you mean SLUICE_SERVER__PORT?)',
      ].join('\n'),
    ),
  );
});

test('an empty key segment is refused with the variable named', () => {
  assert.throws(
    () => loadConfig({ env: { SLUICE_SERVER____PORT: '1' } }),
    refusal('environment variable SLUICE_SERVER____PORT has an empty key segment'),
  );
});

test('a path below a list or a value is left to the schema, which names the key', () => {
  assert.throws(
    () => loadConfig({ env: { SLUICE_SERVER__PORT__X: '1' } }),
    refusal('invalid configuration:\n  server.port: Invalid input: expected number, received object'),
  );
});

test('exactly the patterns Kubernetes generates are service links', () => {
  const cases: Array<[string, boolean]> = [
    ['SLUICE_SERVICE_HOST', true],
    ['SLUICE_SERVICE_PORT', true],
    ['SLUICE_SERVICE_PORT_HTTP', true],
    ['SLUICE_PORT', true],
    ['SLUICE_PORT_8080_TCP', true],
    ['SLUICE_PORT_8080_TCP_ADDR', true],
    ['SLUICE_PORT_8080_TCP_PORT', true],
    ['SLUICE_PORT_8080_TCP_PROTO', true],
    ['SLUICE_PORT_53_UDP', true],
    ['SLUICE_PORT_9_SCTP_ADDR', true],
    ['SLUICE_PORT_8080_HTTP', false],
    ['SLUICE_PORT_X_TCP', false],
    ['SLUICE_PORT_8080_TCP_HOST', false],
    ['SLUICE_SERVICE_ADDR', false],
    ['SLUICE_HOST', false],
  ];
  for (const [name, expected] of cases) assert.equal(isServiceLinkVariable(name), expected, name);
});

test('edit distance counts an adjacent swap as one edit', () => {
  const cases: Array<[string, string, number]> = [
    ['PORT', 'PORT', 0],
    ['PROT', 'PORT', 1],
    ['POT', 'PORT', 1],
    ['PORTS', 'PORT', 1],
    ['', 'AB', 2],
    ['NOPE', 'AUTH', 4],
  ];
  for (const [a, b, expected] of cases) assert.equal(editDistance(a, b), expected, `${a} → ${b}`);
});
