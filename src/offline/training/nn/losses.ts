/** Losses that return their gradient with respect to the logits, averaged over the batch. */

/** Softmax cross-entropy: writes (softmax(z) - onehot) / rows into a new array, returns it with the mean loss. */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(logits.length);
  let loss = 0;
  for (let row = 0; row < rows; row++) {
    const offset = row * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[offset + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[offset + c]! - max);
    const label = labels[row]!;
    for (let c = 0; c < classes; c++) {
      const probability = Math.exp(logits[offset + c]! - max) / sum;
      grad[offset + c] = (probability - (c === label ? 1 : 0)) / rows;
    }
    loss -= logits[offset + label]! - max - Math.log(sum);
  }
  return { loss: loss / rows, grad };
}

/** Binary cross-entropy on one logit per row: gradient (sigmoid(z) - y) / rows. */
export function sigmoidCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(rows);
  let loss = 0;
  for (let row = 0; row < rows; row++) {
    const z = logits[row]!;
    const y = labels[row]!;
    grad[row] = (sigmoid(z) - y) / rows;
    // log(1 + e^z) - y·z, written to stay finite for large |z|
    loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
  }
  return { loss: loss / rows, grad };
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
