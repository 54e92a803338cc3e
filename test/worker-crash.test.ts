/**
 * A model instance whose worker thread crashes, end to end: the batch it was running
 * fails with a 500, nothing else waits on it, and the instance is replaced; if the
 * replacement cannot start, the model turns failed (503) instead of leaving requests
 * queued for an instance that will never come.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelSession, OpenSession } from '../src/engines/local/models/model-session.ts';
import { ModelLoadError } from '../src/engines/local/models/onnx-session.ts';
import { openWorkerSession } from '../src/engines/local/models/worker-session.ts';
import type { Sluice } from '../src/http/server.ts';
import { CRASHING_SESSION_WORKER } from './support/crashing-session-worker.ts';
import { until } from './support/held-sessions.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

/** 80 words: triage-small keeps 64 tokens, the length the crashing worker dies on. */
const LONG_MESSAGE = Array.from({ length: 80 }, (_, index) => `word${index}`).join(' ');

/** Opens sessions on the crashing worker; `opens` of them succeed, later ones fail; `gate` holds runs before they reach the worker. */
function crashingSessions(opens: number) {
  let opened = 0;
  /** Past `opens`, sessions fail to open ("disk gone") until the disk comes back. */
  let diskBack = false;
  let letGo: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  let held = 0;
  const open: OpenSession = async (path, declared, options) => {
    opened += 1;
    if (opened > opens && !diskBack) throw new ModelLoadError(`${path}: disk gone`);
    const session = await openWorkerSession(path, declared, options, CRASHING_SESSION_WORKER);
    const wrapped: ModelSession = {
      run: async (batch) => {
        held += 1;
        await gate;
        held -= 1;
        return session.run(batch);
      },
      release: () => session.release(),
      onLost: (listener) => session.onLost?.(listener),
    };
    return wrapped;
  };
  return {
    open,
    opened: () => opened,
    held: () => held,
    hold: () => (gate = new Promise<void>((resolve) => (letGo = resolve))),
    release: () => letGo?.(),
    diskComesBack: () => (diskBack = true),
  };
}

const predict = (sluice: Sluice, text: string) =>
  sluice.app.inject({ method: 'POST', url: '/v1/models/triage-small:predict', payload: { instances: [text] } });

test('a crashed worker fails its batch with a 500, and a new instance replaces it while the model stays ready', async () => {
  const sessions = crashingSessions(2);
  const sluice = await startTestSluice({
    repository: await repositoryWith('triage-small', () => {}),
    openSession: sessions.open,
  });
  try {
    const crashed = await predict(sluice, LONG_MESSAGE);
    assert.equal(crashed.statusCode, 500);
    assert.equal(crashed.headers['x-sluice-error-code'], 'ERR_INFERENCE_FAILED');
    assert.match(
      crashed.json().error,
      /model "triage-small" failed to run: the ONNX Runtime worker thread stopped unexpectedly \(injected crash/,
    );
    await until(
      () => sluice.models.resolve('triage-small').loadStats()?.instances.ready === 1,
      'the replacement is warm',
    );
    assert.equal(sessions.opened(), 2, 'one replacement');
    assert.equal((await sluice.app.inject('/v2/health/ready')).statusCode, 200);
    const served = await predict(sluice, 'I need a refill of my prescription');
    assert.equal(served.statusCode, 200);
    assert.equal(served.json().predictions.length, 1);
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(
      metrics,
      /^sluice_model_instances_lost_total\{model="triage-small",version="1"\} 1$/m,
      'the crash is counted',
    );
  } finally {
    await sluice.close();
  }
});

test('when the replacement cannot start, the model turns failed (503 at once, readiness fails) and serves again once a retried replacement starts', async () => {
  const sessions = crashingSessions(1);
  const sluice = await startTestSluice({
    repository: await repositoryWith('triage-small', () => {}),
    openSession: sessions.open,
    replaceBackoffMs: { first: 20, max: 100 },
  });
  try {
    const model = sluice.models.resolve('triage-small');
    sessions.hold();
    const crashing = predict(sluice, LONG_MESSAGE);
    await until(() => sessions.held() === 1, 'the long message is running');
    const queued = predict(sluice, 'what time is my appointment');
    await until(() => model.stats()?.queued === 1, 'a second request waits behind it');
    sessions.release();

    assert.equal((await crashing).statusCode, 500);
    const waited = await queued;
    assert.equal(waited.statusCode, 503);
    assert.equal(waited.headers['x-sluice-error-code'], 'ERR_MODEL_NOT_READY');
    assert.match(
      waited.json().error,
      /model "triage-small" version 1 is failed: an instance was lost and could not be replaced: .*disk gone/,
    );
    assert.equal(model.state, 'failed');
    assert.equal((await sluice.app.inject('/v2/health/ready')).statusCode, 503);
    const refused = await predict(sluice, 'billing question');
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['x-sluice-error-code'], 'ERR_MODEL_NOT_READY');
    assert.match(model.failureReason ?? '', /\(retrying\)/);

    await until(() => sessions.opened() >= 4, 'the replacement is retried while it fails');
    sessions.diskComesBack();
    await until(() => model.state === 'ready', 'a retry starts an instance and the model serves again');
    assert.equal(model.failureReason, undefined);
    assert.equal((await sluice.app.inject('/v2/health/ready')).statusCode, 200);
    const served = await predict(sluice, 'billing question');
    assert.equal(served.statusCode, 200);
  } finally {
    await sluice.close();
  }
});
