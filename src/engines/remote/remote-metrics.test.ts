import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { RemoteMetrics } from './remote-metrics.ts';
import type { RemoteModels } from './remote-models.ts';

test('hedges are exported by backend and outcome, mirroring the backends own counts', async () => {
  const registry = new Registry();
  const metrics = new RemoteMetrics(registry);
  let hedging = { sent: 5, won: 3 };
  const remote = {
    stats: () => [
      { name: 'llm', replicas: [], hedging },
      { name: 'no-hedging', replicas: [], hedging: undefined },
    ],
  } as unknown as RemoteModels;
  metrics.watch(registry, remote);
  const text = () => registry.getSingleMetricAsString('sluice_upstream_hedges_total');
  assert.match(await text(), /sluice_upstream_hedges_total\{backend="llm",outcome="won"\} 3/);
  assert.match(await text(), /sluice_upstream_hedges_total\{backend="llm",outcome="lost"\} 2/);
  assert.doesNotMatch(await text(), /no-hedging/);
  hedging = { sent: 9, won: 6 };
  assert.match(await text(), /outcome="won"\} 6/, 'a later scrape shows the new totals, not a sum of scrapes');
});
