/**
 * Partial data over the tensor protocols (issue 15): a KServe v2 request that leaves an input
 * tensor out, over HTTP JSON, the binary tensor extension and gRPC, goes through the model's
 * partial-data policy as a KServe v1 instance lacking the field does: imputed for every item,
 * answered by the fallback model, or refused with ERR_TENSOR_MISSING_INPUT naming the input,
 * and counted either way. A JSON null of a one-value field is one item's missing value.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import type { QualityReport } from '../src/quality/quality-monitor.ts';
import { encodeBinaryInferRequest, type EncodableTensor } from '../src/protocols/v2-binary.ts';
import { floats, InferenceClient, textOf } from './support/grpc-client.ts';
import { defaultModelsDir } from './support/models.ts';
import { copyModel, input, referenceMedianAge } from './support/noshow-copies.ts';
import { startTestSluice } from './support/server.ts';

interface Item {
  age: number;
  lead_time_days: number;
  prior_no_shows: number;
  reminder_sent: boolean;
  weekday: string;
  channel: string;
}
type Field = keyof Item;

const ITEMS: readonly Item[] = [
  { age: 29, lead_time_days: 25, prior_no_shows: 0, reminder_sent: true, weekday: 'wed', channel: 'phone' },
  { age: 71, lead_time_days: 2, prior_no_shows: 3, reminder_sent: false, weekday: 'mon', channel: 'referral' },
  { age: 45, lead_time_days: 60, prior_no_shows: 1, reminder_sent: true, weekday: 'fri', channel: 'phone' },
];
const DATATYPES = {
  age: 'FP32',
  lead_time_days: 'FP32',
  prior_no_shows: 'INT64',
  reminder_sent: 'BOOL',
  weekday: 'BYTES',
  channel: 'BYTES',
} as const;
const FIELDS = Object.keys(DATATYPES) as Field[];
/** Every field but these. */
const without = (...left: Field[]) => FIELDS.filter((field) => !left.includes(field));

let root: string;
let sluice: Sluice;
let client: InferenceClient;
let medianAge: number;

before(async () => {
  const from = await defaultModelsDir();
  root = mkdtempSync(join(tmpdir(), 'sluice-tensor-partial-'));
  copyModel(from, root, 'risk-impute', (spec) => {
    input(spec, 'age')['fill'] = { from: 'reference' };
    input(spec, 'channel')['fill'] = { value: 'web' };
    spec['quality'] = { partial_data: { policy: 'impute' } };
  });
  copyModel(from, root, 'risk-reject', () => undefined);
  copyModel(from, root, 'risk-fallback', (spec) => {
    spec['quality'] = { partial_data: { policy: 'fallback', fallback_model: 'risk-impute' } };
  });
  sluice = await startTestSluice({ repository: root });
  client = new InferenceClient(await sluice.startGrpc(0));
  medianAge = referenceMedianAge(root, 'risk-impute');
});

after(async () => {
  client?.close();
  await sluice?.close();
  rmSync(root, { recursive: true, force: true });
});

function jsonInputs(items: readonly Item[], fields: readonly Field[]) {
  return fields.map((name) => ({
    name,
    datatype: DATATYPES[name],
    shape: [items.length],
    data: items.map((item) => item[name]),
  }));
}

function binaryTensor(items: readonly Item[], name: Field): EncodableTensor {
  const shape = [items.length];
  const values = items.map((item) => item[name]);
  const datatype = DATATYPES[name];
  if (datatype === 'FP32') return { name, datatype, shape, data: Float32Array.from(values as number[]) };
  if (datatype === 'INT64') return { name, datatype, shape, data: BigInt64Array.from(values as number[], BigInt) };
  if (datatype === 'BOOL') return { name, datatype, shape, data: Uint8Array.from(values as boolean[], Number) };
  return { name, datatype, shape, data: values as string[] };
}

function grpcTensor(items: readonly Item[], name: Field) {
  const values = items.map((item) => item[name]);
  const datatype = DATATYPES[name];
  const contents =
    datatype === 'FP32'
      ? { fp32_contents: values }
      : datatype === 'INT64'
        ? { int64_contents: values }
        : datatype === 'BOOL'
          ? { bool_contents: values }
          : { bytes_contents: (values as string[]).map((value) => Buffer.from(value)) };
  return { name, datatype, shape: [items.length], contents };
}

function postJson(model: string, inputs: readonly object[]) {
  return sluice.app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, payload: { inputs } });
}

function postBinary(model: string, items: readonly Item[], fields: readonly Field[]) {
  const encoded = encodeBinaryInferRequest(
    {},
    fields.map((field) => binaryTensor(items, field)),
  );
  return sluice.app.inject({
    method: 'POST',
    url: `/v2/models/${model}/infer`,
    payload: Buffer.concat(encoded.body),
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(encoded.headerLength),
    },
  });
}

interface GrpcAnswer {
  model_name: string;
  outputs: Array<{ name: string }>;
  raw_output_contents: Buffer[];
}

function inferGrpc(model: string, items: readonly Item[], fields: readonly Field[]) {
  const inputs = fields.map((field) => grpcTensor(items, field));
  return client.call<GrpcAnswer>('ModelInfer', { model_name: model, inputs });
}

/** Each output's values, by name, from an HTTP JSON answer. */
function jsonOutputs(response: { statusCode: number; body: string; json: () => unknown }): Record<string, number[]> {
  assert.equal(response.statusCode, 200, response.body);
  const { outputs } = response.json() as { outputs: Array<{ name: string; data: number[] }> };
  return Object.fromEntries(outputs.map((output) => [output.name, output.data]));
}

function grpcOutputs(answer: GrpcAnswer): Record<string, number[]> {
  return Object.fromEntries(
    answer.outputs.map((output, index) => [output.name, floats(answer.raw_output_contents[index] as Buffer)]),
  );
}

async function partialData(model: string): Promise<NonNullable<QualityReport['adjustments']>['partial_data']> {
  const response = await sluice.app.inject({ url: `/admin/models/${model}/quality` });
  assert.equal(response.statusCode, 200, response.body);
  const partial = response.json<QualityReport>().adjustments?.partial_data;
  assert.ok(partial !== undefined);
  return partial;
}

describe('an input tensor left out goes through the partial-data policy', () => {
  test('impute: every item takes the fill, over HTTP JSON, binary and gRPC, as if sent filled', async () => {
    const filled = ITEMS.map((item) => ({ ...item, age: medianAge, channel: 'web' }));
    const expected = jsonOutputs(await postJson('risk-impute', jsonInputs(filled, FIELDS)));
    const before = await partialData('risk-impute');
    const fields = without('age', 'channel');
    assert.deepEqual(jsonOutputs(await postJson('risk-impute', jsonInputs(ITEMS, fields))), expected);
    assert.deepEqual(jsonOutputs(await postBinary('risk-impute', ITEMS, fields)), expected);
    const overGrpc = await inferGrpc('risk-impute', ITEMS, fields);
    assert.deepEqual(grpcOutputs(overGrpc.response), expected);
    assert.equal(overGrpc.headers['x-sluice-route'], 'direct');
    const after = await partialData('risk-impute');
    assert.equal(after.imputed - before.imputed, 3 * ITEMS.length, 'every item of the three requests');
  });

  test('a JSON null of a one-value field is that item alone missing, filled as an instance would be', async () => {
    const canonical = [ITEMS[0], { ...ITEMS[1], age: medianAge }, { ...ITEMS[2], channel: 'web' }] as Item[];
    const expected = jsonOutputs(await postJson('risk-impute', jsonInputs(canonical, FIELDS)));
    const holes = jsonInputs(ITEMS, FIELDS).map((tensor) => {
      if (tensor.name === 'age') return { ...tensor, data: [ITEMS[0]?.age, null, ITEMS[2]?.age] };
      if (tensor.name === 'channel') return { ...tensor, data: [ITEMS[0]?.channel, ITEMS[1]?.channel, null] };
      return tensor;
    });
    assert.deepEqual(jsonOutputs(await postJson('risk-impute', holes)), expected);
  });

  test('fallback: the request is answered by the fallback model over each protocol, its route saying so', async () => {
    const expected = jsonOutputs(
      await postJson(
        'risk-impute',
        jsonInputs(
          ITEMS.map((item) => ({ ...item, age: medianAge })),
          FIELDS,
        ),
      ),
    );
    const before = await partialData('risk-fallback');
    const fields = without('age');
    for (const response of [
      await postJson('risk-fallback', jsonInputs(ITEMS, fields)),
      await postBinary('risk-fallback', ITEMS, fields),
    ]) {
      assert.deepEqual(jsonOutputs(response), expected);
      assert.equal(response.json<{ model_name: string }>().model_name, 'risk-impute');
      assert.equal(response.headers['x-sluice-route'], 'partial-data-fallback:risk-impute');
    }
    const overGrpc = await inferGrpc('risk-fallback', ITEMS, fields);
    assert.deepEqual(grpcOutputs(overGrpc.response), expected);
    assert.equal(overGrpc.response.model_name, 'risk-impute');
    assert.equal(overGrpc.headers['x-sluice-route'], 'partial-data-fallback:risk-impute');
    const after = await partialData('risk-fallback');
    assert.equal(after.fallback - before.fallback, 3 * ITEMS.length);
  });

  test('reject: ERR_TENSOR_MISSING_INPUT naming the input in each envelope, every item counted', async () => {
    const before = await partialData('risk-reject');
    const fields = without('age');
    const message = ITEMS.map((_, index) => `inputs (item ${index}): missing required field "age"`).join('; ');
    for (const response of [
      await postJson('risk-reject', jsonInputs(ITEMS, fields)),
      await postBinary('risk-reject', ITEMS, fields),
    ]) {
      assert.equal(response.statusCode, 400);
      assert.equal(response.headers['x-sluice-error-code'], 'ERR_TENSOR_MISSING_INPUT');
      assert.deepEqual(response.json(), { error: message });
    }
    const refused = await inferGrpc('risk-reject', ITEMS, fields).then(
      () => assert.fail('the call succeeded'),
      (error: ServiceError) => error,
    );
    assert.equal(refused.code, status.INVALID_ARGUMENT);
    assert.equal(refused.details, message);
    assert.equal(textOf(refused.metadata)['x-sluice-error-code'], 'ERR_TENSOR_MISSING_INPUT');
    const after = await partialData('risk-reject');
    assert.equal(after.rejected - before.rejected, 3 * ITEMS.length);
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(
      metrics,
      /sluice_quality_partial_data_items_total\{model="risk-reject",version="1",policy="reject",outcome="rejected"\} 9/,
    );
  });

  test('reject: a JSON null is a bad element, as before; a request with no input at all has no batch size', async () => {
    const nulls = jsonInputs(ITEMS, FIELDS).map((tensor) =>
      tensor.name === 'age' ? { ...tensor, data: [30, null, 40] } : tensor,
    );
    const refused = await postJson('risk-reject', nulls);
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.headers['x-sluice-error-code'], 'ERR_TENSOR_DATA');
    assert.deepEqual(refused.json(), { error: 'input "age" data[1]: null is not a valid FP32 value' });
    const empty = await postJson('risk-impute', []);
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.headers['x-sluice-error-code'], 'ERR_TENSOR_MISSING_INPUT');
    assert.deepEqual(empty.json(), { error: 'missing input "age"' });
  });
});
