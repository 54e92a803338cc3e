/**
 * Fully connected layers on row-major Float32Array batches.
 *
 * Weights are stored [inputs × outputs], the layout ONNX Gemm takes with transB = 0,
 * so the exporter writes them as they are. Loops run row → input → output so the
 * innermost loop walks contiguous memory.
 */
import type { Rng } from '../../../core/seeded-rng.ts';

export type Activation = 'relu' | 'tanh' | 'none';

export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export interface DenseGradients {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

/** He initialisation for ReLU layers, Glorot for the others. */
export function createDense(inputs: number, outputs: number, activation: Activation, rng: Rng): DenseLayer {
  const scale = activation === 'relu' ? Math.sqrt(2 / inputs) : Math.sqrt(2 / (inputs + outputs));
  const weight = new Float32Array(inputs * outputs);
  for (let index = 0; index < weight.length; index++) weight[index] = rng.normal() * scale;
  return { inputs, outputs, activation, weight, bias: new Float32Array(outputs) };
}

export function zeroGradients(layer: DenseLayer): DenseGradients {
  return { weight: new Float32Array(layer.weight.length), bias: new Float32Array(layer.bias.length) };
}

/** y = activation(x · W + b) for `rows` rows of x. */
export function denseForward(layer: DenseLayer, x: Float32Array, rows: number): Float32Array {
  const { inputs, outputs, weight, bias } = layer;
  const y = new Float32Array(rows * outputs);
  for (let row = 0; row < rows; row++) {
    const out = row * outputs;
    y.set(bias, out);
    for (let i = 0; i < inputs; i++) {
      const value = x[row * inputs + i] ?? 0;
      if (value === 0) continue;
      const w = i * outputs;
      for (let o = 0; o < outputs; o++) y[out + o]! += value * weight[w + o]!;
    }
  }
  applyActivation(layer.activation, y);
  return y;
}

function applyActivation(activation: Activation, y: Float32Array): void {
  if (activation === 'relu') {
    for (let index = 0; index < y.length; index++) if (y[index]! < 0) y[index] = 0;
  } else if (activation === 'tanh') {
    for (let index = 0; index < y.length; index++) y[index] = Math.tanh(y[index]!);
  }
}

/**
 * Back-propagates dL/dy through one layer: accumulates dL/dW and dL/db into
 * `gradients` and returns dL/dx (skipped for the first layer, whose input is data).
 * `y` is the layer's forward output, from which the activation's derivative follows.
 */
export function denseBackward(
  layer: DenseLayer,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  gradients: DenseGradients,
  wantInputGradient: boolean,
): Float32Array | undefined {
  const { inputs, outputs, weight } = layer;
  const dz = activationGradient(layer.activation, y, dy);
  const dx = wantInputGradient ? new Float32Array(rows * inputs) : undefined;
  for (let row = 0; row < rows; row++) {
    const out = row * outputs;
    for (let o = 0; o < outputs; o++) gradients.bias[o]! += dz[out + o]!;
    for (let i = 0; i < inputs; i++) {
      const value = x[row * inputs + i]!;
      const w = i * outputs;
      let sum = 0;
      for (let o = 0; o < outputs; o++) {
        const delta = dz[out + o]!;
        gradients.weight[w + o]! += value * delta;
        sum += delta * weight[w + o]!;
      }
      if (dx !== undefined) dx[row * inputs + i] = sum;
    }
  }
  return dx;
}

function activationGradient(activation: Activation, y: Float32Array, dy: Float32Array): Float32Array {
  if (activation === 'none') return dy;
  const dz = new Float32Array(dy.length);
  for (let index = 0; index < dy.length; index++) {
    const output = y[index]!;
    dz[index] = activation === 'relu' ? (output > 0 ? dy[index]! : 0) : dy[index]! * (1 - output * output);
  }
  return dz;
}
