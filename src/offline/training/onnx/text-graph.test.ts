import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { createTextModel, forwardText, l2Normalize, type TextModel, type TextModelShape } from '../nn/text-model.ts';
import { createRng } from '../../../core/seeded-rng.ts';
import { textModelGraph, type TextGraphKind } from './text-graph.ts';

const names = { graph: 'test', ids: 'input_ids', mask: 'attention_mask', output: 'out' };
const metadata = { docString: '', producerVersion: '1', modelVersion: 1, properties: {} };

function randomModel(shape: TextModelShape): TextModel {
  const rng = createRng(3);
  const model = createTextModel(shape, rng);
  for (const layer of [...model.body, model.head])
    for (let index = 0; index < layer.bias.length; index++) layer.bias[index] = rng.normal() * 0.1;
  return model;
}

async function session(model: TextModel, kind: TextGraphKind) {
  return ort.InferenceSession.create(textModelGraph(model, kind, names).toBytes(metadata));
}

/** Feeds rows padded with id 0 / mask 0 to `length`. */
function feeds(rows: readonly number[][], length: number) {
  const ids = new BigInt64Array(rows.length * length);
  const mask = new Float32Array(rows.length * length);
  rows.forEach((row, index) =>
    row.forEach((id, position) => {
      ids[index * length + position] = BigInt(id);
      mask[index * length + position] = 1;
    }),
  );
  return {
    input_ids: new ort.Tensor('int64', ids, [rows.length, length]),
    attention_mask: new ort.Tensor('float32', mask, [rows.length, length]),
  };
}

const rows = [[5, 9, 12], [7], [3, 3, 4, 8, 1]];
const classifierShape: TextModelShape = {
  buckets: 16,
  embeddingDim: 4,
  hidden: [{ size: 6, activation: 'relu' }],
  classes: 3,
};

describe('textModelGraph', () => {
  it('computes what the trainer computes', async () => {
    const model = randomModel(classifierShape);
    const { out } = await (await session(model, 'classifier')).run(feeds(rows, 5));
    const logits = forwardText(
      model,
      rows.map((row) => Int32Array.from(row)),
    ).logits;
    const probabilities = out?.data as Float32Array;
    for (let row = 0; row < rows.length; row++) {
      const slice = logits.slice(row * 3, row * 3 + 3);
      const max = Math.max(...slice);
      const sum = slice.reduce((total, value) => total + Math.exp(value - max), 0);
      slice.forEach((value, c) =>
        assert.ok(Math.abs(probabilities[row * 3 + c]! - Math.exp(value - max) / sum) < 1e-5),
      );
    }
  });

  it('gives padded rows exactly the output of unpadded ones', async () => {
    const classifier = await session(randomModel(classifierShape), 'classifier');
    const tight = (await classifier.run(feeds(rows, 5))).out?.data;
    const loose = (await classifier.run(feeds(rows, 40))).out?.data;
    assert.deepEqual(loose, tight);
  });

  it('exports embeddings of unit length without the training head', async () => {
    const model = randomModel({
      buckets: 16,
      embeddingDim: 4,
      hidden: [{ size: 5, activation: 'tanh' }],
      classes: 3,
      normalizeScale: 10,
    });
    const embedding = await session(model, 'embedding');
    assert.deepEqual(embedding.outputNames, ['out']);
    const data = (await embedding.run(feeds(rows, 6))).out?.data as Float32Array;
    assert.equal(data.length, rows.length * 5);
    const forward = forwardText(
      model,
      rows.map((row) => Int32Array.from(row)),
    );
    const expected = l2Normalize(forward.activations[0]!, rows.length).unit;
    expected.forEach((value, index) => assert.ok(Math.abs(data[index]! - value) < 1e-5));
  });
});
