/**
 * Exports the no-show MLP: features [N,F] ─(Gemm ─ Relu)*─ Gemm ─ Sigmoid ─▶ probability [N,1].
 * Standardisation and one-hot encoding happen before the graph, in `preprocess/tabular.ts`.
 */
import type { DenseLayer } from '../nn/dense.ts';
import { GraphBuilder } from './graph-builder.ts';
import { OnnxDataType } from './onnx-proto.ts';

export function tabularModelGraph(
  layers: readonly DenseLayer[],
  names: { graph: string; features: string; output: string },
): GraphBuilder {
  const graph = new GraphBuilder(names.graph);
  const first = layers[0];
  if (first === undefined) throw new Error('a tabular model needs at least one layer');
  let x = graph.input(names.features, OnnxDataType.FLOAT, ['batch', first.inputs]);
  layers.forEach((layer, index) => {
    const weight = graph.floatTensor(`dense${index + 1}.weight`, layer.weight, [layer.inputs, layer.outputs]);
    const bias = graph.floatTensor(`dense${index + 1}.bias`, layer.bias, [layer.outputs]);
    x = graph.node('Gemm', [x, weight, bias]);
    if (layer.activation === 'relu') x = graph.node('Relu', [x]);
    if (layer.activation === 'tanh') x = graph.node('Tanh', [x]);
  });
  graph.node('Sigmoid', [x], {}, [names.output]);
  graph.output(names.output, OnnxDataType.FLOAT, ['batch', layers.at(-1)?.outputs ?? 1]);
  return graph;
}
