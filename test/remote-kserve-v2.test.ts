/**
 * Remote models over KServe v2 / Open Inference Protocol: sluice → two plain node:http
 * servers that imitate a Triton OIP endpoint (a doubler), with modes that fail on purpose.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

type Mode = 'ok' | 'bad-request' | 'fail' | 'bad-json' | 'not-ready';

interface FakeTriton {
  readonly server: Server;
  readonly url: string;
  mode: Mode;
  /** "METHOD path" of every request it received. */
  readonly seen: string[];
}

const INFER = { id: 'r1', inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2.5, -4] }] };

function answer(triton: FakeTriton, request: IncomingMessage, response: ServerResponse, body: string): void {
  const json = (status: number, value: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
  const model = /^\/v2\/models\/([^/]+)/.exec(request.url ?? '')?.[1] ?? '';
  if (triton.mode === 'fail') return json(500, { error: 'GPU fell off the bus' });
  if (triton.mode === 'bad-request') return json(400, { error: `unexpected inference input 'x' for model '${model}'` });
  if (triton.mode === 'bad-json')
    return void response
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"model_name": "up", "outputs": [');
  if (request.url?.endsWith('/ready')) return void response.writeHead(triton.mode === 'not-ready' ? 400 : 200).end();
  if (request.method === 'GET')
    return json(200, {
      name: model,
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
    });
  const { id, inputs } = JSON.parse(body) as { id?: string; inputs: Array<{ data: number[] }> };
  const data = inputs[0]?.data ?? [];
  json(200, {
    model_name: model,
    model_version: '1',
    id,
    outputs: [{ name: 'y', datatype: 'FP32', shape: [data.length], data: data.map((x) => x * 2) }],
  });
}

async function startFakeTriton(): Promise<FakeTriton> {
  const triton: FakeTriton = { server: createServer(), url: '', mode: 'ok', seen: [] };
  triton.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    triton.seen.push(`${request.method} ${request.url}`);
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.once('end', () => answer(triton, request, response, body));
  });
  await new Promise<void>((resolve) => triton.server.listen(0, '127.0.0.1', resolve));
  return Object.assign(triton, { url: `http://127.0.0.1:${(triton.server.address() as AddressInfo).port}` });
}

let tritons: FakeTriton[];
let sluice: Sluice;

before(async () => {
  tritons = await Promise.all([startFakeTriton(), startFakeTriton()]);
  sluice = await startTestSluice({
    config: {
      backends: [
        // Round robin, so which replica fails is deterministic; no hedging or health probes to keep counts exact.
        {
          name: 'triton',
          dialect: 'kserve-v2',
          load_balancing: 'round_robin',
          hedging: { enabled: false },
          health_check: { enabled: false },
          replicas: tritons.map((triton) => ({ url: triton.url })),
          models: [{ name: 'doubler', upstream: 'upstream-doubler' }],
        },
      ],
    },
  });
});

beforeEach(() => {
  for (const triton of tritons) {
    triton.mode = 'ok';
    triton.seen.length = 0;
  }
});

after(async () => {
  await sluice.close();
  for (const triton of tritons) triton.server.closeAllConnections();
  await Promise.all(tritons.map((triton) => new Promise((resolve) => triton.server.close(resolve))));
});

const infer = (url = '/v2/models/doubler/infer', payload: object = INFER) =>
  sluice.app.inject({ method: 'POST', url, payload });
const allSeen = () => tritons.flatMap((triton) => triton.seen);

test('infer is forwarded under the upstream name and answered under the sluice name', async () => {
  const response = await infer();
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), {
    model_name: 'doubler',
    model_version: '1',
    id: 'r1',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [3], data: [2, 5, -8] }],
  });
  assert.deepEqual(allSeen(), ['POST /v2/models/upstream-doubler/infer']);
});

test('a version goes upstream in the path', async () => {
  const response = await infer('/v2/models/doubler/versions/1/infer');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(allSeen(), ['POST /v2/models/upstream-doubler/versions/1/infer']);
});

test('remote infer requests are counted under the remote model name', async () => {
  await infer();
  const metrics = await sluice.app.inject('/metrics');
  assert.match(
    metrics.body,
    /sluice_requests_total\{[^}]*model="doubler"[^}]*protocol="kserve-v2"[^}]*status="200"[^}]*\} \d+/,
  );
});

test('metadata is forwarded with the sluice name', async () => {
  const response = await sluice.app.inject('/v2/models/doubler');
  assert.equal(response.statusCode, 200);
  assert.equal(response.json().name, 'doubler');
  assert.deepEqual(response.json().outputs, [{ name: 'y', datatype: 'FP32', shape: [-1] }]);
  assert.deepEqual(allSeen(), ['GET /v2/models/upstream-doubler']);
});

test('ready is forwarded: 200 when the upstream is ready, 503 when not or unreachable', async () => {
  const ready = await sluice.app.inject('/v2/models/doubler/ready');
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { name: 'doubler', ready: true });
  assert.deepEqual(allSeen(), ['GET /v2/models/upstream-doubler/ready']);
  for (const triton of tritons) triton.mode = 'not-ready';
  const notReady = await sluice.app.inject('/v2/models/doubler/versions/1/ready');
  assert.equal(notReady.statusCode, 503);
  assert.deepEqual(notReady.json(), { name: 'doubler', version: '1', ready: false });
  for (const triton of tritons) triton.mode = 'fail';
  assert.equal((await sluice.app.inject('/v2/models/doubler/ready')).statusCode, 503);
});

test("an upstream 400 is passed through with the upstream's message in the KServe envelope", async () => {
  for (const triton of tritons) triton.mode = 'bad-request';
  const response = await infer();
  assert.equal(response.statusCode, 400);
  assert.equal(response.headers['x-sluice-error-code'], 'ERR_UPSTREAM_REJECTED');
  assert.deepEqual(response.json(), { error: "unexpected inference input 'x' for model 'upstream-doubler'" });
  assert.equal(allSeen().length, 1, 'a 4xx is not retried');
});

test('one replica failing with 500: the other answers', async () => {
  for (const [index, triton] of tritons.entries()) triton.mode = index === 0 ? 'fail' : 'ok';
  for (let i = 0; i < 4; i += 1) {
    const response = await infer();
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().outputs[0].data, [2, 5, -8]);
  }
  assert.ok((tritons[0]?.seen.length ?? 0) > 0, 'the failing replica was tried, and its requests failed over');
});

test('both replicas failing: 502 in the KServe envelope', async () => {
  for (const triton of tritons) triton.mode = 'fail';
  const response = await infer();
  assert.equal(response.statusCode, 502);
  assert.equal(response.headers['x-sluice-error-code'], 'ERR_UPSTREAM_UNAVAILABLE');
  const body = response.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.match(body.error, /backend "triton" is unavailable: .*answered 500: GPU fell off the bus/);
});

test('invalid JSON from the upstream: 502 ERR_UPSTREAM_BAD_RESPONSE', async () => {
  for (const triton of tritons) triton.mode = 'bad-json';
  const response = await infer();
  assert.equal(response.statusCode, 502);
  assert.equal(response.headers['x-sluice-error-code'], 'ERR_UPSTREAM_BAD_RESPONSE');
  assert.match(response.json().error, /answered invalid JSON/);
});

test('GET /v1/models lists the remote kserve-v2 model, owned by its backend', async () => {
  const listed = (await sluice.app.inject('/v1/models')).json().data as Array<{ id: string; owned_by: string }>;
  assert.deepEqual(listed.find((model) => model.id === 'doubler')?.owned_by, 'triton');
  assert.ok(
    listed.some((model) => model.owned_by !== 'triton'),
    'local models are still listed',
  );
});

test('local models keep their /v2 routes', async () => {
  const metadata = await sluice.app.inject('/v2/models/triage-small');
  assert.equal(metadata.statusCode, 200);
  assert.equal(metadata.json().platform, 'onnxruntime_onnx');
  const unknown = await infer('/v2/models/nope/infer');
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(allSeen(), []);
});

test('OpenAI routes refuse a KServe v2 model instead of forwarding it to the wrong API', async () => {
  for (const [url, payload] of [
    ['/v1/chat/completions', { model: 'doubler', messages: [{ role: 'user', content: 'hi' }] }],
    ['/v1/embeddings', { model: 'doubler', input: 'hi' }],
  ] as const) {
    const response = await sluice.app.inject({ method: 'POST', url, payload });
    assert.equal(response.statusCode, 400, url);
    assert.equal(response.json().error.code, 'err_model_unsupported_operation');
    assert.match(
      response.json().error.message,
      /served by a kserve-v2 backend; .*\(use \/v2\/models\/doubler\/infer\)/,
    );
  }
});
