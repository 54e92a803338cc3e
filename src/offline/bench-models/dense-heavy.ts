/**
 * `dense-heavy`: a deep, wide MLP on a raw FP32 vector, with random weights. It stands in
 * for a compute-bound model whose cost per item falls steeply with the batch size:
 *
 *   features [N,F] ─(Gemm ─ Relu)×L─▶ Gemm ─▶ logits [N,C]
 *
 * At batch 1 every Gemm is a matrix-vector product that reads each weight once for one
 * row; at batch N the same read serves N rows and the kernel runs at its matrix-matrix
 * speed, which is where dynamic batching earns its keep.
 */
import { createRng, deriveSeed } from '../../core/seeded-rng.ts';
import { MODEL_VERSION, sha256, type ModelArtifacts, type ModelSpecDocument } from '../training/models/artifacts.ts';
import { GraphBuilder } from '../training/onnx/graph-builder.ts';
import { OnnxDataType } from '../training/onnx/onnx-proto.ts';
import { scaledNormal, smallBiases, unitValues } from './random-init.ts';
import { benchReadme } from './readme.ts';

export const DENSE_HEAVY_NAME = 'dense-heavy';
export const DENSE_HEAVY_INPUT = 'features';
export const DENSE_HEAVY_OUTPUT = 'logits';

export interface MlpShape {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly outputs: number;
}

export const DENSE_HEAVY_SHAPE: MlpShape = { inputs: 512, hidden: [2048, 2048, 2048, 512], outputs: 16 };
const SAMPLE_ITEMS = 32;
const SUMMARY = 'Benchmark model: a deep, wide MLP with random weights (not trained; its outputs mean nothing).';

export function denseHeavyModel(seed: number, shape: MlpShape = DENSE_HEAVY_SHAPE): ModelArtifacts {
  const onnx = mlpGraph(seed, shape).toBytes({
    docString: SUMMARY,
    producerVersion: MODEL_VERSION,
    modelVersion: Number(MODEL_VERSION),
    properties: { seed: String(seed), weights: 'random' },
  });
  const widths = [shape.inputs, ...shape.hidden, shape.outputs];
  const layers = widths.slice(1).map((outputs, index) => ({ inputs: widths[index] ?? 0, outputs }));
  const card = {
    weights: 'random (seeded He-normal), not trained',
    seed,
    layers: widths.join(' → '),
    parameters: layers.reduce((sum, layer) => sum + (layer.inputs + 1) * layer.outputs, 0),
    flops_per_item: layers.reduce((sum, layer) => sum + 2 * layer.inputs * layer.outputs, 0),
    onnx_sha256: sha256(onnx),
  };
  const rng = createRng(deriveSeed(seed, `${DENSE_HEAVY_NAME}/samples`));
  const golden = Array.from({ length: SAMPLE_ITEMS }, () => ({ [DENSE_HEAVY_INPUT]: unitValues(rng, shape.inputs) }));
  const spec: ModelSpecDocument = {
    name: DENSE_HEAVY_NAME,
    version: MODEL_VERSION,
    task: 'tensor',
    description: SUMMARY,
    onnx: 'model.onnx',
    inputs: [{ name: DENSE_HEAVY_INPUT, datatype: 'FP32', shape: [shape.inputs] }],
    preprocessing: { kind: 'none' },
    tensors: {
      inputs: [{ name: DENSE_HEAVY_INPUT, dtype: 'float32', shape: [-1, shape.inputs], pad_value: 0 }],
      outputs: [{ name: DENSE_HEAVY_OUTPUT, dtype: 'float32', shape: [-1, shape.outputs] }],
    },
    batching: { max_batch_size: 64, max_queue_delay_ms: 2, preferred_batch_sizes: [16, 32, 64], ragged: 'group' },
    // One sample item; warm-up then runs it at every batch size from 1 to 64.
    warmup: { samples: golden.slice(0, 1) },
    // dense-heavy and image-small cost 2 : 3, as their per-item compute at their best batch size.
    cost: { per_item: 2, unit: 'compute-units' },
    card,
  };
  const readme = benchReadme({
    name: DENSE_HEAVY_NAME,
    summary: SUMMARY,
    graph: 'features ─(Gemm ─ Relu)×L─▶ Gemm ─▶ logits',
    card,
  });
  return { spec, onnx, readme, golden, metrics: { onnx_bytes: onnx.length } };
}

function mlpGraph(seed: number, shape: MlpShape): GraphBuilder {
  const rng = createRng(deriveSeed(seed, `${DENSE_HEAVY_NAME}/weights`));
  const graph = new GraphBuilder(DENSE_HEAVY_NAME);
  let x = graph.input(DENSE_HEAVY_INPUT, OnnxDataType.FLOAT, ['batch', shape.inputs]);
  let width = shape.inputs;
  shape.hidden.forEach((units, index) => {
    const weight = graph.floatTensor(`dense${index + 1}.weight`, scaledNormal(rng, width * units, width), [
      width,
      units,
    ]);
    const bias = graph.floatTensor(`dense${index + 1}.bias`, smallBiases(rng, units), [units]);
    x = graph.node('Relu', [graph.node('Gemm', [x, weight, bias])]);
    width = units;
  });
  const weight = graph.floatTensor('head.weight', scaledNormal(rng, width * shape.outputs, width, 1), [
    width,
    shape.outputs,
  ]);
  const bias = graph.floatTensor('head.bias', smallBiases(rng, shape.outputs), [shape.outputs]);
  graph.node('Gemm', [x, weight, bias], {}, [DENSE_HEAVY_OUTPUT]);
  graph.output(DENSE_HEAVY_OUTPUT, OnnxDataType.FLOAT, ['batch', shape.outputs]);
  return graph;
}
