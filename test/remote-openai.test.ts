/**
 * Remote backends end to end on loopback: the official openai client → sluice → two
 * simulator replicas, plus plain node:http servers that misbehave on purpose.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const NO_FAULTS = { error_rate: 0, rate_limit_rate: 0 };
const CHAT = { model: 'chat-small', messages: [{ role: 'user' as const, content: 'hello there' }], max_tokens: 12 };

/** What each misbehaving upstream does with a request. */
const MISBEHAVIOURS: Record<string, (request: IncomingMessage, response: ServerResponse, body: string) => void> = {
  // Not a misbehaviour: shows what sluice forwarded.
  echo: (request, response, body) => {
    const forwarded = JSON.parse(body) as { model: string };
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        object: 'chat.completion',
        model: forwarded.model,
        forwarded_model: forwarded.model,
        authorization: request.headers.authorization ?? null,
      }),
    );
  },
  'bad-json': (_request, response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "x", "choices": ['),
  'bad-html': (_request, response) =>
    response.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'),
  'bad-truncated': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(
      'data: {"id":"c","object":"chat.completion.chunk","model":"up","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n',
    );
  },
  'bad-reset': (request) => request.socket.destroy(),
  'bad-reset-stream': (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(
      'data: {"id":"c","object":"chat.completion.chunk","model":"up","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n',
      () => request.socket.destroy(),
    );
  },
  hang: () => {},
};

let sims: Simulator[];
let misbehaving: Server;
let sluice: Sluice;
let baseUrl: string;
let client: OpenAI;

before(async () => {
  process.env.SLUICE_TEST_UPSTREAM_KEY = 'sk-upstream';
  sims = await Promise.all([1, 2].map(() => startSimulator({ port: 0, seed: 3, latency: FAST })));
  misbehaving = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (data: string) => (body += data));
    request.once('end', () => MISBEHAVIOURS[request.headers['x-behaviour'] as string]?.(request, response, body));
  });
  await new Promise<void>((resolve) => misbehaving.listen(0, '127.0.0.1', resolve));
  const misbehavingUrl = `http://127.0.0.1:${(misbehaving.address() as AddressInfo).port}`;
  sluice = await startTestSluice({
    config: {
      backends: [
        // Round robin, so failover is exercised deterministically; P2C, ejection and breakers
        // are tested in remote-resilience.test.ts. Retry-After is not honoured here (the 429
        // test's "Retry-After: 1" would keep both replicas out for the tests after it); it is
        // tested in remote-retry-after.test.ts.
        {
          name: 'sim',
          dialect: 'openai',
          load_balancing: 'round_robin',
          retry_after: { enabled: false },
          replicas: sims.map((sim) => ({ url: sim.url })),
          connections: 4,
          models: [{ name: 'chat-small', upstream: 'sim-small' }, { name: 'sim-large' }],
        },
        // One backend per misbehaviour; the path prefix carries its name to the server. No
        // health checks: these servers misbehave on every path (echo throws on a bodiless GET).
        ...Object.keys(MISBEHAVIOURS).map((name) => ({
          name,
          dialect: 'openai',
          replicas: [{ url: `${misbehavingUrl}/${name}` }],
          timeouts: { headers_ms: 200 },
          health_check: { enabled: false },
          models: [{ name, upstream: `${name}-upstream` }],
          api_key_env: 'SLUICE_TEST_UPSTREAM_KEY',
        })),
      ],
    },
  });
  // The plain server reads its behaviour from the path prefix.
  misbehaving.prependListener('request', (request: IncomingMessage) => {
    request.headers['x-behaviour'] = request.url?.split('/')[1] ?? '';
  });
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(sluice.app.server.address() as AddressInfo).port}`;
  client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await sluice.close();
  await Promise.all(sims.map((sim) => sim.close()));
  misbehaving.closeAllConnections();
  await new Promise((resolve) => misbehaving.close(resolve));
});

function post(path: string, body: object): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function streamText(
  body: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'stream'>,
): Promise<{ text: string; models: Set<string>; chunks: number }> {
  const stream = await client.chat.completions.create({ ...body, stream: true });
  let text = '';
  const models = new Set<string>();
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    models.add(chunk.model);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, models, chunks };
}

test('chat completions go to a replica, with usage and the model name mapped back', async () => {
  const answer = await client.chat.completions.create(CHAT);
  assert.equal(answer.model, 'chat-small');
  assert.equal(answer.usage?.completion_tokens, 12);
  assert.equal(answer.choices[0]?.finish_reason, 'length');
  assert.ok((answer.choices[0]?.message.content ?? '').length > 0);
});

test('a stream arrives chunk by chunk, ends with [DONE] and has the same text as the answer in one piece', async () => {
  const whole = await client.chat.completions.create(CHAT);
  const streamed = await streamText(CHAT);
  assert.equal(streamed.text, whole.choices[0]?.message.content);
  assert.deepEqual([...streamed.models], ['chat-small']);
  assert.ok(streamed.chunks >= 12);
  const raw = await (await post('/v1/chat/completions', { ...CHAT, stream: true })).text();
  assert.match(raw, /data: \[DONE\]\n\n$/);
});

test('legacy completions and embeddings are proxied', async () => {
  const completion = await client.completions.create({ model: 'sim-large', prompt: 'once upon a time', max_tokens: 5 });
  assert.equal(completion.model, 'sim-large');
  assert.equal(completion.usage?.completion_tokens, 5);
  const embeddings = await client.embeddings.create({
    model: 'chat-small',
    input: ['a', 'b'],
    encoding_format: 'float',
  });
  assert.equal(embeddings.data.length, 2);
  assert.equal(embeddings.data[0]?.embedding.length, 64);
  assert.equal(embeddings.model, 'chat-small');
});

test('the upstream gets its own model name and the API key from api_key_env; the client gets the sluice name', async () => {
  const response = await post('/v1/chat/completions', { ...CHAT, model: 'echo' });
  assert.deepEqual(await response.json(), {
    object: 'chat.completion',
    model: 'echo',
    forwarded_model: 'echo-upstream',
    authorization: 'Bearer sk-upstream',
  });
});

test('/v1/models lists local and remote models; generation routes refuse local and unknown models', async () => {
  const models: Array<{ id: string; owned_by: string }> = [];
  for await (const model of client.models.list()) models.push(model);
  assert.ok(models.some((model) => model.id === 'embed' && model.owned_by === 'sluice'));
  assert.ok(models.some((model) => model.id === 'chat-small' && model.owned_by === 'sim'));
  const local = await post('/v1/chat/completions', { ...CHAT, model: 'embed' });
  assert.equal(local.status, 400);
  assert.equal(((await local.json()) as { error: { code: string } }).error.code, 'err_model_unsupported_operation');
  const unknown = await post('/v1/chat/completions', { ...CHAT, model: 'nope' });
  assert.equal(unknown.status, 404);
});

test('a failing replica is skipped: the request succeeds on the other one', async () => {
  sims[0]?.setFaults({ error_rate: 1 });
  try {
    for (let round = 0; round < 4; round += 1)
      assert.equal((await client.chat.completions.create(CHAT)).model, 'chat-small');
    assert.ok((sims[0]?.stats().faults_injected.error ?? 0) > 0);
    const [first] = sluice.remote.stats();
    assert.ok((first?.replicas[0]?.failures ?? 0) > 0);
    assert.equal(first?.replicas[1]?.failures, 0);
  } finally {
    sims[0]?.setFaults(NO_FAULTS);
  }
});

test('when every replica fails the client gets a 502 that says so', async () => {
  for (const sim of sims) sim.setFaults({ error_rate: 1 });
  try {
    const response = await post('/v1/chat/completions', CHAT);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get('x-sluice-error-code'), 'ERR_UPSTREAM_UNAVAILABLE');
    const { error } = (await response.json()) as { error: { message: string } };
    assert.match(error.message, /backend "sim" is unavailable: .*answered 500.*; .*answered 500/);
  } finally {
    for (const sim of sims) sim.setFaults(NO_FAULTS);
  }
});

test("an upstream 429 comes through with its Retry-After and the upstream's error body", async () => {
  for (const sim of sims) sim.setFaults({ rate_limit_rate: 1 });
  try {
    const response = await post('/v1/chat/completions', CHAT);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
  } finally {
    for (const sim of sims) sim.setFaults(NO_FAULTS);
  }
});

test('bad upstream answers become a 502 that names the problem', async () => {
  const cases: Array<[string, RegExp, string]> = [
    ['bad-json', /invalid JSON/, 'ERR_UPSTREAM_BAD_RESPONSE'],
    ['bad-html', /content-type "text\/html"/, 'ERR_UPSTREAM_BAD_RESPONSE'],
    ['bad-reset', /connection failed/, 'ERR_UPSTREAM_UNAVAILABLE'],
  ];
  for (const [model, message, code] of cases) {
    const response = await post('/v1/chat/completions', { ...CHAT, model });
    assert.equal(response.status, 502, model);
    assert.equal(response.headers.get('x-sluice-error-code'), code);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, message);
  }
});

test('a stream that breaks off ends with an SSE error event instead of [DONE]', async () => {
  for (const [model, message] of [
    ['bad-truncated', /ended before \[DONE\]/],
    ['bad-reset-stream', /broke off/],
  ] as const) {
    const response = await post('/v1/chat/completions', { ...CHAT, model, stream: true });
    assert.equal(response.status, 200);
    const events = (await response.text()).split('\n\n').filter((event) => event !== '');
    assert.equal(events.length, 2, model);
    assert.match(events[0] ?? '', /"model":"bad-/); // mapped back from the upstream's "up"
    const last = JSON.parse((events[1] ?? '').replace(/^data: /, '')) as { error: { code: string; message: string } };
    assert.equal(last.error.code, 'err_upstream_bad_response');
    assert.match(last.error.message, message);
  }
  await assert.rejects(streamText({ ...CHAT, model: 'bad-truncated' }), /ended before \[DONE\]/);
});

test('an upstream that does not answer in headers_ms gets a 504', async () => {
  const response = await post('/v1/chat/completions', { ...CHAT, model: 'hang' });
  assert.equal(response.status, 504);
  assert.equal(response.headers.get('x-sluice-error-code'), 'ERR_UPSTREAM_TIMEOUT');
});

test('a client that hangs up mid-stream cancels the upstream request', async () => {
  const cancelled = () => sims.reduce((sum, sim) => sum + sim.stats().cancelled, 0);
  const before = cancelled();
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...CHAT, max_tokens: 2000, stream: true }),
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  assert.ok(reader !== undefined);
  assert.equal((await reader.read()).done, false); // the stream has started
  controller.abort();
  await reader.read().catch(() => undefined);
  for (let wait = 0; wait < 200 && cancelled() === before; wait += 1)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(cancelled(), before + 1);
});

test('remote requests are counted in sluice_requests_total and the upstream metrics', async () => {
  const text = await sluice.metrics.registry.metrics();
  assert.match(text, /sluice_requests_total\{model="chat-small",version="1",protocol="openai",status="200"\} [1-9]/);
  assert.match(text, /sluice_upstream_requests_total\{backend="sim",replica="127\.0\.0\.1:\d+",status="500"\} [1-9]/);
  assert.match(text, /sluice_time_to_first_token_seconds_count\{model="chat-small"\} [1-9]/);
  assert.match(text, /sluice_output_tokens_total\{model="chat-small",source="(upstream|tokenizer)"\} [1-9]/);
});
