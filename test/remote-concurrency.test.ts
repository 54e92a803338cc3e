/**
 * Per-replica adaptive concurrency against plain node:http replicas on loopback that hold
 * their answers until the test lets them go. The limit is pinned (initial = min = max = 1)
 * so "at its limit" is one request in flight; which replica each request reached, and what
 * `stats()` says, are the evidence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteBackend } from '../src/engines/remote/remote-backend.ts';
import type { UpstreamResponse } from '../src/engines/remote/upstream-response.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { SluiceError } from '../src/core/errors.ts';
import { fakeBackendConfig, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { until } from './support/held-sessions.ts';
import { startTestSluice } from './support/server.ts';

const CHAT = { model: 'up', messages: [{ role: 'user', content: 'hello' }] };
const WAIT_MS = 10_000;

/** `wait_ms` 0: a request finding every replica full is refused at once; no probes, to keep counts exact. */
function backendConfig(upstreams: readonly FakeUpstream[], wait = { wait_ms: 0, max_waiting: 1 }) {
  return fakeBackendConfig(upstreams, {
    health_check: { enabled: false },
    adaptive_concurrency: { initial_limit: 1, min_limit: 1, max_limit: 1, ...wait },
  });
}

function startBackend(
  upstreams: readonly FakeUpstream[],
  wait?: { wait_ms: number; max_waiting: number },
): RemoteBackend {
  const config = ConfigSchema.parse({ backends: [backendConfig(upstreams, wait)] }).backends[0];
  assert.ok(config !== undefined);
  return new RemoteBackend(config);
}

const open = (backend: RemoteBackend, payload: object = CHAT, signal = new AbortController().signal) =>
  backend.open('/v1/chat/completions', payload, signal, 'req');

async function readAndSettle(response: UpstreamResponse): Promise<number> {
  for await (const chunk of response.body) void chunk;
  response.settle(true);
  return response.statusCode;
}

const call = async (backend: RemoteBackend) => readAndSettle(await open(backend));

test('a replica at its concurrency limit is skipped; with every replica at its limit the request is shed with 429', async () => {
  const [a, b] = (await Promise.all([startFakeUpstream(), startFakeUpstream()])) as [FakeUpstream, FakeUpstream];
  const backend = startBackend([a, b]);
  try {
    a.hold = true;
    const first = open(backend);
    await until(() => a.held() === 1, 'replica a holds a request', WAIT_MS);
    const full = backend.stats().replicas[0];
    assert.deepEqual([full?.state, full?.concurrency?.inflight, full?.concurrency?.limit], ['at-limit', 1, 1]);

    assert.equal(await call(backend), 200, 'round robin: b is next');
    assert.equal(await call(backend), 200, 'round robin: a is next, but full, so b');
    assert.deepEqual([a.chats(), b.chats()], [1, 2]);
    assert.ok((backend.stats().replicas[0]?.passedOver.atLimit ?? 0) >= 1);

    b.hold = true;
    const second = open(backend);
    await until(() => b.held() === 1, 'replica b holds a request', WAIT_MS);
    const shed = await open(backend).then(
      () => assert.fail('the request should have been shed'),
      (error: unknown) => error,
    );
    assert.ok(shed instanceof SluiceError);
    assert.equal(shed.code, 'ERR_UPSTREAM_CONCURRENCY_LIMIT');
    assert.equal(shed.status, 429);
    assert.ok((shed.retryAfterMs ?? 0) > 0);
    assert.match(shed.message, /backend "llm" is at its concurrency limit/);
    assert.deepEqual([a.chats(), b.chats()], [1, 3], 'the shed request reached no replica');

    a.release();
    b.release();
    assert.deepEqual(await Promise.all([first.then(readAndSettle), second.then(readAndSettle)]), [200, 200]);
    assert.equal(await call(backend), 200, 'slots are free again');
    assert.deepEqual(
      backend.stats().replicas.map((replica) => replica.concurrency?.inflight),
      [0, 0],
    );
  } finally {
    await backend.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('with every replica full a request waits for a slot, first come first served, within wait_ms and max_waiting', async () => {
  const upstream = await startFakeUpstream();
  const backend = startBackend([upstream], { wait_ms: 60_000, max_waiting: 2 });
  const waiting = () => backend.stats().slotWait?.waiting ?? 0;
  try {
    upstream.hold = true;
    const first = open(backend);
    await until(() => upstream.held() === 1, 'the replica holds a request', WAIT_MS);
    const second = open(backend);
    const hangingUp = new AbortController();
    const third = open(backend, CHAT, hangingUp.signal).then(
      () => 'served',
      () => 'gave up',
    );
    await until(() => waiting() === 2, 'two requests wait for a slot', WAIT_MS);
    const refused = await open(backend).then(
      () => assert.fail('a third waiter is over max_waiting'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof SluiceError);
    assert.equal(refused.code, 'ERR_UPSTREAM_CONCURRENCY_LIMIT');
    hangingUp.abort();
    assert.equal(await third, 'gave up', 'a client that leaves stops waiting');
    assert.equal(waiting(), 1);
    assert.equal(upstream.chats(), 1, 'no waiting request reached the replica');

    upstream.release();
    assert.equal(await first.then(readAndSettle), 200);
    assert.equal(await second.then(readAndSettle), 200, 'the waiter took the freed slot');
    assert.equal(upstream.chats(), 2);
    assert.deepEqual(backend.stats().slotWait, { waiting: 0, woken: 1, expired: 0, refusedFull: 1 });
  } finally {
    await backend.close();
    await upstream.close();
  }
});

test('a wait that outlasts wait_ms ends in 429 ERR_UPSTREAM_CONCURRENCY_LIMIT', async () => {
  const upstream = await startFakeUpstream();
  const backend = startBackend([upstream], { wait_ms: 50, max_waiting: 8 });
  try {
    upstream.hold = true;
    const first = open(backend);
    await until(() => upstream.held() === 1, 'the replica holds a request', WAIT_MS);
    const shed = await open(backend).then(
      () => assert.fail('the slot never freed up'),
      (error: unknown) => error,
    );
    assert.ok(shed instanceof SluiceError);
    assert.equal(shed.code, 'ERR_UPSTREAM_CONCURRENCY_LIMIT');
    assert.deepEqual(backend.stats().slotWait, { waiting: 0, woken: 0, expired: 1, refusedFull: 0 });
    upstream.release();
    assert.equal(await first.then(readAndSettle), 200);
  } finally {
    await backend.close();
    await upstream.close();
  }
});

test('waiting requests are served by priority, and one past its deadline gets 504; a priority the backend has not is a 400', async () => {
  const upstream = await startFakeUpstream();
  const config = backendConfig([upstream], { wait_ms: 60_000, max_waiting: 8 });
  const sluice = await startTestSluice({ load: false, config: { backends: [config] } });
  const post = (content: string, headers: Record<string, string> = {}) =>
    sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers,
      payload: { model: 'chat', messages: [{ role: 'user', content }] },
    });
  try {
    upstream.hold = true;
    const first = post('first');
    await until(() => upstream.held() === 1, 'the replica holds the first request', WAIT_MS);
    const low = post('low', { 'x-priority': '3' });
    const high = post('high', { 'x-priority': '1' });
    const hurried = await post('hurried', { 'x-request-timeout-ms': '50' });
    assert.equal(hurried.statusCode, 504);
    assert.equal(hurried.headers['x-sluice-error-code'], 'ERR_DEADLINE_EXCEEDED');
    assert.match(hurried.json().error.message, /timed out waiting for a slot on backend "llm"/);
    const unknown = await post('unknown', { 'x-priority': '9' });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.headers['x-sluice-error-code'], 'ERR_REQUEST_PRIORITY');
    upstream.release();
    assert.deepEqual(
      (await Promise.all([first, low, high])).map((response) => response.statusCode),
      [200, 200, 200],
    );
    assert.deepEqual(
      upstream.contents,
      ['first', 'high', 'low'],
      'the freed slot went to priority 1 before priority 3, which came first',
    );
  } finally {
    await sluice.close();
    await upstream.close();
  }
});

test('a stream holds its slot until its first chunk, which teaches the limit its latency', async () => {
  const upstream = await startFakeUpstream();
  const backend = startBackend([upstream]);
  try {
    upstream.hold = true;
    const stream = await open(backend, { ...CHAT, stream: true });
    assert.equal(stream.statusCode, 200);
    assert.equal(backend.stats().replicas[0]?.concurrency?.inflight, 1, 'headers are in, the first chunk is not');
    upstream.release();
    const reader = stream.body[Symbol.asyncIterator]();
    assert.equal((await reader.next()).done, false, 'the first chunk');
    const concurrency = backend.stats().replicas[0]?.concurrency;
    assert.equal(concurrency?.inflight, 0, 'a stream that is answering frees its slot');
    assert.equal(concurrency?.samples, 1, 'one latency sample: its first chunk');
    for (let next = await reader.next(); next.done !== true; next = await reader.next()) void next.value;
    stream.settle(true);
    assert.deepEqual(
      [backend.stats().replicas[0]?.concurrency?.samples, backend.stats().replicas[0]?.concurrency?.drops],
      [1, 0],
      'settling does not release twice',
    );
  } finally {
    await backend.close();
    await upstream.close();
  }
});

test('shed over HTTP: 429 ERR_UPSTREAM_CONCURRENCY_LIMIT with Retry-After, and the limit in /metrics', async () => {
  const upstreams = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
  const sluice = await startTestSluice({ load: false, config: { backends: [backendConfig(upstreams)] } });
  const post = () =>
    sluice.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...CHAT, model: 'chat' } });
  try {
    for (const upstream of upstreams) upstream.hold = true;
    const held = [post(), post()];
    await until(() => upstreams.every((upstream) => upstream.held() === 1), 'both replicas hold a request', WAIT_MS);
    const shed = await post();
    assert.equal(shed.statusCode, 429);
    assert.equal(shed.headers['x-sluice-error-code'], 'ERR_UPSTREAM_CONCURRENCY_LIMIT');
    assert.ok(Number(shed.headers['retry-after']) >= 1);
    assert.equal((shed.json() as { error: { code: string; type: string } }).error.type, 'rate_limit_error');
    const metrics = (await sluice.app.inject('/metrics')).body;
    assert.match(metrics, /sluice_upstream_concurrency_limit\{backend="llm",replica="127\.0\.0\.1:\d+"\} 1/);
    assert.match(metrics, /sluice_upstream_inflight\{backend="llm",replica="127\.0\.0\.1:\d+"\} 1/);
    for (const upstream of upstreams) upstream.release();
    assert.deepEqual(
      (await Promise.all(held)).map((response) => response.statusCode),
      [200, 200],
    );
  } finally {
    await sluice.close();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  }
});
