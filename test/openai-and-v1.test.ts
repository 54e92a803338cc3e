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

describe('OpenAI-compatible API', () => {
  test('GET /v1/models lists every model', async () => {
    const response = await sluice.app.inject('/v1/models');
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.object, 'list');
    assert.deepEqual(
      body.data.map((model: { id: string }) => model.id),
      ['embed', 'noshow-risk', 'triage-large', 'triage-small'],
    );
    for (const model of body.data) {
      assert.equal(model.object, 'model');
      assert.equal(model.owned_by, 'sluice');
      assert.equal(typeof model.created, 'number');
    }
  });

  test('GET /v1/models/{m} retrieves one model (and its KServe v1 readiness)', async () => {
    const response = await sluice.app.inject('/v1/models/embed');
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().id, 'embed');
    assert.equal(response.json().ready, true);
    const missing = await sluice.app.inject('/v1/models/gpt-5');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'err_model_not_found');
    assert.equal(missing.json().error.type, 'not_found_error');
  });

  test('embeddings for a string: unit vector, usage counted', async () => {
    const response = await post('/v1/embeddings', { model: 'embed', input: 'When will my lab results be ready?' });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.object, 'list');
    assert.equal(body.model, 'embed');
    assert.equal(body.data.length, 1);
    assert.equal(body.data[0].object, 'embedding');
    assert.equal(body.data[0].index, 0);
    const norm = Math.hypot(...body.data[0].embedding);
    assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
    assert.deepEqual(body.usage, { prompt_tokens: 7, total_tokens: 7 });
  });

  test('embeddings for an array, float and base64 encodings agree', async () => {
    const input = ['refill my inhaler', 'question about my bill'];
    const floats = (await post('/v1/embeddings', { model: 'embed', input, encoding_format: 'float' })).json();
    const base64 = (await post('/v1/embeddings', { model: 'embed', input, encoding_format: 'base64' })).json();
    assert.deepEqual(
      floats.data.map((entry: { index: number }) => entry.index),
      [0, 1],
    );
    for (const [index, entry] of base64.data.entries()) {
      const bytes = Buffer.from(entry.embedding as string, 'base64');
      const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
      assert.deepEqual(decoded, floats.data[index].embedding);
    }
  });

  const badEmbeddings: Array<[string, unknown, number, string, string | null]> = [
    ['missing model', { input: 'hi' }, 400, 'err_request_invalid', null],
    ['missing input', { model: 'embed' }, 400, 'err_request_invalid', null],
    ['token arrays', { model: 'embed', input: [[1, 2, 3]] }, 400, 'err_request_invalid', 'input'],
    ['number input', { model: 'embed', input: 42 }, 400, 'err_request_invalid', 'input'],
    ['empty array', { model: 'embed', input: [] }, 400, 'err_request_empty_input', null],
    ['empty string', { model: 'embed', input: '' }, 400, 'err_request_invalid', 'text'],
    ['unknown encoding', { model: 'embed', input: 'hi', encoding_format: 'hex' }, 400, 'err_request_invalid', null],
    [
      'unsupported dimensions',
      { model: 'embed', input: 'hi', dimensions: 3 },
      400,
      'err_request_invalid',
      'dimensions',
    ],
    ['not an embedding model', { model: 'triage-small', input: 'hi' }, 400, 'err_model_unsupported_operation', 'model'],
    ['unknown model', { model: 'text-embedding-3-small', input: 'hi' }, 404, 'err_model_not_found', 'model'],
  ];
  for (const [name, payload, status, code, param] of badEmbeddings) {
    test(`embeddings bad input: ${name} → ${status} ${code}`, async () => {
      const response = await post('/v1/embeddings', payload);
      assert.equal(response.statusCode, status, response.body);
      const { error } = response.json();
      assert.equal(error.code, code);
      assert.equal(error.param, param);
      assert.equal(typeof error.message, 'string');
      assert.ok(error.message.length > 0);
      assert.equal(error.type, status === 404 ? 'not_found_error' : 'invalid_request_error');
    });
  }
});

describe('KServe v1 predict', () => {
  test('text instances as bare strings or objects', async () => {
    const response = await post('/v1/models/triage-large:predict', {
      instances: ['I need to reschedule my appointment', { text: 'Can I get a copy of my medical records?' }],
    });
    assert.equal(response.statusCode, 200, response.body);
    const { predictions } = response.json();
    assert.equal(predictions.length, 2);
    for (const prediction of predictions) {
      const labels = sluice.models.resolve('triage-large').spec.labels ?? [];
      assert.ok(labels.includes(prediction.label));
      assert.deepEqual(Object.keys(prediction.probabilities), labels);
      assert.equal(prediction.confidence, Math.max(...(Object.values(prediction.probabilities) as number[])));
    }
  });

  test('tabular instances', async () => {
    const spec = sluice.models.resolve('noshow-risk').spec;
    const instance: Record<string, unknown> = {
      age: 50,
      lead_time_days: 10,
      prior_no_shows: 1,
      reminder_sent: true,
      weekday: 'tue',
    };
    for (const input of spec.inputs) {
      const schema = input.schema as { enum?: string[] } | undefined;
      if (!(input.name in instance)) instance[input.name] = schema?.enum?.[0] ?? 0;
    }
    const response = await post('/v1/models/noshow-risk:predict', { instances: [instance] });
    assert.equal(response.statusCode, 200, response.body);
    const [prediction] = response.json().predictions;
    assert.ok(prediction.probability > 0 && prediction.probability < 1);
    const bad = await post('/v1/models/noshow-risk:predict', { instances: [{ ...instance, reminder_sent: 'yes' }] });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /instances\[0\]\.reminder_sent/);
    const bare = await post('/v1/models/noshow-risk:predict', { instances: [42] });
    assert.equal(bare.statusCode, 400);
    assert.match(bare.json().error, /instances\[0\]: must be an object/);
  });

  test('embeddings through v1 are vectors', async () => {
    const response = await post('/v1/models/embed:predict', { instances: ['hello there'] });
    assert.equal(response.statusCode, 200);
    assert.equal(typeof response.json().predictions[0][0], 'number');
  });

  const badPredicts: Array<[string, string, unknown, number, RegExp]> = [
    ['no instances', 'triage-small', {}, 400, /instances/],
    ['instances not an array', 'triage-small', { instances: 'hi' }, 400, /instances/],
    ['empty instances', 'triage-small', { instances: [] }, 400, /no items/],
    ['wrong type', 'triage-small', { instances: [17] }, 400, /instances\[0\]\.text: must be string/],
    [
      'unknown field',
      'triage-small',
      { instances: [{ text: 'hi', lang: 'en' }] },
      400,
      /instances\[0\]: unknown field "lang"/,
    ],
    [
      'missing field',
      'triage-small',
      { instances: [{ body: 'hi' }] },
      400,
      /instances\[0\]: missing required field "text"/,
    ],
    ['unknown model', 'nope', { instances: ['hi'] }, 404, /model "nope" does not exist/],
  ];
  for (const [name, model, payload, status, message] of badPredicts) {
    test(`predict bad input: ${name} → ${status}`, async () => {
      const response = await post(`/v1/models/${model}:predict`, payload);
      assert.equal(response.statusCode, status, response.body);
      assert.match(response.json().error, message);
      assert.deepEqual(Object.keys(response.json()), ['error']);
    });
  }
});

describe('HTTP-level bad input', () => {
  const raw = (url: string, payload: string, contentType = 'application/json') =>
    sluice.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  test('malformed JSON is a 400 in each protocol envelope', async () => {
    const openai = await raw('/v1/embeddings', '{"model": "embed", "input": ');
    assert.equal(openai.statusCode, 400);
    assert.equal(openai.json().error.code, 'err_request_malformed_json');
    const v2 = await raw('/v2/models/embed/infer', '{inputs: nope}');
    assert.equal(v2.statusCode, 400);
    assert.match(v2.json().error, /not valid JSON/);
    const v1 = await raw('/v1/models/embed:predict', '[1,2');
    assert.equal(v1.statusCode, 400);
    assert.match(v1.json().error, /not valid JSON/);
  });

  test('a body that would poison a prototype is a 400 in each protocol envelope, escaped or not', async () => {
    const openai = await raw('/v1/embeddings', '{"model": "embed", "input": "hi", "__proto__": {"admin": true}}');
    assert.equal(openai.statusCode, 400);
    assert.equal(openai.json().error.code, 'err_request_malformed_json');
    assert.match(openai.json().error.message, /forbidden prototype property/);
    const v2 = await raw('/v2/models/embed/infer', '{"inputs": [], "\\u0063onstructor": {"prototype": {"x": 1}}}');
    assert.equal(v2.statusCode, 400);
    assert.match(v2.json().error, /forbidden prototype property/);
  });

  test('empty body and non-JSON content types', async () => {
    const empty = await raw('/v1/embeddings', '');
    assert.equal(empty.statusCode, 400);
    const text = await raw('/v2/models/embed/infer', 'hello', 'text/plain');
    assert.equal(text.statusCode, 415);
    assert.equal(text.headers['x-sluice-error-code'], 'ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE');
  });

  test('an oversize body is a 413', async () => {
    const huge = JSON.stringify({ model: 'embed', input: 'x'.repeat(11 * 1024 * 1024) });
    const response = await raw('/v1/embeddings', huge);
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().error.code, 'err_request_body_too_large');
  });

  test('a JSON body that is not an object', async () => {
    const response = await raw('/v1/embeddings', '"just a string"');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.type, 'invalid_request_error');
  });

  test('too many items in one request', async () => {
    const response = await post('/v1/embeddings', { model: 'embed', input: Array(5000).fill('hi') });
    assert.equal(response.statusCode, 400);
    assert.match(response.json().error.message, /at most 2048/);
  });

  test('unknown routes are 404 in the matching envelope', async () => {
    const openai = await sluice.app.inject('/v1/nothing');
    assert.equal(openai.statusCode, 404);
    assert.equal(openai.json().error.code, 'err_route_not_found');
    const v2 = await sluice.app.inject('/v2/nothing/here');
    assert.equal(v2.statusCode, 404);
    assert.match(v2.json().error, /no route for GET \/v2\/nothing\/here/);
  });

  test('every response carries a request id, and a caller-given one is kept', async () => {
    const generated = await sluice.app.inject('/v2/health/live');
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const given = await sluice.app.inject({ url: '/v2/health/live', headers: { 'x-request-id': 'trace-me-1' } });
    assert.equal(given.headers['x-request-id'], 'trace-me-1');
  });
});
