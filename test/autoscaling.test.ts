import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeldSessions, until } from './support/held-sessions.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

interface ScalingDocument {
  instances?: Record<string, number>;
}

test('queued work scales a model up, the new instance warms before traffic, quiet scales it down', async () => {
  const repository = await repositoryWith<ScalingDocument>('triage-small', (document) => {
    document.instances = {
      min_instances: 1,
      max_instances: 2,
      target_ongoing_requests: 2,
      upscale_delay_s: 0,
      downscale_delay_s: 0.2,
      metrics_interval_s: 0.02,
      look_back_period_s: 0.05,
    };
  });
  const sessions = new HeldSessions();
  const sluice = await startTestSluice({ repository, openSession: sessions.open });
  const model = sluice.models.resolve('triage-small');
  const instances = () => model.loadStats()?.instances;
  const infer = (text: string) =>
    sluice.app.inject({ method: 'POST', url: '/v1/models/triage-small:predict', payload: { instances: [text] } });
  try {
    assert.equal(instances()?.ready, 1);
    sessions.hold();
    const requests = Array.from({ length: 8 }, (_, index) => infer(`message ${index}`));
    // Two rows per instance is the target: eight rows queued or running call for a second
    // instance, whose warm-up batches are held like everything else, so it stays starting.
    await until(() => instances()?.starting === 1, 'a second instance is starting');
    assert.equal(instances()?.ready, 1, 'the new instance takes no traffic before its warm-up');
    sessions.release();
    const responses = await Promise.all(requests);
    for (const response of responses) assert.equal(response.statusCode, 200);
    await until(
      () => instances()?.ready === 2 || model.loadStats()?.autoscaler?.decisions === 2,
      'the second instance became ready',
    );
    await until(
      () => instances()?.ready === 1 && instances()?.starting === 0,
      'the quiet model scaled back down',
      10_000,
    );
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(metrics, /sluice_autoscaler_decisions_total\{model="triage-small",version="1",direction="up"\} 1/);
    assert.match(metrics, /sluice_autoscaler_decisions_total\{model="triage-small",version="1",direction="down"\} 1/);
    const stats = (await sluice.app.inject('/v2/models/triage-small/stats')).json().model_stats[0];
    assert.equal(stats.autoscaler.last_decision.to, 1);
    assert.match(stats.autoscaler.last_decision.reason, /./);
    assert.equal((await infer('after scaling down')).statusCode, 200);
  } finally {
    sessions.release();
    await sluice.close();
  }
});
