/**
 * `image-small`: a small convolutional classifier on a raw FP32 image, with random
 * weights. It stands in for a model whose request is large (an image, hundreds of KB a
 * item) next to its compute, so moving and decoding the input is a real share of the cost:
 *
 *   image [N,3,H,W] ─Conv(k4,s4)─Relu─Conv(k3,s2,p1)─Relu─MaxPool(2)─Flatten─Gemm─Relu─Gemm─Softmax─▶ probabilities [N,C]
 */
import { createRng, deriveSeed, type Rng } from '../../core/seeded-rng.ts';
import { MODEL_VERSION, sha256, type ModelArtifacts, type ModelSpecDocument } from '../training/models/artifacts.ts';
import { GraphBuilder } from '../training/onnx/graph-builder.ts';
import { OnnxDataType } from '../training/onnx/onnx-proto.ts';
import { scaledNormal, smallBiases, unitValues } from './random-init.ts';
import { benchReadme } from './readme.ts';

export const IMAGE_SMALL_NAME = 'image-small';
export const IMAGE_SMALL_INPUT = 'image';
export const IMAGE_SMALL_OUTPUT = 'probabilities';

export interface ConvNetShape {
  /** Channels, height, width of one image. */
  readonly image: readonly [number, number, number];
  /** Output channels of the stride-4 patch convolution and of the stride-2 convolution. */
  readonly channels: readonly [number, number];
  readonly hidden: number;
  readonly classes: number;
}

export const IMAGE_SMALL_SHAPE: ConvNetShape = { image: [3, 128, 128], channels: [64, 128], hidden: 128, classes: 10 };
const SAMPLE_ITEMS = 4;
const SUMMARY =
  'Benchmark model: a small convolutional image classifier with random weights (not trained; its outputs mean nothing).';
const GRAPH = 'image ─Conv(k4,s4)─Relu─Conv(k3,s2,p1)─Relu─MaxPool(2)─Flatten─Gemm─Relu─Gemm─Softmax─▶ probabilities';

export function imageSmallModel(seed: number, shape: ConvNetShape = IMAGE_SMALL_SHAPE): ModelArtifacts {
  const { graph, card: sizes } = convNetGraph(createRng(deriveSeed(seed, `${IMAGE_SMALL_NAME}/weights`)), shape);
  const onnx = graph.toBytes({
    docString: SUMMARY,
    producerVersion: MODEL_VERSION,
    modelVersion: Number(MODEL_VERSION),
    properties: { seed: String(seed), weights: 'random' },
  });
  const [channels, height, width] = shape.image;
  const card = {
    weights: 'random (seeded He-normal), not trained',
    seed,
    ...sizes,
    input_bytes_per_item: 4 * channels * height * width,
    onnx_sha256: sha256(onnx),
  };
  const rng = createRng(deriveSeed(seed, `${IMAGE_SMALL_NAME}/samples`));
  const golden = Array.from({ length: SAMPLE_ITEMS }, () => ({ [IMAGE_SMALL_INPUT]: randomImage(rng, shape.image) }));
  const spec: ModelSpecDocument = {
    name: IMAGE_SMALL_NAME,
    version: MODEL_VERSION,
    task: 'tensor',
    description: SUMMARY,
    onnx: 'model.onnx',
    inputs: [{ name: IMAGE_SMALL_INPUT, datatype: 'FP32', shape: [...shape.image] }],
    preprocessing: { kind: 'none' },
    tensors: {
      inputs: [{ name: IMAGE_SMALL_INPUT, dtype: 'float32', shape: [-1, ...shape.image], pad_value: 0 }],
      outputs: [{ name: IMAGE_SMALL_OUTPUT, dtype: 'float32', shape: [-1, shape.classes] }],
    },
    labels: Array.from({ length: shape.classes }, (_, index) => `class-${index}`),
    // Per-item cost stops falling near batch 8 (the convolutions run image by image), so
    // larger batches would only add latency.
    batching: { max_batch_size: 16, max_queue_delay_ms: 2, preferred_batch_sizes: [8, 16], ragged: 'group' },
    // No `warmup`: a sample image would put ~50k numbers in this file, and `warmup.samples` is
    // required when `warmup` is given; without it, warm-up runs zero images at every size 1..16.
    cost: { per_item: 3, unit: 'compute-units' },
    card,
  };
  const readme = benchReadme({ name: IMAGE_SMALL_NAME, summary: SUMMARY, graph: GRAPH, card });
  return { spec, onnx, readme, golden, metrics: { onnx_bytes: onnx.length } };
}

function convNetGraph(rng: Rng, shape: ConvNetShape): { graph: GraphBuilder; card: Record<string, number> } {
  const [inChannels, height, width] = shape.image;
  if (height % 16 !== 0 || width % 16 !== 0)
    throw new RangeError(`image sides must be multiples of 16, got ${height}×${width}`);
  const [patchChannels, convChannels] = shape.channels;
  const graph = new GraphBuilder(IMAGE_SMALL_NAME);
  const image = graph.input(IMAGE_SMALL_INPUT, OnnxDataType.FLOAT, ['batch', inChannels, height, width]);
  // Patch convolution: 4×4 patches, stride 4 → [patchChannels, H/4, W/4].
  const patchFanIn = inChannels * 4 * 4;
  const patch = conv(graph, rng, 'patch', image, [patchChannels, inChannels, 4, 4], {
    strides: [4, 4],
    pads: [0, 0, 0, 0],
  });
  // 3×3 convolution, stride 2, padded → [convChannels, H/8, W/8]; max-pooled → [convChannels, H/16, W/16].
  const convFanIn = patchChannels * 3 * 3;
  const convolved = conv(graph, rng, 'conv', patch, [convChannels, patchChannels, 3, 3], {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  const pooled = graph.node('MaxPool', [convolved], { kernel_shape: [2, 2], strides: [2, 2] });
  const flat = graph.node('Flatten', [pooled], { axis: 1 });
  const features = convChannels * (height / 16) * (width / 16);
  const hiddenWeight = graph.floatTensor('dense.weight', scaledNormal(rng, features * shape.hidden, features), [
    features,
    shape.hidden,
  ]);
  const hiddenBias = graph.floatTensor('dense.bias', smallBiases(rng, shape.hidden), [shape.hidden]);
  const hidden = graph.node('Relu', [graph.node('Gemm', [flat, hiddenWeight, hiddenBias])]);
  const headWeight = graph.floatTensor(
    'head.weight',
    scaledNormal(rng, shape.hidden * shape.classes, shape.hidden, 1),
    [shape.hidden, shape.classes],
  );
  const headBias = graph.floatTensor('head.bias', smallBiases(rng, shape.classes), [shape.classes]);
  graph.node('Softmax', [graph.node('Gemm', [hidden, headWeight, headBias])], { axis: -1 }, [IMAGE_SMALL_OUTPUT]);
  graph.output(IMAGE_SMALL_OUTPUT, OnnxDataType.FLOAT, ['batch', shape.classes]);
  const patchPositions = (height / 4) * (width / 4);
  const convPositions = (height / 8) * (width / 8);
  const macs =
    patchPositions * patchChannels * patchFanIn +
    convPositions * convChannels * convFanIn +
    features * shape.hidden +
    shape.hidden * shape.classes;
  const parameters =
    patchChannels * (patchFanIn + 1) +
    convChannels * (convFanIn + 1) +
    (features + 1) * shape.hidden +
    (shape.hidden + 1) * shape.classes;
  return { graph, card: { parameters, flops_per_item: 2 * macs } };
}

/** Conv with He-normal weights [out, in, kh, kw] and small biases, then Relu. */
function conv(
  graph: GraphBuilder,
  rng: Rng,
  name: string,
  x: string,
  dims: readonly [number, number, number, number],
  attributes: { strides: readonly number[]; pads: readonly number[] },
): string {
  const [outputs, inputs, kernelHeight, kernelWidth] = dims;
  const fanIn = inputs * kernelHeight * kernelWidth;
  const weight = graph.floatTensor(`${name}.weight`, scaledNormal(rng, outputs * fanIn, fanIn), dims);
  const bias = graph.floatTensor(`${name}.bias`, smallBiases(rng, outputs), [outputs]);
  return graph.node('Relu', [
    graph.node('Conv', [x, weight, bias], { kernel_shape: [kernelHeight, kernelWidth], ...attributes }),
  ]);
}

/** One image as the nested [C][H][W] array a client sends. */
function randomImage(rng: Rng, [channels, height, width]: readonly [number, number, number]): number[][][] {
  return Array.from({ length: channels }, () => Array.from({ length: height }, () => unitValues(rng, width)));
}
