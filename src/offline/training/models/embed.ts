/**
 * `embed`: 64-dimensional unit-length sentence embeddings of patient messages.
 *
 * Trained as a cosine-softmax intent classifier (the last hidden layer is
 * L2-normalised and scaled before a linear head), then exported without the head:
 * what remains maps messages of the same intent to nearby directions.
 */
import { deriveSeed } from '../../../core/seeded-rng.ts';
import { textHashIds } from '../../../engines/local/preprocess/text-hash.ts';
import { INTENTS, intentIndex } from '../data/intents.ts';
import { dot } from '../eval/metrics.ts';
import type { TextModelShape } from '../nn/text-model.ts';
import { trainTextModel, type TextTrainOptions } from '../nn/text-trainer.ts';
import { textModelGraph } from '../onnx/text-graph.ts';
import { MODEL_VERSION, sha256, type ModelArtifacts, type ModelSpecDocument } from './artifacts.ts';
import { embedReadme } from './embed-card.ts';
import { runTextModel } from './text-eval.ts';
import { TEXT_BATCHING, TEXT_INPUTS, TEXT_INSTANCES, TEXT_WARMUP, textFlopsPerItem, textHashSpec, textTensors } from './text-spec.ts';
import { parameterCount, type IntentCorpus } from './triage.ts';

export const EMBED_NAME = 'embed';
const OUTPUT = 'embedding';
const DIMENSIONS = 64;
const SUMMARY = `${DIMENSIONS}-dimensional unit-length embeddings of patient messages (hashed unigrams, bigrams and character trigrams; trained so that messages with the same intent point the same way).`;

export const EMBED_HASHING = { buckets: 32768, word_ngrams: [1, 2], char_ngrams: 3, max_tokens: 256 };
const SHAPE: TextModelShape = {
  buckets: EMBED_HASHING.buckets,
  embeddingDim: 64,
  hidden: [{ size: DIMENSIONS, activation: 'tanh' }],
  classes: INTENTS.length,
  normalizeScale: 10,
};
const TRAINING: Omit<TextTrainOptions, 'seed' | 'log'> = { epochs: 3, batchSize: 32, learningRate: 2e-3, embeddingLearningRate: 1e-2, tokenDropout: 0.1 };

export interface EmbeddingReport {
  /** Leave-one-out nearest neighbour (cosine) has the same intent. */
  readonly knnAccuracy: number;
  readonly meanCosineSameIntent: number;
  readonly meanCosineOtherIntent: number;
  /** Largest |‖e‖ − 1| over the golden set. */
  readonly maxNormError: number;
}

export async function buildEmbedModel(corpus: IntentCorpus, seed: number, log: (line: string) => void): Promise<ModelArtifacts> {
  const preprocessing = textHashSpec(EMBED_HASHING);
  const ids = corpus.train.map((example) => textHashIds(example.text, preprocessing));
  const labels = corpus.train.map((example) => intentIndex(example.label));
  const model = trainTextModel(SHAPE, { ids, labels }, { ...TRAINING, seed: deriveSeed(seed, `${EMBED_NAME}/train`), log: (line) => log(`${EMBED_NAME}: ${line}`) });
  const onnx = textModelGraph(model, 'embedding', { graph: EMBED_NAME, ids: preprocessing.ids_tensor, mask: preprocessing.mask_tensor, output: OUTPUT }).toBytes({
    docString: SUMMARY,
    producerVersion: MODEL_VERSION,
    modelVersion: Number(MODEL_VERSION),
    properties: { dimensions: String(DIMENSIONS), seed: String(seed) },
  });
  const embeddings = await runTextModel(onnx, corpus.golden.map((example) => example.text), preprocessing, OUTPUT);
  const report = embeddingReport(embeddings, corpus.golden.map((example) => intentIndex(example.label)));
  const meanTokens = corpus.golden.reduce((sum, example) => sum + textHashIds(example.text, preprocessing).length, 0) / corpus.golden.length;
  const card = {
    golden_knn_accuracy: report.knnAccuracy,
    golden_mean_cosine_same_intent: report.meanCosineSameIntent,
    golden_mean_cosine_other_intent: report.meanCosineOtherIntent,
    golden_size: corpus.golden.length,
    train_size: corpus.train.length,
    seed,
    dimensions: DIMENSIONS,
    parameters: parameterCount(model) - model.head.weight.length - model.head.bias.length,
    flops_per_item: textFlopsPerItem(meanTokens, SHAPE.embeddingDim, model.body) + 3 * DIMENSIONS,
    mean_tokens_per_item: Math.round(meanTokens * 10) / 10,
    epochs: TRAINING.epochs,
    onnx_sha256: sha256(onnx),
  };
  const spec: ModelSpecDocument = {
    name: EMBED_NAME,
    version: MODEL_VERSION,
    task: 'text-embedding',
    description: SUMMARY,
    onnx: 'model.onnx',
    inputs: TEXT_INPUTS,
    preprocessing,
    tensors: textTensors(OUTPUT, DIMENSIONS),
    batching: TEXT_BATCHING,
    instances: TEXT_INSTANCES,
    warmup: TEXT_WARMUP,
    cost: { per_item: 2, unit: 'compute-units' },
    card,
  };
  const readme = embedReadme({ summary: SUMMARY, hashing: EMBED_HASHING, shape: SHAPE, training: TRAINING, card });
  const golden = corpus.golden.map((example) => ({ text: example.text, label: example.label }));
  return { spec, onnx, readme, golden, metrics: { golden_knn_accuracy: report.knnAccuracy } };
}

/** Similarity structure of unit vectors: nearest-neighbour intent agreement and mean cosines. */
export function embeddingReport(embeddings: readonly Float32Array[], labels: readonly number[]): EmbeddingReport {
  let same = 0;
  let sameCount = 0;
  let other = 0;
  let otherCount = 0;
  let knnCorrect = 0;
  let maxNormError = 0;
  embeddings.forEach((vector, index) => {
    maxNormError = Math.max(maxNormError, Math.abs(Math.sqrt(dot(vector, vector)) - 1));
    let best = -Infinity;
    let bestLabel = -1;
    embeddings.forEach((candidate, candidateIndex) => {
      if (candidateIndex === index) return;
      const cosine = dot(vector, candidate);
      if (cosine > best) {
        best = cosine;
        bestLabel = labels[candidateIndex] ?? -1;
      }
      if (candidateIndex < index) return;
      if (labels[candidateIndex] === labels[index]) {
        same += cosine;
        sameCount += 1;
      } else {
        other += cosine;
        otherCount += 1;
      }
    });
    if (bestLabel === labels[index]) knnCorrect += 1;
  });
  return {
    knnAccuracy: knnCorrect / Math.max(embeddings.length, 1),
    meanCosineSameIntent: same / Math.max(sameCount, 1),
    meanCosineOtherIntent: other / Math.max(otherCount, 1),
    maxNormError,
  };
}
