import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

let sluice: Sluice;
before(async () => {
  sluice = await startTestSluice();
});
after(() => sluice.close());

function post(url: string, payload: unknown) {
  return sluice.app.inject({ method: 'POST', url, payload: payload as object });
}

const textInput = (texts: string[]) => ({ name: 'text', datatype: 'BYTES', shape: [texts.length], data: texts });

describe('KServe v2 server and model metadata', () => {
  test('GET /v2 describes the server', async () => {
    const response = await sluice.app.inject('/v2');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(Object.keys(response.json()).sort(), ['extensions', 'name', 'version']);
    assert.equal(response.json().name, 'sluice');
  });

  test('health: live and ready once every model is warmed up', async () => {
    assert.deepEqual((await sluice.app.inject('/v2/health/live')).json(), { live: true });
    const ready = await sluice.app.inject('/v2/health/ready');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { ready: true });
  });

  test('model metadata lists versions, inputs with a batch dimension, outputs', async () => {
    const response = await sluice.app.inject('/v2/models/triage-small');
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.name, 'triage-small');
    assert.deepEqual(body.versions, ['1']);
    assert.equal(body.platform, 'onnxruntime_onnx');
    assert.deepEqual(body.inputs, [{ name: 'text', datatype: 'BYTES', shape: [-1] }]);
    assert.deepEqual(body.outputs, [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 8] }]);
    const versioned = await sluice.app.inject('/v2/models/triage-small/versions/1');
    assert.equal(versioned.statusCode, 200);
    assert.deepEqual(versioned.json().versions, ['1']);
  });

  test('model and version readiness', async () => {
    const response = await sluice.app.inject('/v2/models/embed/ready');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { name: 'embed', version: '1', ready: true });
    assert.equal((await sluice.app.inject('/v2/models/embed/versions/1/ready')).statusCode, 200);
  });

  test('unknown model and version are 404 with the name in the message', async () => {
    const unknown = await sluice.app.inject('/v2/models/nope');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error, /model "nope" does not exist/);
    assert.equal(unknown.headers['x-sluice-error-code'], 'ERR_MODEL_NOT_FOUND');
    const version = await post('/v2/models/triage-small/versions/7/infer', { inputs: [textInput(['hi'])] });
    assert.equal(version.statusCode, 404);
    assert.equal(version.headers['x-sluice-error-code'], 'ERR_MODEL_VERSION_NOT_FOUND');
    assert.match(version.json().error, /no version "7"/);
  });
});

describe('KServe v2 infer', () => {
  test('text classification: one probability row per item, id echoed', async () => {
    const response = await post('/v2/models/triage-large/infer', {
      id: 'req-42',
      inputs: [textInput(['I need a refill of my blood pressure medication', 'When will my lab results be ready?'])],
    });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.id, 'req-42');
    assert.equal(body.model_name, 'triage-large');
    assert.equal(body.model_version, '1');
    const [output] = body.outputs;
    assert.equal(output.name, 'probabilities');
    assert.equal(output.datatype, 'FP32');
    assert.deepEqual(output.shape, [2, 8]);
    for (const row of [output.data.slice(0, 8), output.data.slice(8)]) {
      assert.ok(Math.abs(row.reduce((sum: number, p: number) => sum + p, 0) - 1) < 1e-4);
    }
  });

  test('nested data and [N, 1] shapes are accepted', async () => {
    const response = await post('/v2/models/triage-small/infer', {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [2, 1], data: [['billing question'], ['chest pain']] }],
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().outputs[0].shape, [2, 8]);
  });

  test('tabular model: one input tensor per field', async () => {
    const response = await post('/v2/models/noshow-risk/infer', {
      inputs: [
        { name: 'age', datatype: 'FP32', shape: [2], data: [34, 71] },
        { name: 'lead_time_days', datatype: 'FP32', shape: [2], data: [45, 2] },
        { name: 'prior_no_shows', datatype: 'INT64', shape: [2], data: [3, 0] },
        { name: 'reminder_sent', datatype: 'BOOL', shape: [2], data: [false, true] },
        { name: 'weekday', datatype: 'BYTES', shape: [2], data: ['mon', 'thu'] },
        ...extraTabularInputs(2),
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    const [output] = response.json().outputs;
    assert.equal(output.name, 'probability');
    assert.deepEqual(output.shape, [2, 1]);
    assert.ok(output.data.every((p: number) => p > 0 && p < 1));
    assert.ok(output.data[0] > output.data[1], 'a long lead time, prior no-shows and no reminder should be riskier');
  });

  test('outputs selection: known output returned, unknown output is a 400', async () => {
    const ok = await post('/v2/models/embed/infer', {
      inputs: [textInput(['hello'])],
      outputs: [{ name: 'embedding' }],
    });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(
      ok.json().outputs.map((output: { name: string }) => output.name),
      ['embedding'],
    );
    const bad = await post('/v2/models/embed/infer', { inputs: [textInput(['hello'])], outputs: [{ name: 'logits' }] });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers['x-sluice-error-code'], 'ERR_TENSOR_UNKNOWN_OUTPUT');
    assert.match(bad.json().error, /no output "logits"/);
  });

  const badRequests: Array<[string, unknown, string, RegExp]> = [
    ['inputs missing', {}, 'ERR_REQUEST_INVALID', /inputs/],
    ['inputs not an array', { inputs: 'text' }, 'ERR_REQUEST_INVALID', /inputs/],
    [
      'tensor without datatype',
      { inputs: [{ name: 'text', shape: [1], data: ['a'] }] },
      'ERR_REQUEST_INVALID',
      /datatype/,
    ],
    [
      'unknown input',
      { inputs: [{ name: 'txt', datatype: 'BYTES', shape: [1], data: ['a'] }] },
      'ERR_TENSOR_UNKNOWN_INPUT',
      /no input "txt"/,
    ],
    ['no inputs at all', { inputs: [] }, 'ERR_TENSOR_MISSING_INPUT', /missing input "text"/],
    [
      'wrong datatype',
      { inputs: [{ name: 'text', datatype: 'FP32', shape: [1], data: [1.5] }] },
      'ERR_TENSOR_DATATYPE',
      /datatype must be BYTES, got FP32/,
    ],
    [
      'shape and data disagree',
      { inputs: [{ name: 'text', datatype: 'BYTES', shape: [3], data: ['a', 'b'] }] },
      'ERR_TENSOR_SHAPE',
      /shape \[3\] holds 3 elements but data has 2/,
    ],
    [
      'wrong rank',
      { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1, 2], data: ['a', 'b'] }] },
      'ERR_TENSOR_SHAPE',
      /shape must be \[N\]/,
    ],
    [
      'negative dimension',
      { inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1], data: ['a'] }] },
      'ERR_TENSOR_SHAPE',
      /non-negative/,
    ],
    [
      'element of the wrong type',
      { inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 7] }] },
      'ERR_TENSOR_DATA',
      /data\[1\]: 7 is not a valid BYTES value/,
    ],
    ['empty batch', { inputs: [textInput([])] }, 'ERR_REQUEST_EMPTY_INPUT', /no items/],
    ['empty string', { inputs: [textInput([''])] }, 'ERR_REQUEST_INVALID', /item 0.*text/],
  ];
  for (const [name, payload, code, message] of badRequests) {
    test(`bad input: ${name} → 400 ${code}`, async () => {
      const response = await post('/v2/models/triage-small/infer', payload);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.headers['x-sluice-error-code'], code);
      assert.match(response.json().error, message);
      assert.deepEqual(Object.keys(response.json()), ['error']);
    });
  }

  test('tabular bad input names the field: out of range, wrong category, missing field', async () => {
    const base = {
      age: { name: 'age', datatype: 'FP32', shape: [1], data: [34] },
      lead: { name: 'lead_time_days', datatype: 'FP32', shape: [1], data: [4] },
      prior: { name: 'prior_no_shows', datatype: 'INT64', shape: [1], data: [0] },
      reminder: { name: 'reminder_sent', datatype: 'BOOL', shape: [1], data: [true] },
      weekday: { name: 'weekday', datatype: 'BYTES', shape: [1], data: ['mon'] },
    };
    const send = (inputs: unknown[]) =>
      post('/v2/models/noshow-risk/infer', { inputs: [...inputs, ...extraTabularInputs(1)] });
    const range = await send([{ ...base.age, data: [500] }, base.lead, base.prior, base.reminder, base.weekday]);
    assert.equal(range.statusCode, 400);
    assert.match(range.json().error, /age/);
    const category = await send([
      base.age,
      base.lead,
      base.prior,
      base.reminder,
      { ...base.weekday, data: ['someday'] },
    ]);
    assert.equal(category.statusCode, 400);
    assert.match(category.json().error, /weekday/);
    const fraction = await send([base.age, base.lead, { ...base.prior, data: [1.5] }, base.reminder, base.weekday]);
    assert.equal(fraction.statusCode, 400);
    assert.equal(fraction.headers['x-sluice-error-code'], 'ERR_TENSOR_DATA');
    const missing = await send([base.age, base.lead, base.prior, base.reminder]);
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.headers['x-sluice-error-code'], 'ERR_TENSOR_MISSING_INPUT');
    assert.equal(missing.json().error, 'inputs (item 0): missing required field "weekday"');
  });

  test('batch dimensions that disagree between inputs are a 400', async () => {
    const response = await post('/v2/models/noshow-risk/infer', {
      inputs: [
        { name: 'age', datatype: 'FP32', shape: [2], data: [34, 40] },
        { name: 'lead_time_days', datatype: 'FP32', shape: [1], data: [4] },
      ],
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['x-sluice-error-code'], 'ERR_TENSOR_SHAPE');
  });
});

describe('KServe v2 statistics', () => {
  test('stats report executions and batch counts per size', async () => {
    await post('/v2/models/triage-small/infer', { inputs: [textInput(['refill please'])] });
    const response = await sluice.app.inject('/v2/models/triage-small/stats');
    assert.equal(response.statusCode, 200);
    const [stats] = response.json().model_stats;
    assert.equal(stats.name, 'triage-small');
    assert.ok(stats.inference_count >= 1);
    assert.ok(stats.execution_count >= 1);
    const counted = stats.batch_stats.reduce(
      (sum: number, entry: { batch_size: number; count: number }) => sum + entry.batch_size * entry.count,
      0,
    );
    assert.equal(counted, stats.inference_count);
  });
});

/** Request fields of noshow-risk beyond the five every test sets (kept in step with the model). */
function extraTabularInputs(count: number): unknown[] {
  const spec = sluice.models.resolve('noshow-risk').spec;
  const known = new Set(['age', 'lead_time_days', 'prior_no_shows', 'reminder_sent', 'weekday']);
  return spec.inputs
    .filter((input) => !known.has(input.name))
    .map((input) => {
      const schema = input.schema as { enum?: string[]; minimum?: number } | undefined;
      const value = schema?.enum?.[0] ?? schema?.minimum ?? 0;
      return { name: input.name, datatype: input.datatype, shape: [count], data: Array(count).fill(value) };
    });
}
