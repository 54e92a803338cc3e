/**
 * Active health checks against two plain node:http replicas on loopback whose health
 * endpoint the test switches between 200 and 500. The backend probes every 100 ms; the
 * tests wait (boundedly) for the state `stats()` reports, then judge by request counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteBackend, type HealthEvent } from '../src/engines/remote/remote-backend.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { fakeBackendConfig, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { until } from './support/held-sessions.ts';
import { startTestSluice } from './support/server.ts';

const CHAT = { model: 'up', messages: [{ role: 'user', content: 'hello' }] };
/** Generous: on a loaded CI machine probes may come late, but they do come. */
const WAIT_MS = 15_000;
const HEALTH = { interval_ms: 100, timeout_ms: 1_000, unhealthy_threshold: 2, healthy_threshold: 2 };

function backendConfig(upstreams: readonly FakeUpstream[], extra: Record<string, unknown> = {}) {
  return fakeBackendConfig(upstreams, { api_key_env: 'HEALTH_TEST_KEY', health_check: HEALTH, ...extra });
}

function startBackend(
  upstreams: readonly FakeUpstream[],
  events: HealthEvent[] = [],
  extra: Record<string, unknown> = {},
): RemoteBackend {
  const config = ConfigSchema.parse({ backends: [backendConfig(upstreams, extra)] }).backends[0];
  assert.ok(config !== undefined);
  return new RemoteBackend(config, {
    env: { HEALTH_TEST_KEY: 'sk-health' },
    onHealthChange: (event) => events.push(event),
  });
}

async function call(backend: RemoteBackend): Promise<number> {
  const response = await backend.open('/v1/chat/completions', CHAT, new AbortController().signal, 'req');
  for await (const chunk of response.body) void chunk;
  response.settle(true);
  return response.statusCode;
}

const healthy = (backend: RemoteBackend, index: number) => backend.stats().replicas[index]?.health?.healthy;

test('a replica failing its health check is taken out of rotation and comes back once it passes again', async () => {
  const [a, b] = (await Promise.all([startFakeUpstream(), startFakeUpstream()])) as [FakeUpstream, FakeUpstream];
  const events: HealthEvent[] = [];
  const backend = startBackend([a, b], events);
  try {
    a.healthStatus = 500;
    await until(() => healthy(backend, 0) === false, 'replica a is out of rotation', WAIT_MS);
    assert.equal(healthy(backend, 1), true);
    const before = { a: a.chats(), b: b.chats() };
    for (let request = 0; request < 6; request += 1) assert.equal(await call(backend), 200);
    assert.equal(a.chats(), before.a, 'no request reached the unhealthy replica');
    assert.equal(b.chats(), before.b + 6);
    assert.ok(
      (backend.stats().replicas[0]?.passedOver.unhealthy ?? 0) >= 3,
      'round robin offered it and the gate passed it over',
    );

    a.healthStatus = 200;
    await until(() => healthy(backend, 0) === true, 'replica a is back', WAIT_MS);
    for (let request = 0; request < 4; request += 1) assert.equal(await call(backend), 200);
    assert.ok(a.chats() > before.a, 'it takes requests again');

    const health = backend.stats().replicas[0]?.health;
    assert.equal(health?.timesUnhealthy, 1);
    assert.deepEqual(
      events.map((event) => [event.replica, event.healthy, event.healthyReplicas]),
      [
        [new URL(a.url).host, false, 1],
        [new URL(a.url).host, true, 2],
      ],
    );
    assert.match(events[0]?.detail ?? '', /GET \/v1\/models answered 500/);
    assert.ok(
      a.probesSeen.every((probe) => probe.path === '/v1/models' && probe.authorization === 'Bearer sk-health'),
      'probes carry the backend API key',
    );
    assert.deepEqual(
      backend.stats().replicas.map((replica) => replica.failures),
      [0, 0],
      'a failed probe is not a failed request',
    );
  } finally {
    await backend.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('when every replica fails its health check (500, refused, timed out), requests fail at once with 503 naming each', async () => {
  const upstreams = (await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream()])) as [
    FakeUpstream,
    FakeUpstream,
    FakeUpstream,
  ];
  const [failing, gone, hanging] = upstreams;
  const sluice = await startTestSluice({ load: false, config: { backends: [backendConfig(upstreams)] } });
  try {
    failing.healthStatus = 500;
    await gone.close();
    hanging.healthStatus = 0;
    await until(
      () => sluice.remote.stats()[0]?.replicas.every((replica) => replica.health?.healthy === false) === true,
      'every replica is out',
      WAIT_MS,
    );
    const response = await sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...CHAT, model: 'chat' },
    });
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['x-sluice-error-code'], 'ERR_UPSTREAM_NO_REPLICA');
    const message = (response.json() as { error: { message: string } }).error.message;
    assert.match(message, /backend "llm" has no healthy replica: every replica fails its health check/);
    const host = (upstream: FakeUpstream) => new URL(upstream.url).host;
    assert.ok(message.includes(`${host(failing)}: GET /v1/models answered 500`), message);
    assert.ok(message.includes(`${host(gone)}: GET /v1/models failed (ECONNREFUSED)`), message);
    assert.ok(message.includes(`${host(hanging)}: GET /v1/models timed out after 1000 ms`), message);
    assert.deepEqual(
      upstreams.map((upstream) => upstream.chats()),
      [0, 0, 0],
      'no request was sent upstream',
    );
    const metrics = await sluice.app.inject('/metrics');
    assert.match(metrics.body, /sluice_upstream_replica_healthy\{backend="llm",replica="127\.0\.0\.1:\d+"\} 0/);
  } finally {
    await sluice.close();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  }
});

test('a kserve-v2 backend probes /v2/health/ready; close() stops the probes; with checks off none are sent', async () => {
  const [triton, quiet] = (await Promise.all([startFakeUpstream(), startFakeUpstream()])) as [
    FakeUpstream,
    FakeUpstream,
  ];
  const kserve = startBackend([triton], [], { dialect: 'kserve-v2' });
  const off = startBackend([quiet], [], { health_check: { ...HEALTH, enabled: false } });
  try {
    await until(() => triton.probes() >= 2, 'two rounds of probes', WAIT_MS);
    assert.ok(triton.probesSeen.every((probe) => probe.path === '/v2/health/ready'));
    await kserve.close();
    const probesAtClose = triton.probes();
    // Ten intervals: a running timer would have probed again.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.ok(triton.probes() <= probesAtClose + 1, 'at most a probe already on the wire when it closed');
    assert.equal(quiet.probes(), 0);
    assert.equal(off.stats().replicas[0]?.health, undefined);
  } finally {
    await kserve.close();
    await off.close();
    await Promise.all([triton.close(), quiet.close()]);
  }
});
