import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryBody, binaryHeaderValidator, inferWire } from './v2-binary-http.ts';
import { encodeBinaryInferRequest, parseBinaryInferRequest } from './v2-binary.ts';

const schema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    inputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: { name: { type: 'string' } },
      },
    },
  },
};

test('a binary request forwarded to a remote model is the JSON request it stands for, without binary parameters', () => {
  const encoded = encodeBinaryInferRequest(
    {
      id: 'r',
      parameters: { binary_data_output: true, priority: 1 },
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    },
    [
      { name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1.5, -2]) },
      { name: 't', datatype: 'BYTES', shape: [1], data: ['hi'] },
    ],
    (name) => name === 'x',
  );
  const body = Buffer.concat(encoded.body);
  const wire = inferWire(
    new BinaryBody(parseBinaryInferRequest(body, encoded.headerLength)),
    binaryHeaderValidator(schema),
  );
  assert.equal(wire.binaryOutput('y'), true);
  assert.deepEqual(wire.document, {
    id: 'r',
    parameters: { priority: 1 },
    outputs: [{ name: 'y' }],
    inputs: [
      { name: 'x', datatype: 'FP32', shape: [1, 2], data: [1.5, -2] },
      { name: 't', datatype: 'BYTES', shape: [1], data: ['hi'] },
    ],
  });
  assert.equal(wire.document, wire.document, 'built once');
});

test('a JSON request is forwarded as it came unless it asks for binary outputs', () => {
  const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] };
  assert.equal(inferWire(body, () => undefined).document, body);
  const asking = { ...body, outputs: [{ name: 'y', parameters: { binary_data: true, classification: 2 } }] };
  assert.deepEqual(inferWire(asking, () => undefined).document, {
    ...body,
    outputs: [{ name: 'y', parameters: { classification: 2 } }],
  });
});
