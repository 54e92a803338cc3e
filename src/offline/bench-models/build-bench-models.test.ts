import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stackRows } from '../../engines/local/batching/assemble.ts';
import { openOnnxSession } from '../../engines/local/models/onnx-session.ts';
import { readModelRepository, type ModelVersionEntry } from '../../engines/local/models/repository.ts';
import { makePreprocessor } from '../../engines/local/preprocess/index.ts';
import { BENCH_MODEL_NAMES, buildBenchModels } from './build-bench-models.ts';
import { imageSmallModel } from './image-small.ts';

const FILES = ['model.onnx', 'model.yaml', 'README.md', 'golden.jsonl'];

describe('buildBenchModels', () => {
  let root: string;
  let entries: ModelVersionEntry[];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-bench-models-'));
    await buildBenchModels(join(root, 'a'), { seed: 7 });
    entries = readModelRepository(join(root, 'a'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('writes a repository the server reads: version 1 of each model, tensor task, raw FP32 input, batching declared', () => {
    assert.deepEqual(
      entries.map((entry) => [entry.spec.name, entry.spec.version]),
      BENCH_MODEL_NAMES.map((name) => [name, '1']),
    );
    for (const { spec } of entries) {
      assert.equal(spec.task, 'tensor');
      assert.equal(spec.preprocessing.kind, 'none');
      assert.deepEqual(
        spec.inputs.map((input) => input.datatype),
        ['FP32'],
      );
      assert.ok(spec.batching.max_batch_size >= 16);
      assert.ok(spec.batching.preferred_batch_sizes.length > 0);
      assert.ok(spec.cost.per_item > 0);
    }
  });

  it('gives image-small an input of at least 100 KB per item', () => {
    const image = entries.find((entry) => entry.spec.name === 'image-small');
    const perItem = image?.spec.tensors.inputs[0]?.shape.slice(1).reduce((product, dim) => product * dim, 4);
    assert.ok((perItem ?? 0) >= 100_000, `${perItem} bytes per item`);
  });

  it('writes ONNX that opens with the declared tensors and runs a batch of golden items', async () => {
    for (const { spec, onnxPath, dir } of entries) {
      // openOnnxSession refuses a graph whose inputs or outputs contradict model.yaml.
      const session = await openOnnxSession(onnxPath, spec.tensors, { intraOpThreads: 1 });
      const lines = (await readFile(join(dir, 'golden.jsonl'), 'utf8')).trim().split('\n');
      const items = lines.slice(0, 3).map((line) => JSON.parse(line) as Record<string, unknown>);
      const batch = stackRows(items.map(makePreprocessor(spec)), spec.tensors.inputs, 'group');
      const outputs = await session.run(batch);
      await session.release();
      const declared = spec.tensors.outputs[0];
      const output = outputs[declared?.name ?? ''];
      assert.deepEqual(output?.dims, [3, declared?.shape[1]]);
      assert.ok([...(output?.data ?? [])].every((value) => Number.isFinite(Number(value))));
    }
  });

  it('writes identical bytes for the same seed and different weights for another', async () => {
    await buildBenchModels(join(root, 'b'), { seed: 7 });
    for (const name of BENCH_MODEL_NAMES) {
      for (const file of FILES) {
        const [a, b] = await Promise.all(['a', 'b'].map((copy) => readFile(join(root, copy, name, '1', file))));
        assert.ok(a?.equals(b as Buffer), `${name}/1/${file} differs between two builds with seed 7`);
      }
    }
    // In memory, and only the small model: a third build of dense-heavy would double the test's time.
    const seven = await readFile(join(root, 'a', 'image-small', '1', 'model.onnx'));
    assert.ok(!seven.equals(imageSmallModel(8).onnx), 'image-small has the same weights for seeds 7 and 8');
  });
});
