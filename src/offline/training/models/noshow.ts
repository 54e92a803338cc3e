/**
 * `noshow-risk`: probability that a patient misses an appointment, from six
 * tabular fields, with a 16-unit MLP trained on synthetic records.
 */
import { deriveSeed } from '../../../core/seeded-rng.ts';
import type { TabularPreprocessing } from '../../../engines/local/models/model-spec.ts';
import { tabularFeatureCount, tabularFeatures, tabularRow } from '../../../engines/local/preprocess/tabular.ts';
import { CHANNELS, WEEKDAYS, type NoshowExample } from '../data/noshow-generator.ts';
import { rocAuc } from '../eval/metrics.ts';
import { createSession, runRows } from '../eval/ort-runner.ts';
import { trainBinaryMlp, type TabularTrainOptions } from '../nn/tabular-trainer.ts';
import { tabularModelGraph } from '../onnx/tabular-graph.ts';
import { MODEL_VERSION, sha256, type ModelArtifacts, type ModelSpecDocument } from './artifacts.ts';
import { noshowReadme } from './noshow-card.ts';

export const NOSHOW_NAME = 'noshow-risk';
const FEATURES = 'features';
const OUTPUT = 'probability';
const SUMMARY = 'Probability that a patient does not show up for a booked appointment (synthetic data; 16-unit MLP).';
const TRAINING: Omit<TabularTrainOptions, 'seed' | 'log'> = { hidden: [16], epochs: 30, batchSize: 64, learningRate: 3e-3, weightDecay: 1e-4 };

export interface NoshowCorpus {
  readonly train: readonly NoshowExample[];
  readonly golden: readonly NoshowExample[];
}

const INPUTS: ModelSpecDocument['inputs'] = [
  { name: 'age', datatype: 'FP32', shape: [], schema: { type: 'number', minimum: 0, maximum: 120 } },
  { name: 'lead_time_days', datatype: 'FP32', shape: [], schema: { type: 'number', minimum: 0, maximum: 365 } },
  { name: 'prior_no_shows', datatype: 'INT64', shape: [], schema: { type: 'integer', minimum: 0, maximum: 50 } },
  { name: 'reminder_sent', datatype: 'BOOL', shape: [], schema: { type: 'boolean' } },
  { name: 'weekday', datatype: 'BYTES', shape: [], schema: { type: 'string', enum: [...WEEKDAYS] } },
  { name: 'channel', datatype: 'BYTES', shape: [], schema: { type: 'string', enum: [...CHANNELS] } },
];

export async function buildNoshowModel(corpus: NoshowCorpus, seed: number, log: (line: string) => void): Promise<ModelArtifacts> {
  const preprocessing = fitPreprocessing(corpus.train);
  const features = corpus.train.map((example) => tabularFeatures({ ...example.item }, preprocessing));
  const layers = trainBinaryMlp(features, corpus.train.map((example) => example.label), { ...TRAINING, seed: deriveSeed(seed, `${NOSHOW_NAME}/train`), log: (line) => log(`${NOSHOW_NAME}: ${line}`) });
  const onnx = tabularModelGraph(layers, { graph: NOSHOW_NAME, features: FEATURES, output: OUTPUT }).toBytes({
    docString: SUMMARY,
    producerVersion: MODEL_VERSION,
    modelVersion: Number(MODEL_VERSION),
    properties: { seed: String(seed) },
  });
  const card = {
    ...(await goldenMetrics(onnx, corpus.golden, preprocessing)),
    golden_size: corpus.golden.length,
    train_size: corpus.train.length,
    seed,
    parameters: layers.reduce((sum, layer) => sum + layer.weight.length + layer.bias.length, 0),
    flops_per_item: layers.reduce((sum, layer) => sum + 2 * layer.inputs * layer.outputs + 2 * layer.outputs, 0),
    epochs: TRAINING.epochs,
    onnx_sha256: sha256(onnx),
  };
  const spec: ModelSpecDocument = {
    name: NOSHOW_NAME,
    version: MODEL_VERSION,
    task: 'tabular-classification',
    description: SUMMARY,
    onnx: 'model.onnx',
    inputs: INPUTS,
    preprocessing,
    tensors: {
      inputs: [{ name: FEATURES, dtype: 'float32', shape: [-1, tabularFeatureCount(preprocessing)], pad_value: 0 }],
      outputs: [{ name: OUTPUT, dtype: 'float32', shape: [-1, 1] }],
    },
    batching: { max_batch_size: 64, max_queue_delay_ms: 1, preferred_batch_sizes: [16, 64], ragged: 'group' },
    warmup: { samples: corpus.golden.slice(0, 3).map((example) => ({ ...example.item })) },
    cost: { per_item: 0.2, unit: 'compute-units' },
    card,
  };
  const golden = corpus.golden.map((example) => ({ ...example.item, label: example.label }));
  return { spec, onnx, readme: noshowReadme({ summary: SUMMARY, preprocessing, training: TRAINING, card }), golden, metrics: { golden_auc: card.golden_auc } };
}

/** Means and standard deviations come from the training split only. */
function fitPreprocessing(train: readonly NoshowExample[]): TabularPreprocessing {
  const numeric = (name: 'age' | 'lead_time_days' | 'prior_no_shows') => {
    const values = train.map((example) => example.item[name]);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    return { name, kind: 'numeric' as const, mean, std: Math.sqrt(variance) || 1 };
  };
  return {
    kind: 'tabular',
    fields: [
      numeric('age'),
      numeric('lead_time_days'),
      numeric('prior_no_shows'),
      { name: 'reminder_sent', kind: 'boolean' },
      { name: 'weekday', kind: 'categorical', categories: [...WEEKDAYS] },
      { name: 'channel', kind: 'categorical', categories: [...CHANNELS] },
    ],
    features_tensor: FEATURES,
  };
}

/** Ranking and threshold metrics of the exported model, with the base rate and the hidden model's AUC for scale. */
async function goldenMetrics(onnx: Uint8Array, golden: readonly NoshowExample[], preprocessing: TabularPreprocessing) {
  const probabilities = await scoreWithOrt(onnx, golden, preprocessing);
  const labels = golden.map((example) => example.label);
  const baseRate = labels.filter((label) => label === 1).length / labels.length;
  return {
    golden_auc: rocAuc(probabilities, labels),
    golden_accuracy: probabilities.filter((p, index) => (p >= 0.5 ? 1 : 0) === labels[index]).length / labels.length,
    golden_base_rate: baseRate,
    golden_majority_accuracy: Math.max(baseRate, 1 - baseRate),
    golden_hidden_model_auc: rocAuc(golden.map((example) => example.trueProbability), labels),
  };
}

async function scoreWithOrt(onnx: Uint8Array, golden: readonly NoshowExample[], preprocessing: TabularPreprocessing): Promise<number[]> {
  const session = await createSession(onnx);
  try {
    const outputs = await runRows(session, golden.map((example) => tabularRow({ ...example.item }, preprocessing)), OUTPUT, 64);
    return outputs.map((row) => row[0] ?? 0);
  } finally {
    await session.release();
  }
}
