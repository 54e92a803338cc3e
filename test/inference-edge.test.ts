/**
 * What the HTTP edge and the pipeline do once for every route: the tenant before anything
 * else, time that is not sluice's kept out of its overhead after a fallback, nothing left
 * open or claimed when a request fails after dispatch, bounded metric labels, and the
 * in-flight count of a stream held until it ends.
 */
import { testKey } from './support/keys.ts';

const CLINIC = testKey();
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const SLOW_429_MS = 300;
const QUIET = { health_check: { enabled: false }, hedging: { enabled: false }, retry_after: { enabled: false } };
const MESSAGES = [{ role: 'user', content: 'hello there' }];

let sim: Simulator;
let busy: Server;
let triton: Server;
let sluice: Sluice;
let failing: Sluice;
let baseUrl: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  sim = await startSimulator({ port: 0, seed: 9, latency: { ...FAST, decodeMs: 20 } });
  // Sheds every request, slowly: the time it takes is the upstream's, not sluice's.
  busy = createServer((_request, response) => {
    setTimeout(() => {
      response.writeHead(429, { 'content-type': 'application/json' }).end('{"error": {"message": "busy"}}');
    }, SLOW_429_MS);
  });
  triton = createServer((request, response) => {
    request
      .resume()
      .once('end', () =>
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such version"}'),
      );
  });
  const backends = [
    {
      name: 'busy',
      dialect: 'openai',
      ...QUIET,
      replicas: [{ url: await listen(busy) }],
      models: [{ name: 'chat', fallbacks: ['chat-small'] }],
    },
    {
      name: 'sim',
      dialect: 'openai',
      ...QUIET,
      replicas: [{ url: sim.url }],
      models: [{ name: 'chat-small', upstream: 'sim-small' }],
    },
    {
      name: 'triton',
      dialect: 'kserve-v2',
      ...QUIET,
      replicas: [{ url: await listen(triton) }],
      models: [{ name: 'doubler' }],
    },
  ];
  const auth = {
    auth: { enabled: true },
    tenants: [{ name: 'clinic', keys: [CLINIC.entry] }],
  };
  sluice = await startTestSluice({ config: { backends, ...auth } });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}`;
  // A platform stage that fails after the answer exists.
  const failingStage = { name: 'failing', run: () => Promise.reject(new Error('the observe stage broke')) };
  failing = await startTestSluice({
    config: { backends },
    slots: { quality: [], cache: [], observe: [failingStage] },
  });
});

after(async () => {
  await sluice.close();
  await failing.close();
  await sim.close();
  for (const server of [busy, triton]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const KEY = CLINIC.bearer;

function post(path: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

test('a request without a valid key gets its 401 before any of its headers or its body are judged', async () => {
  const chat = { model: 'chat-small', messages: MESSAGES };
  const headerSets: Array<Record<string, string>> = [{ 'x-priority': 'high' }, { 'x-sluice-model-version': '' }, {}];
  for (const headers of headerSets) {
    const response = await post('/v1/chat/completions', chat, headers);
    assert.equal(response.status, 401, JSON.stringify(headers));
    assert.equal(response.headers.get('x-sluice-error-code'), 'ERR_AUTH_MISSING_KEY');
  }
  const badBody = await fetch(`${baseUrl}/v1/models/triage-small:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"instances": [',
  });
  assert.equal(badBody.status, 401);
});

test("after a fallback, the time the shedding model took is the upstream's, not sluice's overhead", async () => {
  const started = performance.now();
  const response = await post('/v1/chat/completions', { model: 'chat', messages: MESSAGES, max_tokens: 2 }, KEY);
  const elapsed = performance.now() - started;
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-sluice-route'), 'fallback:chat-small');
  const overhead = Number(response.headers.get('x-sluice-overhead-ms'));
  assert.ok(
    overhead <= elapsed - SLOW_429_MS,
    `overhead ${overhead} ms of ${elapsed} ms, ${SLOW_429_MS} ms of it upstream`,
  );
});

test('versions a client names for a remote KServe v2 model share one metric label', async () => {
  const infer = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] };
  for (const version of ['a1', 'a2', 'a3']) {
    const response = await post(`/v2/models/doubler/versions/${version}/infer`, infer, KEY);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-sluice-model-version'), version);
  }
  const metrics = await (await fetch(`${baseUrl}/metrics`, { headers: KEY })).text();
  assert.match(
    metrics,
    /sluice_requests_total\{model="doubler",version="_unlisted",protocol="kserve-v2",status="404"\} 3/,
  );
  assert.doesNotMatch(metrics, /version="a[123]"/);
});

test('a stream is in flight until it ends, not only until its headers come', async () => {
  const inFlight = async () => {
    const metrics = await (await fetch(`${baseUrl}/metrics`, { headers: KEY })).text();
    return Number(
      /sluice_inflight_requests\{model="chat-small",version="1",protocol="openai"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
  };
  const body = { model: 'chat-small', messages: MESSAGES, max_tokens: 40, stream: true };
  const response = await post('/v1/chat/completions', body, KEY);
  assert.equal(response.status, 200);
  const reader = response.body?.getReader();
  await reader?.read();
  assert.equal(await inFlight(), 1);
  while (!(await reader?.read())?.done);
  assert.equal(await inFlight(), 0);
});

test('a request that fails after dispatch says nothing of the answer it lost, and leaves no stream open', async () => {
  const local = await failing.app.inject({
    method: 'POST',
    url: '/v1/embeddings',
    payload: { model: 'embed', input: 'hi' },
  });
  assert.equal(local.statusCode, 500);
  assert.equal(local.headers['x-sluice-model'], undefined);
  assert.equal(local.headers['x-sluice-error-code'], 'ERR_INTERNAL');
  const stream = await failing.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model: 'chat-small', messages: MESSAGES, max_tokens: 40, stream: true },
  });
  assert.equal(stream.statusCode, 500);
  assert.equal(stream.headers['x-sluice-model'], undefined);
  const metrics = (await failing.app.inject('/metrics')).body;
  assert.match(metrics, /sluice_inflight_requests\{model="chat-small",version="1",protocol="openai"\} 0/);
  assert.match(metrics, /sluice_upstream_inflight\{backend="sim",replica="[^"]+"\} 0/);
});
