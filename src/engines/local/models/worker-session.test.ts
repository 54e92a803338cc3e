import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CRASH_SEQUENCE_LENGTH, CRASHING_SESSION_WORKER } from '../../../../test/support/crashing-session-worker.ts';
import { defaultModelsDir } from '../../../../test/support/models.ts';
import { stackRows } from '../batching/assemble.ts';
import { makePreprocessor, type Item } from '../preprocess/index.ts';
import type { BatchTensors } from '../../../core/tensors.ts';
import { SessionLostError, type ModelSession } from './model-session.ts';
import { ModelLoadError, openOnnxSession } from './onnx-session.ts';
import { readModelRepository, type ModelVersionEntry } from './repository.ts';
import { openWorkerSession } from './worker-session.ts';

const OPTIONS = { intraOpThreads: 1 };

async function entry(name: string): Promise<ModelVersionEntry> {
  const found = readModelRepository(await defaultModelsDir()).find((candidate) => candidate.spec.name === name);
  assert.ok(found, `default model ${name}`);
  return found;
}

/** The model's golden items (labels dropped), preprocessed and stacked as the batcher would. */
function goldenBatch(model: ModelVersionEntry, size: number): BatchTensors {
  const lines = readFileSync(join(model.dir, 'golden.jsonl'), 'utf8').trim().split('\n').slice(0, size);
  const items = lines.map((line) => {
    const item = JSON.parse(line) as Record<string, unknown>;
    delete item['label'];
    return item as Item;
  });
  const preprocess = makePreprocessor(model.spec);
  return stackRows(items.map(preprocess), model.spec.tensors.inputs, model.spec.batching.ragged);
}

/** A batch of text rows of `tokens` ids each, far beyond what the batcher would form. */
function textBatch(rows: number, tokens: number): BatchTensors {
  const ids = new BigInt64Array(rows * tokens).map((_, index) => BigInt((index * 7919) % 4096));
  return {
    input_ids: { dtype: 'int64', data: ids, dims: [rows, tokens] },
    attention_mask: { dtype: 'float32', data: new Float32Array(rows * tokens).fill(1), dims: [rows, tokens] },
  };
}

/**
 * Turns of this thread's event loop, counted by a setImmediate that re-arms itself, from
 * when the run is posted until it settles. A run that blocks the loop leaves room for at
 * most one (the probe may be queued just before ONNX Runtime's own setImmediate); every
 * further turn happened while the batch was in flight.
 */
async function loopTurnsDuring(run: () => Promise<BatchTensors>): Promise<number> {
  let settled = false;
  let turns = 0;
  const probe = (): void => {
    if (settled) return;
    turns += 1;
    setImmediate(probe);
  };
  const running = run();
  setImmediate(probe);
  await running.finally(() => (settled = true));
  return turns;
}

async function closeAll(...sessions: ModelSession[]): Promise<void> {
  await Promise.all(sessions.map((session) => session.release()));
}

describe('a session in a worker thread', () => {
  for (const name of ['triage-small', 'triage-large', 'embed', 'noshow-risk']) {
    it(`gives ${name}'s outputs as the in-process session does, within 1e-6`, async () => {
      const model = await entry(name);
      const inProcess = await openOnnxSession(model.onnxPath, model.spec.tensors, OPTIONS);
      const worker = await openWorkerSession(model.onnxPath, model.spec.tensors, OPTIONS);
      try {
        const expected = await inProcess.run(goldenBatch(model, 16));
        const actual = await worker.run(goldenBatch(model, 16));
        assert.deepEqual(Object.keys(actual), Object.keys(expected));
        for (const [output, tensor] of Object.entries(expected)) {
          const got = actual[output];
          assert.ok(got !== undefined);
          assert.equal(got.dtype, tensor.dtype);
          assert.deepEqual(got.dims, tensor.dims);
          tensor.data.forEach((value, index) => assert.ok(Math.abs(Number(value) - Number(got.data[index])) <= 1e-6, `${output}[${index}]`));
        }
      } finally {
        await closeAll(inProcess, worker);
      }
    });
  }

  it('leaves the event loop turning while a large batch runs; in-process, the same batch stalls it', async () => {
    const model = await entry('triage-large');
    const inProcess = await openOnnxSession(model.onnxPath, model.spec.tensors, OPTIONS);
    const worker = await openWorkerSession(model.onnxPath, model.spec.tensors, OPTIONS);
    try {
      // 256 rows of 256 tokens: eight times the largest batch triage-large forms.
      const blocked = await loopTurnsDuring(() => inProcess.run(textBatch(256, 256)));
      const free = await loopTurnsDuring(() => worker.run(textBatch(256, 256)));
      assert.ok(blocked <= 1, `in-process: ${blocked} turns of the loop during the run`);
      assert.ok(free >= 2, `worker: ${free} turns of the loop during the run`);
    } finally {
      await closeAll(inProcess, worker);
    }
  });

  it('rejects a run ONNX Runtime refuses with its own message, and carries on', async () => {
    const model = await entry('triage-small');
    const inProcess = await openOnnxSession(model.onnxPath, model.spec.tensors, OPTIONS);
    const worker = await openWorkerSession(model.onnxPath, model.spec.tensors, OPTIONS);
    const wrongType = (): BatchTensors => ({ ...textBatch(1, 4), input_ids: { dtype: 'float32', data: new Float32Array(4), dims: [1, 4] } });
    try {
      const expected = await inProcess.run(wrongType()).then(() => assert.fail('ONNX Runtime accepted float ids'), (error: Error) => error.message);
      await assert.rejects(worker.run(wrongType()), (error: Error) => error.message === expected && !(error instanceof SessionLostError));
      const after = await worker.run(textBatch(2, 4));
      assert.deepEqual(after['probabilities']?.dims, [2, 8], 'the worker still serves');
    } finally {
      await closeAll(inProcess, worker);
    }
  });

  it('refuses a corrupt ONNX file or a contradicting model.yaml at open, with the in-process messages', async () => {
    const model = await entry('triage-small');
    const corrupt = join(mkdtempSync(join(tmpdir(), 'sluice-corrupt-')), 'model.onnx');
    writeFileSync(corrupt, 'not a model');
    const wrongDtype = { ...model.spec.tensors, inputs: model.spec.tensors.inputs.map((spec) => (spec.name === 'input_ids' ? { ...spec, dtype: 'int32' as const } : spec)) };
    for (const [path, declared] of [[corrupt, model.spec.tensors], [model.onnxPath, wrongDtype]] as const) {
      const expected = await openOnnxSession(path, declared, OPTIONS).then(() => assert.fail('opened'), (error: Error) => error.message);
      await assert.rejects(openWorkerSession(path, declared, OPTIONS), (error: Error) => error instanceof ModelLoadError && error.message === expected);
    }
  });

  it('refuses to open when its worker cannot start', async () => {
    const model = await entry('triage-small');
    const missing = new URL('./no-such-worker.ts', import.meta.url);
    await assert.rejects(openWorkerSession(model.onnxPath, model.spec.tensors, OPTIONS, missing), (error: Error) => {
      return error instanceof ModelLoadError && /triage-small.*worker thread stopped before the session opened/s.test(error.message);
    });
  });

  it('fails the run in flight when its worker crashes, reports the loss once, and refuses further runs', async () => {
    const model = await entry('triage-small');
    const session = await openWorkerSession(model.onnxPath, model.spec.tensors, OPTIONS, CRASHING_SESSION_WORKER);
    const losses: Error[] = [];
    session.onLost?.((error) => losses.push(error));
    assert.deepEqual((await session.run(textBatch(2, 8)))['probabilities']?.dims, [2, 8]);
    const crash = await session.run(textBatch(2, CRASH_SEQUENCE_LENGTH)).then(() => assert.fail('the crash run resolved'), (error: Error) => error);
    assert.ok(crash instanceof SessionLostError);
    assert.match(crash.message, /worker thread stopped unexpectedly \(injected crash: a 64-token row\)/);
    assert.deepEqual(losses, [crash], 'listeners hear of the loss once, with the error the run failed with');
    await assert.rejects(session.run(textBatch(1, 8)), (error: Error) => error === crash);
    const late = await new Promise<Error>((resolve) => session.onLost?.(resolve));
    assert.equal(late, crash, 'a listener added after the loss hears of it at once');
    await session.release();
  });

  it('releases only after the run in flight has finished, and runs nothing afterwards', async () => {
    const model = await entry('triage-small');
    const session = await openWorkerSession(model.onnxPath, model.spec.tensors, OPTIONS);
    const running = session.run(textBatch(64, 64));
    const released = session.release();
    assert.equal(session.release(), released, 'releasing twice is one release');
    assert.deepEqual((await running)['probabilities']?.dims, [64, 8], 'the run in flight was answered, not dropped');
    await released;
    await assert.rejects(session.run(textBatch(1, 4)), /is closed/);
  });

  it('starts with tsx registered only in the main thread (as bin/sluice.js does), and an idle session never keeps the process alive', async () => {
    const model = await entry('triage-small');
    const onnxPath = join(mkdtempSync(join(tmpdir(), 'sluice-idle-')), 'model.onnx');
    copyFileSync(model.onnxPath, onnxPath);
    // Not released on purpose: the process must still exit once its work is done.
    const script = `
      (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();
      const { openWorkerSession } = await import(${JSON.stringify(new URL('./worker-session.ts', import.meta.url).href)});
      const session = await openWorkerSession(${JSON.stringify(onnxPath)}, ${JSON.stringify(model.spec.tensors)}, { intraOpThreads: 1 });
      const ids = new BigInt64Array([1n, 2n, 3n]);
      const out = await session.run({ input_ids: { dtype: 'int64', data: ids, dims: [1, 3] }, attention_mask: { dtype: 'float32', data: new Float32Array(3).fill(1), dims: [1, 3] } });
      console.log(JSON.stringify(out.probabilities.dims));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, 'the process exited by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '[1,8]');
  });
});
