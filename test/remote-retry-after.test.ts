/**
 * An upstream 429's Retry-After, honoured: plain node:http replicas on loopback answer 429
 * with a chosen Retry-After. Judged by which replica each request reached and by what
 * `stats()` says, never by how long anything took.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteBackend } from '../src/engines/remote/remote-backend.ts';
import type { UpstreamResponse } from '../src/engines/remote/upstream-response.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { fakeBackendConfig, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { startTestSluice } from './support/server.ts';

const CHAT = { model: 'up', messages: [{ role: 'user', content: 'hello' }] };

/** No probes, to keep counts exact. */
function backendConfig(upstreams: readonly FakeUpstream[], extra: Record<string, unknown> = {}) {
  return fakeBackendConfig(upstreams, { health_check: { enabled: false }, ...extra });
}

function startBackend(upstreams: readonly FakeUpstream[], extra: Record<string, unknown> = {}): RemoteBackend {
  const config = ConfigSchema.parse({ backends: [backendConfig(upstreams, extra)] }).backends[0];
  assert.ok(config !== undefined);
  return new RemoteBackend(config);
}

async function call(backend: RemoteBackend): Promise<UpstreamResponse> {
  const response = await backend.open('/v1/chat/completions', CHAT, new AbortController().signal, 'req');
  for await (const chunk of response.body) void chunk;
  response.settle(true);
  return response;
}

const coolingMs = (backend: RemoteBackend, index: number) =>
  backend.stats().replicas[index]?.retryAfter?.remainingMs ?? 0;

test('a replica that answered 429 with Retry-After is not picked until then, and the other serves the requests', async () => {
  const [a, b] = (await Promise.all([startFakeUpstream(), startFakeUpstream()])) as [FakeUpstream, FakeUpstream];
  a.rateLimit = { retryAfter: '2', times: 1 };
  const backend = startBackend([a, b]);
  try {
    assert.equal((await call(backend)).statusCode, 200, 'the 429 failed over to the other replica');
    assert.deepEqual([a.chats(), b.chats()], [1, 1]);
    assert.equal(backend.stats().replicas[0]?.state, 'cooling-down');
    // Only calls that start well inside the window count: the test says nothing about time.
    let duringWindow = 0;
    while (coolingMs(backend, 0) > 500 && duringWindow < 20) {
      assert.equal((await call(backend)).statusCode, 200);
      duringWindow += 1;
    }
    assert.ok(duringWindow > 0, 'some calls were made inside the window');
    assert.equal(a.chats(), 1, 'none of them went to the replica that asked to wait');
    assert.equal(b.chats(), 1 + duringWindow);
    assert.ok(
      (backend.stats().replicas[0]?.passedOver.coolingDown ?? 0) >= duringWindow / 2,
      'round robin offered it and the gate passed it over',
    );

    // Once the window is over it is picked again (and now answers 200).
    while (a.chats() < 2) {
      if (coolingMs(backend, 0) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      else assert.equal((await call(backend)).statusCode, 200);
    }
    const stats = backend.stats();
    assert.deepEqual(
      stats.replicas.map((replica) => replica.failures),
      [0, 0],
      'a 429 is not a failure',
    );
    assert.equal(stats.replicas[0]?.retryAfter?.cooldowns, 1);
  } finally {
    await backend.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('when every replica is cooling down the client gets 429 with the soonest Retry-After, without asking upstream', async () => {
  const upstreams = (await Promise.all([startFakeUpstream(), startFakeUpstream()])) as [FakeUpstream, FakeUpstream];
  upstreams[0].rateLimit = { retryAfter: '30', times: Number.POSITIVE_INFINITY };
  upstreams[1].rateLimit = { retryAfter: '20', times: Number.POSITIVE_INFINITY };
  const sluice = await startTestSluice({ load: false, config: { backends: [backendConfig(upstreams)] } });
  const post = () =>
    sluice.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...CHAT, model: 'chat' } });
  const seconds = (value: unknown) => Number(value);
  try {
    const first = await post();
    assert.equal(first.statusCode, 429);
    assert.deepEqual(
      upstreams.map((upstream) => upstream.chats()),
      [1, 1],
      'each replica was asked once',
    );
    assert.equal(
      (first.json() as { error: { code: string } }).error.code,
      'rate_limit_exceeded',
      "the upstream's own answer",
    );
    assert.ok(
      seconds(first.headers['retry-after']) <= 20 && seconds(first.headers['retry-after']) > 10,
      `the sooner of 30 and 20 s (${first.headers['retry-after']})`,
    );

    const second = await post();
    assert.equal(second.statusCode, 429);
    assert.deepEqual(
      upstreams.map((upstream) => upstream.chats()),
      [1, 1],
      'no replica was asked again',
    );
    assert.equal(second.headers['x-sluice-error-code'], 'ERR_UPSTREAM_RATE_LIMITED');
    assert.equal((second.json() as { error: { code: string; type: string } }).error.code, 'err_upstream_rate_limited');
    const retryAfter = seconds(second.headers['retry-after']);
    assert.ok(
      retryAfter <= 20 && retryAfter > 10,
      `Retry-After is the soonest replica's remaining wait (${retryAfter})`,
    );
    assert.ok(seconds(second.headers['retry-after-ms']) <= 20_000);
    assert.deepEqual(
      sluice.remote.stats()[0]?.replicas.map((replica) => replica.failures),
      [0, 0],
    );
  } finally {
    await sluice.close();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  }
});

test('a long Retry-After is capped at max_ms, an HTTP-date is understood, and with the option off nothing cools down', async () => {
  const upstream = await startFakeUpstream();
  const capped = startBackend([upstream], { retry_after: { max_ms: 5_000 } });
  const off = startBackend([upstream], { retry_after: { enabled: false } });
  try {
    upstream.rateLimit = { retryAfter: '3600', times: 1 };
    const response = await call(capped);
    assert.equal(response.statusCode, 429, 'one replica: its 429 is the answer');
    assert.ok(coolingMs(capped, 0) > 0 && coolingMs(capped, 0) <= 5_000, `capped (${coolingMs(capped, 0)} ms)`);
    assert.ok(Number(response.headers['retry-after']) <= 5, 'the client is told the capped wait');

    upstream.rateLimit = { retryAfter: new Date(Date.now() + 60_000).toUTCString(), times: 1 };
    await call(off);
    assert.equal(off.stats().replicas[0]?.retryAfter, undefined);
    assert.equal(off.stats().replicas[0]?.state, 'open');
    const dated = startBackend([upstream]);
    try {
      upstream.rateLimit = { retryAfter: new Date(Date.now() + 60_000).toUTCString(), times: 1 };
      await call(dated);
      assert.ok(
        coolingMs(dated, 0) > 30_000 && coolingMs(dated, 0) <= 60_000,
        `an HTTP-date a minute ahead (${coolingMs(dated, 0)} ms)`,
      );
    } finally {
      await dated.close();
    }
  } finally {
    await capped.close();
    await off.close();
    await upstream.close();
  }
});

test('a model whose backend is cooling down falls back to the next model of its chain without asking it', async () => {
  const [shedding, spare] = (await Promise.all([startFakeUpstream(), startFakeUpstream()])) as [
    FakeUpstream,
    FakeUpstream,
  ];
  shedding.rateLimit = { retryAfter: '30', times: Number.POSITIVE_INFINITY };
  const first = {
    ...backendConfig([shedding]),
    name: 'first',
    models: [{ name: 'chat', upstream: 'up', fallbacks: ['chat-spare'] }],
  };
  const second = { ...backendConfig([spare]), name: 'second', models: [{ name: 'chat-spare', upstream: 'up' }] };
  const sluice = await startTestSluice({ load: false, config: { backends: [first, second] } });
  try {
    for (let request = 0; request < 2; request += 1) {
      const response = await sluice.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { ...CHAT, model: 'chat' },
      });
      assert.equal(response.statusCode, 200);
      assert.equal((response.json() as { model: string }).model, 'chat-spare');
    }
    assert.equal(shedding.chats(), 1, 'asked once; the second request saw it cooling down and went straight on');
    assert.equal(spare.chats(), 2);
  } finally {
    await sluice.close();
    await Promise.all([shedding.close(), spare.close()]);
  }
});
