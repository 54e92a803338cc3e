/**
 * The two triage classifiers: `triage-small` (unigrams, 16-dimensional embedding,
 * one linear layer: a fastText-style model) and `triage-large` (unigrams, bigrams
 * and character trigrams, 64 dimensions, two hidden layers of 256). Same data,
 * same labels, same serving contract; the large one pays for robustness to typos,
 * negations and side requests with more compute.
 */
import { deriveSeed } from '../../../core/seeded-rng.ts';
import { textHashIds } from '../../../engines/local/preprocess/text-hash.ts';
import { INTENTS, intentIndex, type IntentExample } from '../data/intents.ts';
import type { TextModel, TextModelShape } from '../nn/text-model.ts';
import { trainTextModel } from '../nn/text-trainer.ts';
import { textModelGraph } from '../onnx/text-graph.ts';
import { MODEL_VERSION, sha256, type ModelArtifacts, type ModelSpecDocument } from './artifacts.ts';
import { triageReadme } from './triage-card.ts';
import { classifierReport, perIntentAccuracy, runTextModel } from './text-eval.ts';
import { TEXT_BATCHING, TEXT_INPUTS, TEXT_INSTANCES, TEXT_WARMUP, textFlopsPerItem, textHashSpec, textTensors } from './text-spec.ts';
import type { TriageVariant } from './triage-variant.ts';

export interface IntentCorpus {
  readonly train: readonly IntentExample[];
  readonly golden: readonly IntentExample[];
}

export const TRIAGE_SMALL: TriageVariant = {
  name: 'triage-small',
  summary: 'Fast patient-message triage into 8 intents: hashed unigrams, a 16-dimensional embedding and one linear layer.',
  hashing: { buckets: 4096, word_ngrams: [1], char_ngrams: 0, max_tokens: 64 },
  shape: { embeddingDim: 16, hidden: [] },
  training: { epochs: 8, batchSize: 32, learningRate: 3e-3, embeddingLearningRate: 2e-2, tokenDropout: 0.1 },
  costPerItem: 1,
};

export const TRIAGE_LARGE: TriageVariant = {
  name: 'triage-large',
  summary: 'Accurate patient-message triage into 8 intents: hashed unigrams, bigrams and character trigrams, a 64-dimensional embedding and a 256-256 MLP.',
  hashing: { buckets: 65536, word_ngrams: [1, 2], char_ngrams: 3, max_tokens: 256 },
  shape: { embeddingDim: 64, hidden: [{ size: 256, activation: 'relu' }, { size: 256, activation: 'relu' }] },
  training: { epochs: 3, batchSize: 32, learningRate: 2e-3, embeddingLearningRate: 1e-2, tokenDropout: 0.1 },
  costPerItem: 6,
};

const OUTPUT = 'probabilities';

export async function buildTriageModel(variant: TriageVariant, corpus: IntentCorpus, seed: number, log: (line: string) => void): Promise<ModelArtifacts> {
  const preprocessing = textHashSpec(variant.hashing);
  const shape: TextModelShape = { ...variant.shape, buckets: variant.hashing.buckets, classes: INTENTS.length };
  const ids = corpus.train.map((example) => textHashIds(example.text, preprocessing));
  const labels = corpus.train.map((example) => intentIndex(example.label));
  const model = trainTextModel(shape, { ids, labels }, { ...variant.training, seed: deriveSeed(seed, `${variant.name}/train`), log: (line) => log(`${variant.name}: ${line}`) });
  const onnx = textModelGraph(model, 'classifier', { graph: variant.name, ids: preprocessing.ids_tensor, mask: preprocessing.mask_tensor, output: OUTPUT }).toBytes({
    docString: variant.summary,
    producerVersion: MODEL_VERSION,
    modelVersion: Number(MODEL_VERSION),
    properties: { labels: INTENTS.join(','), seed: String(seed) },
  });
  const probabilities = await runTextModel(onnx, corpus.golden.map((example) => example.text), preprocessing, OUTPUT);
  const report = classifierReport(probabilities, corpus.golden);
  const meanTokens = corpus.golden.reduce((sum, example) => sum + textHashIds(example.text, preprocessing).length, 0) / corpus.golden.length;
  const card = {
    golden_accuracy: report.accuracy,
    golden_size: corpus.golden.length,
    golden_per_intent_accuracy: perIntentAccuracy(report),
    train_size: corpus.train.length,
    seed,
    parameters: parameterCount(model),
    flops_per_item: textFlopsPerItem(meanTokens, shape.embeddingDim, [...model.body, model.head]),
    mean_tokens_per_item: Math.round(meanTokens * 10) / 10,
    epochs: variant.training.epochs,
    onnx_sha256: sha256(onnx),
  };
  const spec: ModelSpecDocument = {
    name: variant.name,
    version: MODEL_VERSION,
    task: 'text-classification',
    description: variant.summary,
    onnx: 'model.onnx',
    inputs: TEXT_INPUTS,
    preprocessing,
    tensors: textTensors(OUTPUT, INTENTS.length),
    labels: [...INTENTS],
    batching: TEXT_BATCHING,
    instances: TEXT_INSTANCES,
    warmup: TEXT_WARMUP,
    cost: { per_item: variant.costPerItem, unit: 'compute-units' },
    card,
  };
  const readme = triageReadme({ variant, card, report, golden: corpus.golden, model });
  const golden = corpus.golden.map((example) => ({ text: example.text, label: example.label }));
  return { spec, onnx, readme, golden, metrics: { golden_accuracy: report.accuracy } };
}

export function parameterCount(model: TextModel): number {
  const layers = [...model.body, model.head];
  return model.embedding.length + layers.reduce((sum, layer) => sum + layer.weight.length + layer.bias.length, 0);
}
