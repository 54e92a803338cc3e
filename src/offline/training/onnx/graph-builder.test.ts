import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { GraphBuilder } from './graph-builder.ts';
import { decodeOnnxModel, OnnxDataType } from './onnx-proto.ts';

const metadata = { docString: 'test', producerVersion: '0', modelVersion: 1, properties: { purpose: 'test' } };

function affineModel(): Uint8Array {
  const graph = new GraphBuilder('affine');
  const x = graph.input('x', OnnxDataType.FLOAT, ['batch', 2]);
  const weight = graph.floatTensor('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const bias = graph.floatTensor('b', Float32Array.from([0.5, -0.5, 0]), [3]);
  const gemm = graph.node('Gemm', [x, weight, bias]);
  const summed = graph.node('ReduceSum', [gemm, graph.int64Tensor('axes', [1])], { keepdims: 1 });
  graph.node('Relu', [summed], {}, ['y']);
  graph.output('y', OnnxDataType.FLOAT, ['batch', 1]);
  return graph.toBytes(metadata);
}

describe('GraphBuilder', () => {
  it('writes a ModelProto with sluice as producer and opset 13', () => {
    const decoded = decodeOnnxModel(affineModel());
    assert.equal(decoded.ir_version, 8);
    assert.equal(decoded.producer_name, 'sluice');
    assert.deepEqual(decoded.opset_import, [{ domain: '', version: 13 }]);
  });

  it('is byte-for-byte deterministic', () => {
    assert.deepEqual(affineModel(), affineModel());
  });

  it('produces a model onnxruntime runs correctly', async () => {
    const session = await ort.InferenceSession.create(affineModel());
    assert.deepEqual(session.inputNames, ['x']);
    assert.deepEqual(session.outputNames, ['y']);
    const x = new ort.Tensor('float32', Float32Array.from([1, 1, -10, 0]), [2, 2]);
    const { y } = await session.run({ x });
    // row 1: [1+4, 2+5, 3+6] + b = [5.5, 6.5, 9] → 21; row 2: [-10, -20, -30] + b → relu(-60) = 0
    assert.deepEqual([...(y?.data as Float32Array)], [21, 0]);
    await session.release();
  });
});
