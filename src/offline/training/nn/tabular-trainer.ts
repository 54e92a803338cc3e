/**
 * A small MLP for binary outcomes on tabular features: features → (Dense + ReLU)*
 * → Dense(1) → sigmoid, trained with binary cross-entropy, Adam and a small L2
 * penalty (the data set is small and the model should stay smooth).
 */
import { createRng } from '../../../core/seeded-rng.ts';
import { adamSlot, adamStep } from './adam.ts';
import { createDense, denseBackward, denseForward, zeroGradients, type DenseLayer } from './dense.ts';
import { sigmoid, sigmoidCrossEntropy } from './losses.ts';

export interface TabularTrainOptions {
  readonly seed: number;
  readonly hidden: readonly number[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly log?: (line: string) => void;
}

export function trainBinaryMlp(
  features: readonly Float32Array[],
  labels: readonly number[],
  options: TabularTrainOptions,
): DenseLayer[] {
  const rng = createRng(options.seed);
  const width = features[0]?.length ?? 0;
  const sizes = [width, ...options.hidden, 1];
  const layers = sizes
    .slice(1)
    .map((size, index) => createDense(sizes[index]!, size, index === sizes.length - 2 ? 'none' : 'relu', rng));
  const slots = layers.map((layer) => {
    const gradients = zeroGradients(layer);
    return { weight: adamSlot(layer.weight, gradients.weight), bias: adamSlot(layer.bias, gradients.bias) };
  });
  const order = features.map((_, index) => index);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    rng.shuffle(order);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const indices = order.slice(start, start + options.batchSize);
      const x = new Float32Array(indices.length * width);
      indices.forEach((index, row) => x.set(features[index]!, row * width));
      const activations = forwardLayers(layers, x, indices.length);
      const { loss, grad } = sigmoidCrossEntropy(
        activations.at(-1)!,
        indices.map((index) => labels[index]!),
        indices.length,
      );
      let delta: Float32Array = grad;
      for (let index = layers.length - 1; index >= 0; index--) {
        const input = index === 0 ? x : activations[index - 1]!;
        const gradients = { weight: slots[index]!.weight.grad, bias: slots[index]!.bias.grad };
        delta =
          denseBackward(layers[index]!, input, activations[index]!, delta, indices.length, gradients, index > 0) ??
          delta;
      }
      step += 1;
      for (const [index, slot] of slots.entries()) {
        addWeightDecay(slot.weight.grad, layers[index]!.weight, options.weightDecay);
        adamStep(slot.weight, options.learningRate, step);
        adamStep(slot.bias, options.learningRate, step);
      }
      lossSum += loss;
      batches += 1;
    }
    if ((epoch + 1) % 10 === 0)
      options.log?.(`epoch ${epoch + 1}/${options.epochs}: loss ${(lossSum / batches).toFixed(4)}`);
  }
  return layers;
}

function forwardLayers(layers: readonly DenseLayer[], x: Float32Array, rows: number): Float32Array[] {
  const activations: Float32Array[] = [];
  let input = x;
  for (const layer of layers) {
    input = denseForward(layer, input, rows);
    activations.push(input);
  }
  return activations;
}

function addWeightDecay(grad: Float32Array, weight: Float32Array, decay: number): void {
  for (let index = 0; index < grad.length; index++) grad[index]! += decay * weight[index]!;
}

export function predictBinaryMlp(layers: readonly DenseLayer[], features: Float32Array): number {
  const logits = forwardLayers(layers, features, 1).at(-1)!;
  return sigmoid(logits[0]!);
}
