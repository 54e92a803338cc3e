/**
 * Exports a trained `TextModel` as an ONNX graph:
 *
 *   input_ids [N,L] ──Gather(embedding)──▶ [N,L,D] ──Mul──▶ ReduceSum(axis 1) ──Div──▶ pooled [N,D]
 *   attention_mask [N,L] ──Unsqueeze(2)──────────┘      ReduceSum(mask) ─Max(·,1)─┘
 *   pooled ──(Gemm ─ Relu|Tanh)*──▶ classifier: Gemm ─ Softmax ─▶ probabilities [N,C]
 *                                   embedding:  x / (sqrt(ReduceSumSquare(x)) + ε) ─▶ embedding [N,H]
 *
 * Padded positions (id 0, mask 0) are multiplied by zero and left out of the count,
 * so a padded row pools to the same vector as the unpadded one: the batcher relies on it.
 */
import { L2_EPSILON, type TextModel } from '../nn/text-model.ts';
import { GraphBuilder } from './graph-builder.ts';
import { OnnxDataType } from './onnx-proto.ts';

export interface TextGraphNames {
  readonly graph: string;
  readonly ids: string;
  readonly mask: string;
  readonly output: string;
}

export type TextGraphKind = 'classifier' | 'embedding';

export function textModelGraph(model: TextModel, kind: TextGraphKind, names: TextGraphNames): GraphBuilder {
  const graph = new GraphBuilder(names.graph);
  const ids = graph.input(names.ids, OnnxDataType.INT64, ['batch', 'tokens']);
  const mask = graph.input(names.mask, OnnxDataType.FLOAT, ['batch', 'tokens']);
  let x = maskedMeanPool(graph, model, ids, mask);
  model.body.forEach((layer, index) => {
    const weight = graph.floatTensor(`dense${index + 1}.weight`, layer.weight, [layer.inputs, layer.outputs]);
    const bias = graph.floatTensor(`dense${index + 1}.bias`, layer.bias, [layer.outputs]);
    x = graph.node('Gemm', [x, weight, bias]);
    if (layer.activation !== 'none') x = graph.node(layer.activation === 'relu' ? 'Relu' : 'Tanh', [x]);
  });
  if (kind === 'classifier') {
    const { head } = model;
    const weight = graph.floatTensor('head.weight', head.weight, [head.inputs, head.outputs]);
    const bias = graph.floatTensor('head.bias', head.bias, [head.outputs]);
    graph.node('Softmax', [graph.node('Gemm', [x, weight, bias])], { axis: -1 }, [names.output]);
    graph.output(names.output, OnnxDataType.FLOAT, ['batch', head.outputs]);
  } else {
    const norm = graph.node('Sqrt', [graph.node('ReduceSumSquare', [x], { axes: [1], keepdims: 1 })]);
    const epsilon = graph.floatTensor('l2.epsilon', Float32Array.of(L2_EPSILON), []);
    graph.node('Div', [x, graph.node('Add', [norm, epsilon])], {}, [names.output]);
    const width = model.body.at(-1)?.outputs ?? model.shape.embeddingDim;
    graph.output(names.output, OnnxDataType.FLOAT, ['batch', width]);
  }
  return graph;
}

function maskedMeanPool(graph: GraphBuilder, model: TextModel, ids: string, mask: string): string {
  const { buckets, embeddingDim } = model.shape;
  const table = graph.floatTensor('embedding.weight', model.embedding, [buckets, embeddingDim]);
  const vectors = graph.node('Gather', [table, ids], { axis: 0 });
  const mask3 = graph.node('Unsqueeze', [mask, graph.int64Tensor('pool.mask_axes', [2])]);
  const tokenAxis = graph.int64Tensor('pool.token_axis', [1]);
  const summed = graph.node('ReduceSum', [graph.node('Mul', [vectors, mask3]), tokenAxis], { keepdims: 0 });
  const count = graph.node('ReduceSum', [mask, tokenAxis], { keepdims: 1 });
  // max(count, 1): an all-padding row divides by one instead of producing NaN.
  const denominator = graph.node('Max', [count, graph.floatTensor('pool.min_count', Float32Array.of(1), [])]);
  return graph.node('Div', [summed, denominator]);
}
