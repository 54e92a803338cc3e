/**
 * The gRPC Open Inference Protocol service against a real sluice on loopback, called by a
 * client generated from the official proto: every RPC, errors with their status codes and
 * trailers, auth, deadlines, a full queue, and the same answers as HTTP JSON.
 */
import { testKey } from './support/keys.ts';
import { status, type ServiceError } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildBenchModels } from '../src/offline/bench-models/build-bench-models.ts';
import { decodeStatusDetails } from '../src/protocols/grpc/status.ts';
import { bytesRaw, floats, InferenceClient, textOf } from './support/grpc-client.ts';
import { HeldSessions, until } from './support/held-sessions.ts';
import { repositoryWith } from './support/repository.ts';
import { startTestSluice } from './support/server.ts';

interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
  raw_output_contents: Buffer[];
}

const TEXTS = ['I need a refill of my blood pressure medication', 'When will my lab results be ready?'];

async function served(options: Parameters<typeof startTestSluice>[0] = {}) {
  const sluice = await startTestSluice(options);
  const client = new InferenceClient(await sluice.startGrpc(0));
  return { sluice, client, close: async () => (client.close(), await sluice.close()) };
}

/** The call's failure: its status code, message and trailers. */
async function failure(call: Promise<unknown>): Promise<ServiceError & { trailers: Record<string, string> }> {
  const error = await call.then(
    () => assert.fail('the call succeeded'),
    (thrown: ServiceError) => thrown,
  );
  return Object.assign(error, { trailers: textOf(error.metadata) });
}

describe('gRPC on the default models', () => {
  let server: Awaited<ReturnType<typeof served>>;
  before(async () => (server = await served()));
  after(() => server.close());

  test('ServerLive, ServerReady and ServerMetadata describe the server', async () => {
    const { client } = server;
    assert.deepEqual((await client.call('ServerLive', {})).response, { live: true });
    assert.deepEqual((await client.call('ServerReady', {})).response, { ready: true });
    const metadata = (await client.call('ServerMetadata', {})).response;
    assert.equal(metadata['name'], 'sluice');
    assert.match(String(metadata['version']), /^\d+\.\d+\.\d+/);
  });

  test('ModelReady and ModelMetadata answer as KServe v2 over HTTP does', async () => {
    const { client, sluice } = server;
    assert.deepEqual((await client.call('ModelReady', { name: 'embed' })).response, { ready: true });
    assert.deepEqual((await client.call('ModelReady', { name: 'embed', version: '1' })).response, { ready: true });
    const { response } = await client.call('ModelMetadata', { name: 'triage-small' });
    const http = (await sluice.app.inject('/v2/models/triage-small')).json();
    assert.equal(response['name'], http.name);
    assert.deepEqual(response['versions'], http.versions);
    assert.equal(response['platform'], 'onnxruntime_onnx');
    assert.deepEqual(response['inputs'], http.inputs);
    assert.deepEqual(response['outputs'], http.outputs);
    const properties = response['properties'] as Record<string, string>;
    assert.equal(properties['task'], http.parameters.task);
    assert.deepEqual(JSON.parse(properties['labels'] ?? 'null'), http.parameters.labels);
  });

  test('an unknown model is NOT_FOUND naming it, with the registry code in the trailers', async () => {
    const error = await failure(server.client.call('ModelMetadata', { name: 'nope' }));
    assert.equal(error.code, status.NOT_FOUND);
    assert.match(error.details, /model "nope" does not exist/);
    assert.equal(error.trailers['x-sluice-error-code'], 'ERR_MODEL_NOT_FOUND');
    const infer = await failure(server.client.call('ModelInfer', { model_name: 'nope', inputs: [] }));
    assert.equal(infer.code, status.NOT_FOUND);
    const version = await failure(server.client.call('ModelReady', { name: 'triage-small', version: '7' }));
    assert.equal(version.trailers['x-sluice-error-code'], 'ERR_MODEL_VERSION_NOT_FOUND');
  });

  test('ModelInfer with BYTES contents and with raw_input_contents gives the outputs HTTP JSON gives', async () => {
    const { client, sluice } = server;
    const input = { name: 'text', datatype: 'BYTES', shape: [TEXTS.length] };
    const contents = await client.call<InferResponse>(
      'ModelInfer',
      {
        model_name: 'triage-large',
        id: 'req-7',
        inputs: [{ ...input, contents: { bytes_contents: TEXTS.map((text) => Buffer.from(text)) } }],
      },
      { metadata: { 'x-request-id': 'grpc-1' } },
    );
    const raw = await client.call<InferResponse>('ModelInfer', {
      model_name: 'triage-large',
      inputs: [input],
      raw_input_contents: [bytesRaw(TEXTS)],
    });
    const http = await sluice.app.inject({
      method: 'POST',
      url: '/v2/models/triage-large/infer',
      payload: { inputs: [{ ...input, data: TEXTS }] },
    });
    const [output] = http.json().outputs;
    for (const { response } of [contents, raw]) {
      assert.equal(response.model_name, 'triage-large');
      assert.equal(response.model_version, '1');
      assert.deepEqual(response.outputs, [
        { name: 'probabilities', datatype: 'FP32', shape: [2, 8], parameters: {}, contents: null },
      ]);
      assert.equal(response.raw_output_contents.length, 1);
      assert.deepEqual(floats(response.raw_output_contents[0] as Buffer), output.data);
    }
    assert.equal(contents.response.id, 'req-7');
    assert.equal(contents.headers['x-request-id'], 'grpc-1');
    assert.equal(contents.headers['x-sluice-model'], 'triage-large');
    assert.equal(contents.headers['x-sluice-model-version'], '1');
    assert.equal(contents.headers['x-sluice-route'], 'direct');
    assert.match(contents.headers['x-sluice-overhead-ms'] ?? '', /^\d+\.\d{2}$/);
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(
      metrics,
      /sluice_requests_total\{model="triage-large",version="1",protocol="kserve-v2-grpc",status="200"\} 2/,
    );
  });

  test('a bad input is INVALID_ARGUMENT naming the field, with a BadRequest field violation', async () => {
    const unknown = await failure(
      server.client.call('ModelInfer', {
        model_name: 'triage-small',
        inputs: [{ name: 'txt', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('hi')] } }],
      }),
    );
    assert.equal(unknown.code, status.INVALID_ARGUMENT);
    assert.match(unknown.details, /no input "txt"/);
    assert.equal(unknown.trailers['x-sluice-error-code'], 'ERR_TENSOR_UNKNOWN_INPUT');
    const details = decodeStatusDetails(unknown.metadata.get('grpc-status-details-bin')[0] as Buffer);
    assert.equal(details.code, status.INVALID_ARGUMENT);
    assert.deepEqual(
      details.details.map((detail) => detail.type),
      ['google.rpc.ErrorInfo', 'google.rpc.BadRequest'],
    );
    assert.deepEqual((details.details[1]?.value['field_violations'] as Array<{ field: string }>)[0]?.field, 'txt');

    const short = await failure(
      server.client.call('ModelInfer', {
        model_name: 'triage-small',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [2] }],
        raw_input_contents: [bytesRaw(['only one'])],
      }),
    );
    assert.equal(short.code, status.INVALID_ARGUMENT);
    assert.match(short.details, /input "text"/);
    const mixed = await failure(
      server.client.call('ModelInfer', {
        model_name: 'triage-small',
        inputs: [
          { name: 'text', datatype: 'BYTES', shape: [1] },
          { name: 'other', datatype: 'BYTES', shape: [1] },
        ],
        raw_input_contents: [bytesRaw(['one'])],
      }),
    );
    assert.equal(mixed.code, status.INVALID_ARGUMENT);
    assert.match(mixed.details, /raw_input_contents has 1 entries for 2 inputs/);
  });
});

describe('gRPC on a tensor model', () => {
  test('FP32 raw_input_contents give the outputs HTTP JSON gives', async () => {
    const repository = mkdtempSync(join(tmpdir(), 'sluice-grpc-bench-'));
    await buildBenchModels(repository, { seed: 7 });
    const server = await served({ repository });
    try {
      const values = Float32Array.from({ length: 2 * 3 * 128 * 128 }, (_, index) => Math.sin(index) / 2);
      const { response } = await server.client.call<InferResponse>('ModelInfer', {
        model_name: 'image-small',
        inputs: [{ name: 'image', datatype: 'FP32', shape: [2, 3, 128, 128] }],
        raw_input_contents: [Buffer.from(values.buffer)],
      });
      const http = await server.sluice.app.inject({
        method: 'POST',
        url: '/v2/models/image-small/infer',
        payload: { inputs: [{ name: 'image', datatype: 'FP32', shape: [2, 3, 128, 128], data: Array.from(values) }] },
      });
      assert.equal(http.statusCode, 200);
      const [output] = http.json().outputs;
      assert.deepEqual(
        response.outputs.map((tensor) => tensor.shape),
        [[2, 10]],
      );
      assert.deepEqual(floats(response.raw_output_contents[0] as Buffer), output.data);
    } finally {
      await server.close();
    }
  });
});

describe('gRPC auth', () => {
  const ACME = testKey();
  test('a missing or unknown key is UNAUTHENTICATED; a known key in authorization or x-api-key is served', async () => {
    const server = await served({
      config: { auth: { enabled: true }, tenants: [{ name: 'acme', keys: [ACME.entry] }] },
    });
    try {
      const request = {
        model_name: 'triage-small',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('hi')] } }],
      };
      const missing = await failure(server.client.call('ModelInfer', request));
      assert.equal(missing.code, status.UNAUTHENTICATED);
      assert.equal(missing.trailers['x-sluice-error-code'], 'ERR_AUTH_MISSING_KEY');
      const wrong = await failure(
        server.client.call('ModelInfer', request, { metadata: { authorization: 'Bearer nope' } }),
      );
      assert.equal(wrong.code, status.UNAUTHENTICATED);
      assert.equal(wrong.trailers['x-sluice-error-code'], 'ERR_AUTH_INVALID_KEY');
      await server.client.call('ModelInfer', request, {
        metadata: ACME.bearer,
      });
      await server.client.call('ModelInfer', request, { metadata: { 'x-api-key': ACME.key } });
    } finally {
      await server.close();
    }
  });
});

describe('gRPC load control', () => {
  const QUEUE_ROWS = 2;
  let repository: string;
  before(async () => {
    repository = await repositoryWith<{ scheduling?: Record<string, number> }>('triage-small', (document) => {
      document.scheduling = {
        priority_levels: 3,
        default_priority_level: 2,
        max_queue_size: QUEUE_ROWS,
        default_timeout_ms: 10_000,
      };
    });
  });
  const one = (text: string, parameters: object = {}) => ({
    model_name: 'triage-small',
    parameters,
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from(text)] } }],
  });

  async function held(body: (server: Awaited<ReturnType<typeof served>>, sessions: HeldSessions) => Promise<void>) {
    const sessions = new HeldSessions();
    const server = await served({ repository, openSession: sessions.open });
    sessions.started = 0;
    sessions.hold();
    try {
      await body(server, sessions);
    } finally {
      sessions.release();
      await server.close();
    }
  }

  test('a call whose deadline passes in the queue is DEADLINE_EXCEEDED, counted 504, and never executed', () =>
    held(async ({ client, sluice }, sessions) => {
      const running = client.call('ModelInfer', one('the first one'));
      await until(() => sessions.held === 1, 'the first batch is held');
      // parameters.timeout is in microseconds, as KServe v2's; the server ends the call itself.
      const late = await failure(client.call('ModelInfer', one('too late', { timeout: { int64_param: 50_000 } })));
      assert.equal(late.code, status.DEADLINE_EXCEEDED);
      assert.equal(late.trailers['x-sluice-error-code'], 'ERR_DEADLINE_EXCEEDED');
      const deadline = await failure(client.call('ModelInfer', one('also too late'), { deadlineMs: 100 }));
      assert.equal(deadline.code, status.DEADLINE_EXCEEDED);
      await until(() => sluice.models.resolve('triage-small').stats()?.queued === 0, 'the late rows left the queue');
      sessions.release();
      await running;
      assert.equal(sessions.started, 1, 'only the first batch reached the session');
      const metrics = (await sluice.app.inject('/metrics')).body;
      assert.match(
        metrics,
        /sluice_requests_total\{model="triage-small",version="1",protocol="kserve-v2-grpc",status="504"\} 2/,
      );
    }));

  test('inference calls take permits from the server-wide admission gate: over its limit, RESOURCE_EXHAUSTED', async () => {
    const sessions = new HeldSessions();
    const admission = { enabled: true, min_limit: 1, initial_limit: 1, max_limit: 1, loop_lag: { enabled: false } };
    const server = await served({ repository, openSession: sessions.open, config: { admission } });
    sessions.hold();
    try {
      const running = server.client.call('ModelInfer', one('holds the one permit'));
      await until(() => sessions.held === 1, 'the first batch is held');
      const refused = await failure(server.client.call('ModelInfer', one('over the limit')));
      assert.equal(refused.code, status.RESOURCE_EXHAUSTED);
      assert.equal(refused.trailers['x-sluice-error-code'], 'ERR_ADMISSION_OVERLOADED');
      assert.ok(Number(refused.trailers['retry-after-ms']) >= 1);
      const http = await server.sluice.app.inject({
        method: 'POST',
        url: '/v2/models/triage-small/infer',
        payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['also over'] }] },
      });
      assert.equal(http.statusCode, 429, 'the gRPC call holds the permit HTTP requests also need');
      sessions.release();
      await running;
      await server.client.call('ModelInfer', one('the permit is back'));
      const metrics = (await server.sluice.app.inject('/metrics')).body;
      assert.match(
        metrics,
        /sluice_requests_total\{model="triage-small",version="1",protocol="kserve-v2-grpc",status="429"\} 1/,
      );
    } finally {
      sessions.release();
      await server.close();
    }
  });

  test('a full queue is RESOURCE_EXHAUSTED with retry-after-ms and google.rpc.RetryInfo', () =>
    held(async ({ client, sluice }, sessions) => {
      const running = client.call('ModelInfer', one('the first one'));
      await until(() => sessions.held === 1, 'the first batch is held');
      const queued = [client.call('ModelInfer', one('queued 1')), client.call('ModelInfer', one('queued 2'))];
      await until(() => sluice.models.resolve('triage-small').stats()?.queued === QUEUE_ROWS, 'the queue is full');
      const shed = await failure(client.call('ModelInfer', one('one too many')));
      assert.equal(shed.code, status.RESOURCE_EXHAUSTED);
      assert.equal(shed.trailers['x-sluice-error-code'], 'ERR_ADMISSION_QUEUE_FULL');
      const waitMs = Number(shed.trailers['retry-after-ms']);
      assert.ok(waitMs >= 1);
      const details = decodeStatusDetails(shed.metadata.get('grpc-status-details-bin')[0] as Buffer);
      const retry = details.details.find((detail) => detail.type === 'google.rpc.RetryInfo');
      const delay = retry?.value['retry_delay'] as { seconds: number; nanos: number };
      assert.equal(delay.seconds * 1000 + delay.nanos / 1e6, waitMs);
      sessions.release();
      await Promise.all([running, ...queued]);
    }));
});
