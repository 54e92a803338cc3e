import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../../config/schema.ts';
import { gateSettingsOf, healthLogLine, healthPathOf } from './backend-settings.ts';

function backend(extra: Record<string, unknown> = {}) {
  const config = ConfigSchema.parse({
    backends: [
      {
        name: 'llm',
        dialect: 'openai',
        replicas: [{ url: 'http://10.0.0.5:8000' }],
        models: [{ name: 'chat' }],
        ...extra,
      },
    ],
  }).backends[0];
  assert.ok(config !== undefined);
  return config;
}

test('the health path defaults by dialect, and an explicit one wins', () => {
  assert.equal(healthPathOf(backend()), '/v1/models');
  assert.equal(healthPathOf(backend({ dialect: 'kserve-v2' })), '/v2/health/ready');
  assert.equal(
    healthPathOf(backend({ dialect: 'kserve-v2', health_check: { path: '/v2/health/live' } })),
    '/v2/health/live',
  );
});

test('gate settings follow the config; the initial limit defaults to 32 moved into [min, max]', () => {
  assert.deepEqual(gateSettingsOf(backend()), {
    health: { unhealthyThreshold: 3, healthyThreshold: 2 },
    retryAfterMaxMs: 60_000,
    concurrency: { initialLimit: 32, minLimit: 4, maxLimit: 256, wait: { maxWaitMs: 1_000, maxWaiting: 1_024 } },
  });
  assert.equal(gateSettingsOf(backend({ adaptive_concurrency: { max_limit: 8 } })).concurrency?.initialLimit, 8);
  assert.equal(gateSettingsOf(backend({ adaptive_concurrency: { min_limit: 50 } })).concurrency?.initialLimit, 50);
  const off = gateSettingsOf(
    backend({
      health_check: { enabled: false },
      retry_after: { enabled: false },
      adaptive_concurrency: { enabled: false },
    }),
  );
  assert.deepEqual(off, { health: undefined, retryAfterMaxMs: undefined, concurrency: undefined });
});

test('a replica leaving rotation is a warning, the last one an error', () => {
  const event = { backend: 'llm', replica: 'a:1', detail: 'GET /v1/models answered 500', replicas: 2 };
  assert.equal(healthLogLine({ ...event, healthy: false, healthyReplicas: 1 }).level, 'warn');
  assert.equal(healthLogLine({ ...event, healthy: false, healthyReplicas: 0 }).level, 'error');
  assert.equal(healthLogLine({ ...event, healthy: true, healthyReplicas: 2 }).level, 'info');
});
