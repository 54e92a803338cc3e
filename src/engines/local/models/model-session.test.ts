import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultModelsDir } from '../../../../test/support/models.ts';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { openModelSession } from './open-model-session.ts';
import { readModelRepository } from './repository.ts';

test('models.execution is worker by default, main on request, and anything else is refused with the key named', () => {
  assert.equal(loadConfig({ env: {} }).models.execution, 'worker');
  assert.equal(loadConfig({ env: { SLUICE_MODELS__EXECUTION: 'main' } }).models.execution, 'main');
  assert.throws(() => loadConfig({ env: { SLUICE_MODELS__EXECUTION: 'threads' } }), (error: Error) => {
    return error instanceof ConfigError && /models\.execution: .*"worker".*"main"/.test(error.message);
  });
});

test('openModelSession opens a worker session unless main execution is asked for', async () => {
  const entry = readModelRepository(await defaultModelsDir()).find((candidate) => candidate.spec.name === 'triage-small');
  assert.ok(entry !== undefined);
  const worker = await openModelSession(entry.onnxPath, entry.spec.tensors, { intraOpThreads: 1 });
  const main = await openModelSession(entry.onnxPath, entry.spec.tensors, { intraOpThreads: 1, execution: 'main' });
  try {
    assert.equal(typeof worker.onLost, 'function', 'a worker session can be lost');
    assert.equal(main.onLost, undefined, 'an in-process session cannot');
  } finally {
    await Promise.all([worker.release(), main.release()]);
  }
});
