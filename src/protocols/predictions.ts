/** One item's output row as a JSON prediction, shaped by the model's task. */
import type { ModelDescription } from '../pipeline/model-description.ts';
import { nestArray, type Row, type RowTensor } from '../core/tensors.ts';

export type Prediction = unknown;

export function toPrediction(row: Row, spec: ModelDescription): Prediction {
  const first = spec.tensors.outputs[0];
  const primary = first === undefined ? undefined : row[first.name];
  if (primary === undefined) throw new Error(`model "${spec.name}" produced no output`);
  switch (spec.task) {
    case 'text-classification':
      return classification(primary, spec.labels);
    case 'text-embedding':
      return Array.from(primary.data as Float32Array);
    case 'tabular-classification':
      return { probability: Number(primary.data[0]) };
    case 'tensor':
      return spec.tensors.outputs.length === 1
        ? nested(primary)
        : Object.fromEntries(
            spec.tensors.outputs.map((output) => [output.name, nested(row[output.name] as RowTensor)]),
          );
  }
}

function classification(probabilities: RowTensor, labels: readonly string[] | undefined) {
  const values = Array.from(probabilities.data as Float32Array);
  const names = values.map((_, index) => labels?.[index] ?? String(index));
  let best = 0;
  values.forEach((value, index) => {
    if (value > (values[best] ?? -Infinity)) best = index;
  });
  return {
    label: names[best],
    confidence: values[best],
    probabilities: Object.fromEntries(names.map((name, index) => [name, values[index]])),
  };
}

function nested(tensor: RowTensor): unknown {
  const flat = Array.from(tensor.data as ArrayLike<number | bigint>, (value) =>
    tensor.dtype === 'bool' ? value !== 0 : Number(value),
  );
  return nestArray(flat, tensor.dims);
}
