/**
 * The default models, built from scratch: deterministic, loadable, and as good as
 * their cards say when run the way sluice serves them (the serving preprocessors,
 * padded batches, onnxruntime-node).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { parse as parseYaml } from 'yaml';
import { ModelSpec } from '../src/engines/local/models/model-spec.ts';
import { makePreprocessor } from '../src/engines/local/preprocess/index.ts';
import type { Row } from '../src/core/tensors.ts';
import {
  buildDefaultModels,
  DEFAULT_MODEL_NAMES,
  defaultModelsPresent,
  type BuiltModelSummary,
} from '../src/offline/training/build-models.ts';

interface LoadedModel {
  readonly spec: ModelSpec;
  readonly session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  readonly golden: Array<Record<string, unknown>>;
  /** One output row per golden item. */
  readonly outputs: Float32Array[];
}

/** Pads each batch's rows with zeros to the longest, as the serving batcher does. */
function stack(rows: readonly Row[]): Record<string, InstanceType<typeof ort.Tensor>> {
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const name of Object.keys(rows[0] ?? {})) {
    const tensors = rows.map((row) => row[name]!);
    const width = Math.max(...tensors.map((tensor) => tensor.dims[0] ?? 1));
    if (tensors[0]?.dtype === 'int64') {
      const data = new BigInt64Array(rows.length * width);
      tensors.forEach((tensor, index) => data.set(tensor.data as BigInt64Array, index * width));
      feeds[name] = new ort.Tensor('int64', data, [rows.length, width]);
    } else {
      const data = new Float32Array(rows.length * width);
      tensors.forEach((tensor, index) => data.set(tensor.data as Float32Array, index * width));
      feeds[name] = new ort.Tensor('float32', data, [rows.length, width]);
    }
  }
  return feeds;
}

async function loadModel(root: string, name: string): Promise<LoadedModel> {
  const dir = join(root, name, '1');
  const spec = ModelSpec.parse(parseYaml(await readFile(join(dir, 'model.yaml'), 'utf8')));
  const session = await ort.InferenceSession.create(join(dir, spec.onnx));
  const golden = (await readFile(join(dir, 'golden.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const preprocess = makePreprocessor(spec);
  const rows = golden.map(({ label: _label, ...item }) => preprocess(item));
  const output = spec.tensors.outputs[0]!.name;
  const outputs: Float32Array[] = [];
  for (let start = 0; start < rows.length; start += 32) {
    const batch = rows.slice(start, start + 32);
    const data = (await session.run(stack(batch)))[output]!.data as Float32Array;
    const width = data.length / batch.length;
    batch.forEach((_, index) => outputs.push(data.slice(index * width, (index + 1) * width)));
  }
  return { spec, session, golden, outputs };
}

function classifierAccuracy(model: LoadedModel): number {
  const labels = model.spec.labels ?? [];
  const correct = model.outputs.filter((probabilities, index) => {
    const best = probabilities.indexOf(Math.max(...probabilities));
    return labels[best] === model.golden[index]!.label;
  }).length;
  return correct / model.golden.length;
}

function auc(scores: readonly number[], labels: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((positive, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((negative, j) => {
      if (labels[j] !== 0) return;
      pairs += 1;
      wins += positive > negative ? 1 : positive === negative ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, index) => sum + value * b[index]!, 0);
}

describe('default model build', { timeout: 240_000 }, () => {
  let first: string;
  let second: string;
  let reseeded: string;
  let firstSummaries: BuiltModelSummary[];
  let secondSummaries: BuiltModelSummary[];
  const models = new Map<string, LoadedModel>();

  before(async () => {
    first = await mkdtemp(join(tmpdir(), 'sluice-models-a-'));
    second = await mkdtemp(join(tmpdir(), 'sluice-models-b-'));
    reseeded = await mkdtemp(join(tmpdir(), 'sluice-models-c-'));
    firstSummaries = await buildDefaultModels(first);
    secondSummaries = await buildDefaultModels(second);
    for (const name of DEFAULT_MODEL_NAMES) models.set(name, await loadModel(first, name));
  });

  after(async () => {
    for (const model of models.values()) await model.session.release();
    await Promise.all([first, second, reseeded].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const model = (name: string): LoadedModel => models.get(name) ?? assert.fail(`${name} not loaded`);

  it('writes all four models and reports them present', () => {
    assert.deepEqual(
      firstSummaries.map((summary) => summary.name),
      [...DEFAULT_MODEL_NAMES],
    );
    assert.equal(defaultModelsPresent(first), true);
    assert.equal(defaultModelsPresent(reseeded), false);
  });

  it('is deterministic: the same seed writes the same bytes and metrics', async () => {
    assert.deepEqual(
      secondSummaries.map((summary) => summary.metrics),
      firstSummaries.map((summary) => summary.metrics),
    );
    for (const name of DEFAULT_MODEL_NAMES) {
      for (const file of ['model.onnx', 'model.yaml', 'README.md', 'golden.jsonl']) {
        const [a, b] = await Promise.all([first, second].map((root) => readFile(join(root, name, '1', file))));
        assert.ok(a!.equals(b!), `${name}/${file} differs between two builds`);
      }
    }
  });

  it('gives different weights for a different seed', async () => {
    const summaries = await buildDefaultModels(reseeded, { seed: 8, models: ['triage-small', 'noshow-risk'] });
    assert.deepEqual(
      summaries.map((summary) => summary.name),
      ['triage-small', 'noshow-risk'],
    );
    for (const summary of summaries) {
      const original = firstSummaries.find((candidate) => candidate.name === summary.name);
      assert.notEqual(summary.onnxSha256, original?.onnxSha256, summary.name);
    }
  });

  it('writes model.yaml files whose tensors match the ONNX sessions', () => {
    for (const name of DEFAULT_MODEL_NAMES) {
      const { spec, session } = model(name);
      assert.equal(spec.name, name);
      assert.deepEqual(
        [...session.inputNames],
        spec.tensors.inputs.map((tensor) => tensor.name),
        name,
      );
      assert.deepEqual(
        [...session.outputNames],
        spec.tensors.outputs.map((tensor) => tensor.name),
        name,
      );
      assert.equal(spec.card.build_seconds, undefined);
    }
  });

  it('reproduces each classifier card accuracy through the serving path', () => {
    for (const name of ['triage-small', 'triage-large']) {
      const { spec } = model(name);
      assert.ok(Math.abs(classifierAccuracy(model(name)) - Number(spec.card.golden_accuracy)) < 1e-9, name);
    }
  });

  it('makes triage-large more accurate than triage-small on the golden set', () => {
    const small = classifierAccuracy(model('triage-small'));
    const large = classifierAccuracy(model('triage-large'));
    assert.ok(small > 0.7, `triage-small ${small}`);
    assert.ok(large > small, `triage-large ${large} vs triage-small ${small}`);
  });

  it('embeds to unit vectors, same-intent messages closer than others', () => {
    const { outputs, golden, spec } = model('embed');
    for (const vector of outputs) assert.ok(Math.abs(Math.sqrt(cosine(vector, vector)) - 1) < 1e-5);
    let same = 0;
    let sameCount = 0;
    let other = 0;
    let otherCount = 0;
    for (let i = 0; i < outputs.length; i++) {
      for (let j = i + 1; j < outputs.length; j++) {
        const similarity = cosine(outputs[i]!, outputs[j]!);
        if (golden[i]!.label === golden[j]!.label) [same, sameCount] = [same + similarity, sameCount + 1];
        else [other, otherCount] = [other + similarity, otherCount + 1];
      }
    }
    assert.ok(same / sameCount > other / otherCount + 0.3, `same ${same / sameCount}, other ${other / otherCount}`);
    assert.ok(Math.abs(same / sameCount - Number(spec.card.golden_mean_cosine_same_intent)) < 1e-6);
  });

  it('ranks no-shows better than chance and beats the base rate', () => {
    const { outputs, golden, spec } = model('noshow-risk');
    const scores = outputs.map((row) => row[0]!);
    const labels = golden.map((item) => Number(item.label));
    const baseRate = labels.filter((label) => label === 1).length / labels.length;
    const accuracy = scores.filter((score, index) => (score >= 0.5 ? 1 : 0) === labels[index]).length / labels.length;
    const rocAuc = auc(scores, labels);
    assert.ok(rocAuc > 0.7, `AUC ${rocAuc}`);
    assert.ok(accuracy > Math.max(baseRate, 1 - baseRate), `accuracy ${accuracy}, base rate ${baseRate}`);
    assert.ok(Math.abs(rocAuc - Number(spec.card.golden_auc)) < 1e-9);
    assert.ok(Math.abs(accuracy - Number(spec.card.golden_accuracy)) < 1e-9);
  });
});
