/**
 * Every answer says how it was made, on every protocol, local and remote, streamed or
 * not, after a fallback too: `x-sluice-model`, `x-sluice-model-version`, `x-sluice-route`,
 * `x-sluice-overhead-ms` and `x-request-id`; and a pinned version is the one that answers.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { parse, stringify } from 'yaml';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { defaultModelsDir } from './support/models.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const MESSAGES = [{ role: 'user' as const, content: 'hello there' }];

let sim: Simulator;
let triton: Server;
let sluice: Sluice;
let baseUrl: string;

/** A repository with triage-small twice: version 1 as built, version 2 a copy of it. */
async function twoVersionRepository(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-provenance-'));
  const source = join(await defaultModelsDir(), 'triage-small', '1');
  for (const version of ['1', '2']) {
    const dir = join(root, 'triage-small', version);
    cpSync(source, dir, { recursive: true });
    const file = join(dir, 'model.yaml');
    const document = parse(readFileSync(file, 'utf8')) as { version: unknown };
    document.version = Number(version);
    writeFileSync(file, stringify(document));
  }
  cpSync(join(await defaultModelsDir(), 'embed'), join(root, 'embed'), { recursive: true });
  return root;
}

/** An Open Inference server that doubles its input and says which version answered. */
async function startTriton(): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.once('end', () => {
      const version = /\/versions\/([^/]+)\//.exec(request.url ?? '')?.[1] ?? '3';
      const { inputs } = JSON.parse(body) as { inputs: Array<{ data: number[] }> };
      const data = inputs[0]?.data ?? [];
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          model_name: 'upstream-name',
          model_version: version,
          outputs: [{ name: 'y', datatype: 'FP32', shape: [data.length], data: data.map((x) => x * 2) }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

before(async () => {
  sim = await startSimulator({ port: 0, seed: 5, latency: FAST });
  triton = await startTriton();
  const nowhere = createServer();
  await new Promise<void>((resolve) => nowhere.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(nowhere.address() as AddressInfo).port}`;
  await new Promise((resolve) => nowhere.close(resolve));
  const quiet = { health_check: { enabled: false }, hedging: { enabled: false }, retry_after: { enabled: false } };
  sluice = await startTestSluice({
    repository: await twoVersionRepository(),
    config: {
      backends: [
        {
          name: 'dead',
          dialect: 'openai',
          ...quiet,
          replicas: [{ url: deadUrl }],
          models: [{ name: 'chat', fallbacks: ['chat-small'] }],
        },
        {
          name: 'sim',
          dialect: 'openai',
          ...quiet,
          replicas: [{ url: sim.url }],
          models: [
            { name: 'chat-small', upstream: 'sim-small', version: '7' },
            { name: 'sim-embed', upstream: 'sim-small' },
          ],
        },
        {
          name: 'triton',
          dialect: 'kserve-v2',
          ...quiet,
          replicas: [{ url: `http://127.0.0.1:${(triton.address() as AddressInfo).port}` }],
          models: [{ name: 'doubler', upstream: 'upstream-name' }],
        },
      ],
    },
  });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await sluice.close();
  await sim.close();
  triton.closeAllConnections();
  await new Promise((resolve) => triton.close(resolve));
});

function post(path: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The four provenance headers are there and true, and the request id is the one sent. */
async function assertMadeBy(
  response: Response,
  expected: { model: string; version: string; route: string },
  elapsedMs: number,
): Promise<void> {
  assert.equal(response.headers.get('x-sluice-model'), expected.model);
  assert.equal(response.headers.get('x-sluice-model-version'), expected.version);
  assert.equal(response.headers.get('x-sluice-route'), expected.route);
  const overhead = Number(response.headers.get('x-sluice-overhead-ms'));
  assert.ok(Number.isFinite(overhead) && overhead >= 0, `x-sluice-overhead-ms ${overhead}`);
  assert.ok(overhead <= elapsedMs, `sluice's own ${overhead} ms is within the ${elapsedMs} ms the client waited`);
  assert.equal(response.headers.get('x-request-id'), 'req-provenance');
}

async function timed(send: () => Promise<Response>): Promise<[Response, number]> {
  const started = performance.now();
  const response = await send();
  return [response, performance.now() - started];
}

const ID = { 'x-request-id': 'req-provenance' };

describe('local models', () => {
  test('KServe v2 names the newest version, and a version pinned by path or header answers', async () => {
    const infer = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['refill please'] }] };
    let [response, ms] = await timed(() => post('/v2/models/triage-small/infer', infer, ID));
    await assertMadeBy(response, { model: 'triage-small', version: '2', route: 'direct' }, ms);
    assert.equal(((await response.json()) as { model_version: string }).model_version, '2');
    [response, ms] = await timed(() => post('/v2/models/triage-small/versions/1/infer', infer, ID));
    await assertMadeBy(response, { model: 'triage-small', version: '1', route: 'direct' }, ms);
    assert.equal(((await response.json()) as { model_version: string }).model_version, '1');
    [response, ms] = await timed(() =>
      post('/v2/models/triage-small/infer', infer, { ...ID, 'x-sluice-model-version': '1' }),
    );
    await assertMadeBy(response, { model: 'triage-small', version: '1', route: 'direct' }, ms);
  });

  test('KServe v1 and OpenAI embeddings say what answered, and take a pinned version', async () => {
    let [response, ms] = await timed(() =>
      post(
        '/v1/models/triage-small:predict',
        { instances: ['refill please'] },
        { ...ID, 'x-sluice-model-version': '1' },
      ),
    );
    assert.equal(response.status, 200);
    await assertMadeBy(response, { model: 'triage-small', version: '1', route: 'direct' }, ms);
    [response, ms] = await timed(() => post('/v1/embeddings', { model: 'embed', input: 'hello' }, ID));
    assert.equal(response.status, 200);
    await assertMadeBy(response, { model: 'embed', version: '1', route: 'direct' }, ms);
  });

  test('a version that does not exist is a 404 naming the versions there are; path and header must agree', async () => {
    const infer = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['refill please'] }] };
    let response = await post(
      '/v1/models/triage-small:predict',
      { instances: ['x'] },
      { 'x-sluice-model-version': '9' },
    );
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: 'model "triage-small" has no version "9" (available: 2, 1)' });
    response = await post('/v2/models/triage-small/versions/1/infer', infer, { 'x-sluice-model-version': '2' });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: 'the path names version "1" but header x-sluice-model-version names "2"',
    });
  });
});

describe('remote models', () => {
  const client = () => new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0, defaultHeaders: ID });

  test('a chat answered directly, whole and streamed, carries the configured version', async () => {
    const started = performance.now();
    const { response } = await client()
      .chat.completions.create({ model: 'chat-small', messages: MESSAGES, max_tokens: 4 })
      .withResponse();
    await assertMadeBy(response, { model: 'chat-small', version: '7', route: 'direct' }, performance.now() - started);
    const [streamed, ms] = await timed(() =>
      post('/v1/chat/completions', { model: 'chat-small', messages: MESSAGES, max_tokens: 4, stream: true }, ID),
    );
    await assertMadeBy(streamed, { model: 'chat-small', version: '7', route: 'direct' }, ms);
    assert.match(await streamed.text(), /data: \[DONE\]/);
  });

  test('after a fallback, the model that answered and the route say so, whole and streamed', async () => {
    const started = performance.now();
    const { data, response } = await client()
      .chat.completions.create({ model: 'chat', messages: MESSAGES, max_tokens: 4 })
      .withResponse();
    assert.equal(data.model, 'chat-small');
    const elapsed = performance.now() - started;
    await assertMadeBy(response, { model: 'chat-small', version: '7', route: 'fallback:chat-small' }, elapsed);
    const [streamed, ms] = await timed(() =>
      post('/v1/chat/completions', { model: 'chat', messages: MESSAGES, max_tokens: 4, stream: true }, ID),
    );
    await assertMadeBy(streamed, { model: 'chat-small', version: '7', route: 'fallback:chat-small' }, ms);
    assert.match(await streamed.text(), /data: \[DONE\]/);
  });

  test('remote embeddings and a refused request say what answered too', async () => {
    let [response, ms] = await timed(() => post('/v1/embeddings', { model: 'sim-embed', input: 'hello' }, ID));
    assert.equal(response.status, 200);
    await assertMadeBy(response, { model: 'sim-embed', version: '1', route: 'direct' }, ms);
    // Within OpenAI's request schema (sluice passes it), above the simulator's 2048 (the upstream refuses it).
    [response, ms] = await timed(() =>
      post('/v1/chat/completions', { model: 'chat-small', messages: MESSAGES, max_tokens: 100_000 }, ID),
    );
    assert.equal(response.status, 400);
    await assertMadeBy(response, { model: 'chat-small', version: '7', route: 'direct' }, ms);
  });

  test('a pinned version of an OpenAI-compatible model is its configured one; another is a 404', async () => {
    let response = await post(
      '/v1/chat/completions',
      { model: 'chat-small', messages: MESSAGES, max_tokens: 4 },
      {
        'x-sluice-model-version': '7',
      },
    );
    assert.equal(response.status, 200);
    response = await post(
      '/v1/chat/completions',
      { model: 'chat-small', messages: MESSAGES, max_tokens: 4 },
      {
        'x-sluice-model-version': '8',
      },
    );
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'err_model_version_not_found');
    assert.equal(body.error.message, 'model "chat-small" has no version "8" (available: 7)');
  });

  test('KServe v2 over an Open Inference server: the version it answered, the one pinned forwarded', async () => {
    const infer = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2] }] };
    let [response, ms] = await timed(() => post('/v2/models/doubler/infer', infer, ID));
    await assertMadeBy(response, { model: 'doubler', version: '3', route: 'direct' }, ms);
    assert.equal(((await response.json()) as { model_name: string }).model_name, 'doubler');
    [response, ms] = await timed(() => post('/v2/models/doubler/versions/5/infer', infer, ID));
    await assertMadeBy(response, { model: 'doubler', version: '5', route: 'direct' }, ms);
  });
});
