/**
 * The pure parts of the `real-models` benchmark: its figures as ratios within rounds and
 * their verdicts, the request forms of a tensor item (JSON, binary, gRPC), the JSON floor
 * server's decoding, batching and answer, gRPC statuses as outcome classes, and a raw ORT
 * measurement as a ceiling row. Behaviour only, no timings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowRecord } from '../benchmarks/lib/batching-report.ts';
import { outcomeOfGrpcStatus } from '../benchmarks/lib/grpc-target.ts';
import { answerBody, answerOf, decodeItems, decodeRequest, takeRequests } from '../benchmarks/lib/json-floor.ts';
import { rawRow } from '../benchmarks/lib/real-models-ceiling.ts';
import {
  figureOf,
  figureRange,
  figureSpecs,
  SIDES,
  targetsTable,
  verdictOf,
} from '../benchmarks/lib/real-models-report.ts';
import {
  cycle,
  grpcTensorRequest,
  itemFloats,
  v2BinaryTensorRequest,
  v2JsonTensorRequest,
} from '../benchmarks/lib/tensor-requests.ts';
import { parseBinaryInferRequest, parseBinaryInferResponse } from '../src/protocols/v2-binary.ts';

const record = (model: string, side: string, round: number, itemsPerS: number): RowRecord => ({
  model,
  side,
  round,
  itemsPerS,
  users: undefined,
  p50Ms: undefined,
  p99Ms: undefined,
  failed: 0,
  failureKinds: {},
  cpu: { server: 1, client: 0, other: 0 },
  batches: undefined,
  idleReached: true,
});

const [computeVsRaw, batchingGain, grpcVsRaw, , , tinyVsFloor] = figureSpecs('dense', 'image', 'tiny');

test('a figure is the numerator over the denominator within each round, then the median and range of the rounds', () => {
  const records = [
    record('dense', SIDES.rawBest, 1, 1000),
    record('dense', SIDES.json, 1, 900),
    record('dense', SIDES.rawBest, 2, 1000),
    record('dense', SIDES.json, 2, 700),
  ];
  const result = figureOf(computeVsRaw!, records);
  assert.deepEqual(
    result.rounds.map((entry) => entry.value),
    [0.9, 0.7],
  );
  assert.equal(result.median, 0.8);
  assert.equal(figureRange(result), '80% (70%–90%)');
  assert.equal(verdictOf(result), 'MISSED');
});

test("the batching figure divides sluice's gain by raw ORT's gain in the same round", () => {
  const records = [
    record('dense', SIDES.json, 1, 800),
    record('dense', SIDES.unbatched, 1, 100),
    record('dense', SIDES.rawBest, 1, 5000),
    record('dense', SIDES.rawOne, 1, 625),
  ];
  // sluice gains 8x, raw ORT 8x: the whole gain.
  const result = figureOf(batchingGain!, records);
  assert.equal(result.median, 1);
  assert.equal(verdictOf(result), 'met');
});

test('a figure whose side did not run is not run, with the reason given, and never met', () => {
  const records = [record('image', SIDES.rawBest, 1, 3000)];
  const result = figureOf(grpcVsRaw!, records, 'gRPC not served: no proto');
  assert.equal(verdictOf(result), 'not run');
  assert.equal(figureRange(result), 'not run: gRPC not served: no proto');
});

test('a round where a side answered nothing gives no ratio rather than zero or infinity', () => {
  const records = [
    record('tiny', SIDES.json, 1, 500),
    record('tiny', SIDES.floor, 1, 0),
    record('tiny', SIDES.json, 2, 600),
    record('tiny', SIDES.floor, 2, 1000),
  ];
  const result = figureOf(tinyVsFloor!, records);
  assert.deepEqual(
    result.rounds.map((entry) => entry.round),
    [2],
  );
  assert.equal(result.median, 0.6);
  assert.equal(verdictOf(result), 'MISSED');
});

test('the targets table gives each figure its target, measured value, verdict and the items/s it is made of', () => {
  const records = [record('dense', SIDES.rawBest, 1, 1000), record('dense', SIDES.json, 1, 900)];
  const table = targetsTable([figureOf(computeVsRaw!, records)], records);
  assert.match(table, /\| ≥ 85% \| 90% \| met \| sluice JSON 900 ÷ raw ORT, best batch 1000 \|/);
});

test('itemFloats flattens a nested golden item and refuses one of the wrong size', () => {
  const input = { name: 'image', shape: [2, 2] };
  assert.deepEqual(
    Array.from(
      itemFloats(
        {
          image: [
            [1, 2],
            [3, 4],
          ],
        },
        input,
      ),
    ),
    [1, 2, 3, 4],
  );
  assert.throws(() => itemFloats({ image: [[1, 2]] }, input), /not 4 numbers/);
});

test('the three request forms carry the same item: JSON data, binary bytes after the header, gRPC raw contents', () => {
  const input = { name: 'x', shape: [3] };
  const floats = new Float32Array([0.5, -1, 2]);
  const json = v2JsonTensorRequest('m', input, floats);
  assert.equal(json.path, '/v2/models/m/infer');
  assert.deepEqual(JSON.parse(json.body as string), {
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [0.5, -1, 2] }],
  });
  const binary = v2BinaryTensorRequest('m', input, floats);
  const headerLength = Number(binary.headers?.['inference-header-content-length']);
  const parsed = parseBinaryInferRequest(Buffer.from(binary.body as Uint8Array), headerLength);
  assert.deepEqual(Array.from(parsed.inputs[0]?.data as Float32Array), [0.5, -1, 2]);
  assert.equal(binary.headers?.['content-type'], 'application/octet-stream');
  const grpc = grpcTensorRequest('m', input, floats) as { raw_input_contents: Buffer[] };
  assert.deepEqual(Array.from(new Float32Array(new Uint8Array(grpc.raw_input_contents[0]!).buffer)), [0.5, -1, 2]);
});

test('cycle goes round the requests built up front', () => {
  const next = cycle(['a', 'b']);
  assert.deepEqual([0, 1, 2, 3].map(next), ['a', 'b', 'a', 'b']);
});

test('gRPC statuses fall into the classes of their HTTP twins: RESOURCE_EXHAUSTED is shed, DEADLINE_EXCEEDED a timeout', () => {
  assert.deepEqual([0, 8, 4, 3, 13].map(outcomeOfGrpcStatus), ['ok', 'shed', 'timeout', 'error', 'error']);
});

const floorSpec = {
  name: 'm',
  version: '1',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [2] },
    { name: 'text', datatype: 'BYTES', shape: [] },
  ],
  tensors: { inputs: [], outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }] },
} as unknown as Parameters<typeof decodeItems>[1] & Parameters<typeof answerBody>[0];

test('the floor decodes each item of a KServe v2 JSON body into a typed array per FP32 input and a string per BYTES input', () => {
  const items = decodeItems(
    {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] },
        { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 'b'] },
      ],
    },
    floorSpec,
  );
  assert.equal(items.length, 2);
  assert.deepEqual(items[1]?.['text'], 'b');
  const tensor = items[1]?.['x'] as { data: Float32Array; dims: readonly number[] };
  assert.deepEqual([Array.from(tensor.data), tensor.dims], [[3, 4], [2]]);
  assert.throws(() => decodeItems({ inputs: [] }, floorSpec), /no input "x"/);
});

test('the floor batches whole waiting requests up to max_batch_size items, and always at least one', () => {
  assert.equal(takeRequests([1, 1, 1], 2), 2);
  assert.equal(takeRequests([3, 1], 2), 1);
  assert.equal(takeRequests([1, 2, 1], 4), 3);
  assert.equal(takeRequests([], 4), 0);
});

test("the floor's answer is sluice's KServe v2 answer: model name and version, every output stacked", () => {
  const rows = [{ y: { dtype: 'float32', dims: [1], data: new Float32Array([0.25]) } }] as const;
  assert.deepEqual(JSON.parse(answerBody(floorSpec, rows)), {
    model_name: 'm',
    model_version: '1',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], data: [0.25] }],
  });
});

test("the floor decodes a binary request from v2BinaryTensorRequest into each item's view of the body's floats", () => {
  const spec = { inputs: [{ name: 'image', datatype: 'FP32', shape: [2, 2] }] } as unknown as Parameters<
    typeof decodeRequest
  >[2];
  const request = v2BinaryTensorRequest(
    'm',
    { name: 'image', shape: [2, 2] },
    new Float32Array([0.5, -1, 2, Infinity]),
  );
  const bytes = request.body as Uint8Array;
  const body = Buffer.alloc(bytes.length); // unpooled: offset 0, as a large body's Buffer.concat gives
  body.set(bytes);
  const decoded = decodeRequest(body, request.headers?.['inference-header-content-length'], spec);
  assert.equal(decoded.items.length, 1);
  const tensor = decoded.items[0]?.['image'] as { dtype: string; data: Float32Array; dims: readonly number[] };
  assert.deepEqual([tensor.dtype, Array.from(tensor.data), tensor.dims], ['float32', [0.5, -1, 2, Infinity], [2, 2]]);
  assert.ok(tensor.data instanceof Float32Array);
  assert.equal(tensor.data.buffer, body.buffer, 'an aligned body is viewed, not copied');
  const unaligned = Buffer.alloc(bytes.length + 1).subarray(1);
  unaligned.set(bytes);
  const copied = decodeRequest(unaligned, request.headers?.['inference-header-content-length'], spec).items[0]?.[
    'image'
  ] as { data: Float32Array };
  assert.deepEqual(Array.from(copied.data), [0.5, -1, 2, Infinity], 'an unaligned body is copied once');
  assert.equal(decoded.binaryOutput('y'), true, 'v2BinaryTensorRequest asks for binary outputs');
  const json = v2JsonTensorRequest('m', { name: 'image', shape: [2, 2] }, new Float32Array(4));
  assert.equal(decodeRequest(Buffer.from(json.body as string), undefined, spec).binaryOutput('y'), false);
});

test("the floor answers a request for binary outputs as sluice does: the JSON header, then each output's bytes", () => {
  const rows = [
    { y: { dtype: 'float32', dims: [1], data: new Float32Array([0.25]) } },
    { y: { dtype: 'float32', dims: [1], data: new Float32Array([-3]) } },
  ] as const;
  const answer = answerOf(floorSpec, rows, () => true);
  assert.equal(answer.headers['content-type'], 'application/octet-stream');
  const parsed = parseBinaryInferResponse(answer.body as Buffer, answer.headers['inference-header-content-length']);
  assert.deepEqual(
    [parsed.header.model_name, parsed.header.model_version, parsed.outputs[0]?.shape],
    ['m', '1', [2, 1]],
  );
  assert.deepEqual(Array.from(parsed.outputs[0]?.data as Float32Array), [0.25, -3]);
  assert.deepEqual(JSON.parse(answerOf(floorSpec, rows, () => false).body as string).outputs[0].data, [0.25, -3]);
});

test('a raw ORT measurement becomes a ceiling row with items/s, time per batch and CPU per item', () => {
  const row = rawRow(8, 100, 1000, 0.5);
  assert.deepEqual(row, { batchSize: 8, batches: 100, itemsPerS: 800, batchMs: 10, itemMs: 1.25, cpuItemMs: 0.625 });
});

test('a diagnostic figure reads a miss and is never judged met or missed', () => {
  const floorVsRaw = figureSpecs('dense', 'image', 'tiny').find((spec) => spec.key === 'compute-floor-vs-raw');
  const records = [record('dense', SIDES.rawBest, 1, 1000), record('dense', SIDES.floor, 1, 400)];
  const result = figureOf(floorVsRaw!, records);
  assert.equal(figureRange(result), '40%');
  assert.equal(verdictOf(result), 'diagnostic');
});

test('the binary floor diagnostics read the image model: floor ÷ raw ORT best, sluice binary ÷ floor', () => {
  const specs = figureSpecs('dense', 'image', 'tiny');
  const records = [
    record('image', SIDES.rawBest, 1, 2000),
    record('image', SIDES.binaryFloor, 1, 1000),
    record('image', SIDES.binary, 1, 800),
  ];
  const read = (key: string) =>
    figureRange(
      figureOf(
        specs.find((spec) => spec.key === key)!,
        records,
      ),
    );
  assert.deepEqual([read('image-binary-floor-vs-raw'), read('image-binary-vs-floor')], ['50%', '80%']);
});
