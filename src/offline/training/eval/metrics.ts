/** Evaluation metrics for the model cards. */

export function accuracy(predictions: readonly number[], labels: readonly number[]): number {
  if (labels.length === 0) return 0;
  let correct = 0;
  predictions.forEach((prediction, index) => {
    if (prediction === labels[index]) correct += 1;
  });
  return correct / labels.length;
}

/** For each class: how many golden items it has and the share predicted correctly (recall). */
export function perClassAccuracy(
  predictions: readonly number[],
  labels: readonly number[],
  classes: number,
): Array<{ support: number; accuracy: number }> {
  return Array.from({ length: classes }, (_, label) => {
    const members = labels.flatMap((value, index) => (value === label ? [index] : []));
    const correct = members.filter((index) => predictions[index] === label).length;
    return { support: members.length, accuracy: members.length === 0 ? 0 : correct / members.length };
  });
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the probability that a
 * random positive scores above a random negative, ties counting one half.
 */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((score, index) => ({ score, label: labels[index] ?? 0 })).sort((a, b) => a.score - b.score);
  let positives = 0;
  let rankSum = 0;
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.score === order[start]!.score) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index++) {
      if (order[index]!.label === 1) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index]! > values[best]!) best = index;
  return best;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += a[index]! * b[index]!;
  return sum;
}
