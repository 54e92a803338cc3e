/**
 * Adam (Kingma & Ba, 2015) for dense parameters, and a lazy variant for embedding
 * tables that updates only the rows a batch touched (as TensorFlow's LazyAdam does):
 * a 65,536-row table updated densely would cost more than the rest of training.
 */
export interface AdamConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export interface AdamSlot {
  readonly value: Float32Array;
  readonly grad: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

export function adamSlot(value: Float32Array, grad: Float32Array): AdamSlot {
  return { value, grad, m: new Float32Array(value.length), v: new Float32Array(value.length) };
}

/** One update of every element, `step` counting from 1; clears the gradient after. */
export function adamStep(slot: AdamSlot, learningRate: number, step: number, config: AdamConfig = DEFAULT_ADAM): void {
  updateRange(slot, 0, slot.value.length, slot.grad, 0, learningRate, step, config);
  slot.grad.fill(0);
}

/**
 * Updates only `rows` (each `width` wide) of a table, with their gradients packed
 * in `rowGrads` in the same order. Untouched rows keep their moments unchanged.
 */
export function adamRowsStep(
  table: Omit<AdamSlot, 'grad'>,
  width: number,
  rows: readonly number[],
  rowGrads: Float32Array,
  learningRate: number,
  step: number,
  config: AdamConfig = DEFAULT_ADAM,
): void {
  for (let index = 0; index < rows.length; index++) {
    updateRange(table, rows[index]! * width, width, rowGrads, index * width, learningRate, step, config);
  }
}

function updateRange(
  slot: Omit<AdamSlot, 'grad'>,
  start: number,
  length: number,
  grads: Float32Array,
  gradStart: number,
  learningRate: number,
  step: number,
  config: AdamConfig,
): void {
  const { beta1, beta2, epsilon } = config;
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  const { value, m, v } = slot;
  for (let offset = 0; offset < length; offset++) {
    const index = start + offset;
    const grad = grads[gradStart + offset]!;
    const mean = beta1 * m[index]! + (1 - beta1) * grad;
    const variance = beta2 * v[index]! + (1 - beta2) * grad * grad;
    m[index] = mean;
    v[index] = variance;
    value[index]! -= (learningRate * (mean / correction1)) / (Math.sqrt(variance / correction2) + epsilon);
  }
}
