import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelRegistry } from '../src/engines/local/models/registry.ts';
import { readModelRepository } from '../src/engines/local/models/repository.ts';
import { repositoryWith as repositoryOf } from './support/repository.ts';

interface TensorDocument {
  name: string;
  dtype: string;
  shape: number[];
}
/** The parts of model.yaml these tests edit. */
interface ModelDocument {
  name: string;
  onnx: string;
  tensors: { inputs: TensorDocument[]; outputs: TensorDocument[] };
  batching: { max_batch_size: unknown; preferred_batch_sizes: number[] };
}

const repositoryWith = (change: (document: ModelDocument) => void) =>
  repositoryOf<ModelDocument>('triage-small', change);

async function loadError(root: string): Promise<string> {
  const registry = new ModelRegistry({ intraOpThreads: 1, maxItemsPerRequest: 16, loadControl: true });
  try {
    await registry.loadRepository(root);
  } catch (error) {
    return (error as Error).message;
  } finally {
    await registry.close();
  }
  assert.fail('the repository was expected not to load');
}

test('an unchanged model.yaml loads and warms up', async () => {
  const registry = new ModelRegistry({ intraOpThreads: 1, maxItemsPerRequest: 16, loadControl: true });
  await registry.loadRepository(await repositoryWith(() => {}));
  assert.equal(registry.ready, true);
  await registry.close();
});

const contradictions: Array<[string, (document: ModelDocument) => void, RegExp]> = [
  [
    'a tensor name the graph lacks',
    (d) => ((d.tensors.inputs[0] as TensorDocument).name = 'token_ids'),
    /"token_ids" is not an input of the graph/,
  ],
  [
    'a wrong dtype',
    (d) => ((d.tensors.inputs[0] as TensorDocument).dtype = 'int32'),
    /tensors\.inputs\.input_ids\.dtype: declared int32, graph has int64/,
  ],
  [
    'a wrong rank',
    (d) => ((d.tensors.inputs[1] as TensorDocument).shape = [-1]),
    /attention_mask\.shape: declared rank 1/,
  ],
  [
    'a wrong fixed dimension',
    (d) => ((d.tensors.outputs[0] as TensorDocument).shape = [-1, 5]),
    /probabilities\.shape\[1\]: declared 5, graph has 8/,
  ],
  [
    'an output the graph lacks',
    (d) => void d.tensors.outputs.push({ name: 'logits', dtype: 'float32', shape: [-1, 8] }),
    /"logits" is not an output of the graph/,
  ],
  ['an undeclared graph input', (d) => void d.tensors.inputs.pop(), /graph input "attention_mask" is not declared/],
];
for (const [name, change, message] of contradictions) {
  test(`a model.yaml with ${name} is refused at load time`, async () => {
    const error = await loadError(await repositoryWith(change));
    assert.match(error, /model\.yaml contradicts the ONNX graph/);
    assert.match(error, message);
  });
}

test('an invalid model.yaml is refused with the file and key named', async () => {
  const root = await repositoryWith((d) => (d.batching.max_batch_size = 'lots'));
  assert.throws(() => readModelRepository(root), /triage-small\/1\/model\.yaml:\n\s+batching\.max_batch_size/);
  const preferred = await repositoryWith((d) => (d.batching.preferred_batch_sizes = [64]));
  assert.throws(() => readModelRepository(preferred), /64 exceeds max_batch_size/);
  const misplaced = await repositoryWith((d) => (d.name = 'other'));
  assert.throws(() => readModelRepository(misplaced), /name "other" does not match its directory/);
});

test('a missing or corrupt ONNX file is refused', async () => {
  const missing = await repositoryWith((d) => (d.onnx = 'absent.onnx'));
  assert.throws(() => readModelRepository(missing), /onnx file absent\.onnx not found/);
  const corrupt = await repositoryWith(() => {});
  writeFileSync(join(corrupt, 'triage-small', '1', 'model.onnx'), 'not a model');
  assert.match(await loadError(corrupt), /ONNX Runtime cannot load it/);
});
