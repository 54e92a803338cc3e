/**
 * Mini-batch training of a `TextModel` with softmax cross-entropy: Adam on the
 * dense layers, lazy Adam on the embedding rows a batch used, a learning rate that
 * decays linearly to a tenth, and token dropout (each id dropped with a small
 * probability, at least one kept) so the models do not lean on any single word.
 */
import { createRng, type Rng } from '../../../core/seeded-rng.ts';
import { adamRowsStep, adamSlot, adamStep, type AdamSlot } from './adam.ts';
import { denseBackward, zeroGradients, type DenseLayer } from './dense.ts';
import { softmaxCrossEntropy } from './losses.ts';
import { createTextModel, forwardText, type TextForward, type TextModel, type TextModelShape } from './text-model.ts';

export interface TextTrainingSet {
  readonly ids: readonly Int32Array[];
  readonly labels: readonly number[];
}

export interface TextTrainOptions {
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly embeddingLearningRate: number;
  readonly tokenDropout: number;
  readonly log?: (line: string) => void;
}

interface Optimiser {
  readonly layers: ReadonlyArray<{ layer: DenseLayer; weight: AdamSlot; bias: AdamSlot }>;
  readonly table: Omit<AdamSlot, 'grad'>;
}

export function trainTextModel(shape: TextModelShape, data: TextTrainingSet, options: TextTrainOptions): TextModel {
  const rng = createRng(options.seed);
  const model = createTextModel(shape, rng);
  const optimiser = createOptimiser(model);
  const order = data.ids.map((_, index) => index);
  const stepsPerEpoch = Math.ceil(order.length / options.batchSize);
  const totalSteps = options.epochs * stepsPerEpoch;
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    rng.shuffle(order);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const indices = order.slice(start, start + options.batchSize);
      const batch = indices.map((index) => dropTokens(data.ids[index]!, options.tokenDropout, rng));
      const labels = indices.map((index) => data.labels[index]!);
      step += 1;
      const decay = 1 - 0.9 * ((step - 1) / totalSteps);
      lossSum += trainStep(model, optimiser, batch, labels, step, decay, options);
    }
    options.log?.(`epoch ${epoch + 1}/${options.epochs}: loss ${(lossSum / stepsPerEpoch).toFixed(4)}`);
  }
  return model;
}

function createOptimiser(model: TextModel): Optimiser {
  const layers = [...model.body, model.head].map((layer) => {
    const gradients = zeroGradients(layer);
    return { layer, weight: adamSlot(layer.weight, gradients.weight), bias: adamSlot(layer.bias, gradients.bias) };
  });
  const table = {
    value: model.embedding,
    m: new Float32Array(model.embedding.length),
    v: new Float32Array(model.embedding.length),
  };
  return { layers, table };
}

function dropTokens(ids: Int32Array, rate: number, rng: Rng): Int32Array {
  if (rate === 0 || ids.length === 1) return ids;
  const kept = ids.filter(() => !rng.chance(rate));
  return kept.length > 0 ? kept : ids.subarray(0, 1);
}

function trainStep(
  model: TextModel,
  optimiser: Optimiser,
  batch: Int32Array[],
  labels: number[],
  step: number,
  decay: number,
  options: TextTrainOptions,
): number {
  const rows = batch.length;
  const forward = forwardText(model, batch);
  const { loss, grad } = softmaxCrossEntropy(forward.logits, labels, rows, model.shape.classes);
  const dPooled = backward(model, optimiser, forward, grad, rows);
  for (const { weight, bias } of optimiser.layers) {
    adamStep(weight, options.learningRate * decay, step);
    adamStep(bias, options.learningRate * decay, step);
  }
  const { rowIds, rowGrads } = embeddingGradients(batch, dPooled, model.shape.embeddingDim);
  adamRowsStep(
    optimiser.table,
    model.shape.embeddingDim,
    rowIds,
    rowGrads,
    options.embeddingLearningRate * decay,
    step,
  );
  return loss;
}

/** Back-propagates from the logits to the pooled vectors, accumulating layer gradients. */
function backward(
  model: TextModel,
  optimiser: Optimiser,
  forward: TextForward,
  dLogits: Float32Array,
  rows: number,
): Float32Array {
  const slots = optimiser.layers;
  const headSlot = slots[slots.length - 1]!;
  let delta = denseBackward(
    model.head,
    forward.headInput,
    forward.logits,
    dLogits,
    rows,
    { weight: headSlot.weight.grad, bias: headSlot.bias.grad },
    true,
  )!;
  if (forward.unit !== undefined && forward.norms !== undefined) {
    delta = normalizeBackward(forward.unit, forward.norms, delta, rows, model.shape.normalizeScale ?? 1);
  }
  for (let index = model.body.length - 1; index >= 0; index--) {
    const layer = model.body[index]!;
    const input = index === 0 ? forward.pooled : forward.activations[index - 1]!;
    const slot = slots[index]!;
    delta = denseBackward(
      layer,
      input,
      forward.activations[index]!,
      delta,
      rows,
      { weight: slot.weight.grad, bias: slot.bias.grad },
      true,
    )!;
  }
  return delta;
}

/** Through z = s · x/‖x‖: dx = s (dz - u (u·dz)) / ‖x‖ with u the unit vector. */
function normalizeBackward(
  unit: Float32Array,
  norms: Float32Array,
  dHeadInput: Float32Array,
  rows: number,
  scale: number,
): Float32Array {
  const width = unit.length / rows;
  const dx = new Float32Array(unit.length);
  for (let row = 0; row < rows; row++) {
    const offset = row * width;
    let dot = 0;
    for (let d = 0; d < width; d++) dot += unit[offset + d]! * dHeadInput[offset + d]!;
    for (let d = 0; d < width; d++)
      dx[offset + d] = (scale * (dHeadInput[offset + d]! - unit[offset + d]! * dot)) / norms[row]!;
  }
  return dx;
}

/** Mean pooling spreads each row's gradient evenly over its ids; rows are packed in first-use order. */
function embeddingGradients(
  batch: Int32Array[],
  dPooled: Float32Array,
  dim: number,
): { rowIds: number[]; rowGrads: Float32Array } {
  const slotOf = new Map<number, number>();
  for (const ids of batch) for (const id of ids) if (!slotOf.has(id)) slotOf.set(id, slotOf.size);
  const rowGrads = new Float32Array(slotOf.size * dim);
  batch.forEach((ids, row) => {
    const scale = 1 / ids.length;
    for (const id of ids) {
      const to = slotOf.get(id)! * dim;
      for (let d = 0; d < dim; d++) rowGrads[to + d]! += dPooled[row * dim + d]! * scale;
    }
  });
  return { rowIds: [...slotOf.keys()], rowGrads };
}
