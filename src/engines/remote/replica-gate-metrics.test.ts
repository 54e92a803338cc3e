import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { RemoteModels } from './remote-models.ts';
import { watchReplicaGates } from './replica-gate-metrics.ts';

const passedOver = { unhealthy: 4, coolingDown: 2, atLimit: 7 };

test('health, concurrency limit, Retry-After and passed-over counts are exported per replica, only where the gate is on', async () => {
  const registry = new Registry();
  let healthy = false;
  const remote = {
    stats: () => [
      {
        name: 'llm',
        replicas: [
          {
            url: 'http://10.0.0.5:8000/v1',
            health: { healthy },
            concurrency: { limit: 12 },
            retryAfter: { remainingMs: 1500 },
            passedOver,
          },
          {
            url: 'http://10.0.0.6:8000',
            health: { healthy: true },
            concurrency: { limit: 30 },
            retryAfter: { remainingMs: 0 },
            passedOver,
          },
        ],
      },
      {
        name: 'plain',
        replicas: [
          { url: 'http://10.0.0.7:8000', health: undefined, concurrency: undefined, retryAfter: undefined, passedOver },
        ],
      },
    ],
  } as unknown as RemoteModels;
  watchReplicaGates(registry, remote);
  const text = (name: string) => registry.getSingleMetricAsString(name);
  const health = await text('sluice_upstream_replica_healthy');
  assert.match(health, /sluice_upstream_replica_healthy\{backend="llm",replica="10\.0\.0\.5:8000"\} 0/);
  assert.match(health, /sluice_upstream_replica_healthy\{backend="llm",replica="10\.0\.0\.6:8000"\} 1/);
  assert.doesNotMatch(health, /plain/, 'no health checks, no claim of health');
  assert.match(await text('sluice_upstream_concurrency_limit'), /\{backend="llm",replica="10\.0\.0\.6:8000"\} 30/);
  assert.doesNotMatch(await text('sluice_upstream_concurrency_limit'), /plain/);
  assert.match(await text('sluice_upstream_retry_after_seconds'), /\{backend="llm",replica="10\.0\.0\.5:8000"\} 1\.5/);
  const passed = await text('sluice_upstream_passed_over_total');
  assert.match(passed, /\{backend="plain",replica="10\.0\.0\.7:8000",reason="concurrency_limit"\} 7/);
  assert.match(passed, /\{backend="llm",replica="10\.0\.0\.5:8000",reason="retry_after"\} 2/);
  healthy = true;
  assert.match(
    await text('sluice_upstream_replica_healthy'),
    /replica="10\.0\.0\.5:8000"\} 1/,
    'a later scrape reads the state afresh',
  );
});
