import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelRegistry } from '../engines/local/models/registry.ts';
import { Metrics } from './metrics.ts';
import { RefusalCounts } from './refusal-counts.ts';

const CLINIC = { protocol: 'kserve-v2', model: 'triage-large', version: '1', tenant: 'clinic' } as const;
const BATCH = { ...CLINIC, tenant: 'batch' } as const;

describe('RefusalCounts', () => {
  it('sums refusals by their labels and hands each count over once', () => {
    const counts = new RefusalCounts();
    for (let i = 0; i < 3; i += 1) counts.add(CLINIC);
    counts.add(BATCH);
    assert.deepEqual(
      [...counts.drain()],
      [
        { labels: CLINIC, count: 3 },
        { labels: BATCH, count: 1 },
      ],
    );
    assert.deepEqual([...counts.drain()], []);
  });

  it('reach sluice_requests_total and sluice_shed_total when they are scraped, never twice', async () => {
    const metrics = new Metrics(new ModelRegistry({} as never));
    for (let i = 0; i < 5; i += 1) metrics.countAdmissionRefusal(CLINIC);
    const line = (text: string, name: string) => text.split('\n').find((each) => each.startsWith(name));
    const first = await metrics.registry.metrics();
    assert.equal(
      line(first, 'sluice_requests_total{model="triage-large",version="1",protocol="kserve-v2",status="429"}'),
      'sluice_requests_total{model="triage-large",version="1",protocol="kserve-v2",status="429"} 5',
    );
    assert.equal(
      line(first, 'sluice_shed_total{'),
      'sluice_shed_total{model="triage-large",version="1",reason="overloaded",tenant="clinic"} 5',
    );
    metrics.countAdmissionRefusal(CLINIC);
    const second = await metrics.registry.metrics();
    assert.equal(
      line(second, 'sluice_shed_total{'),
      'sluice_shed_total{model="triage-large",version="1",reason="overloaded",tenant="clinic"} 6',
    );
    assert.match(second, /status="429"\} 6/);
  });
});
