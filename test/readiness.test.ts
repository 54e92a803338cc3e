import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestSluice } from './support/server.ts';
import { defaultModelsDir } from './support/models.ts';

test('the server and each model say not ready until warm-up at every batch size is done', async () => {
  const sluice = await startTestSluice({ load: false });
  try {
    const notLoaded = await sluice.app.inject('/v2/health/ready');
    assert.equal(notLoaded.statusCode, 503);
    assert.deepEqual(notLoaded.json(), { ready: false, reason: 'loading models' });
    assert.deepEqual((await sluice.app.inject('/v2/health/live')).json(), { live: true });

    const loading = sluice.models.loadRepository(await defaultModelsDir());
    // Loading is under way: models are registered and load one after another in name
    // order, so triage-small, the last, cannot have finished its warm-up yet.
    const during = await sluice.app.inject('/v2/health/ready');
    assert.equal(during.statusCode, 503);
    const model = await sluice.app.inject('/v2/models/triage-small/ready');
    assert.equal(model.statusCode, 503);
    assert.equal(model.json().ready, false);
    const infer = await sluice.app.inject({
      method: 'POST',
      url: '/v2/models/triage-small/infer',
      payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['hi'] }] },
    });
    assert.equal(infer.statusCode, 503);
    assert.equal(infer.headers['x-sluice-error-code'], 'ERR_MODEL_NOT_READY');

    await loading;
    assert.equal((await sluice.app.inject('/v2/health/ready')).statusCode, 200);
    assert.equal((await sluice.app.inject('/v2/models/triage-large/ready')).json().ready, true);
    // Warm-up ran one batch at every size 1..max_batch_size before traffic, and none of
    // them is counted as served traffic.
    const stats = sluice.models.resolve('triage-large').stats();
    assert.equal(stats?.executedBatches, 0);
    assert.deepEqual(
      sluice.models.resolve('triage-large').warmedBatchSizes,
      Array.from({ length: 32 }, (_, index) => index + 1),
    );
  } finally {
    await sluice.close();
  }
});
