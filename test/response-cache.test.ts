/**
 * The response and per-item caches end to end on real servers: the default local models
 * (triage-small over KServe v1, embed over OpenAI embeddings), a remote chat model in
 * front of `sluice sim`, and two sluice servers sharing one real Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { redisForTests, type RedisForTests } from './support/redis.ts';
import { startTestSluice } from './support/server.ts';

const CACHED = { 'triage-small': { ttl_s: 60 }, embed: { ttl_s: 60 }, 'sim-chat': { ttl_s: 60 } };

async function post(sluice: Sluice, url: string, payload: object, headers: Record<string, string> = {}) {
  const response = await sluice.app.inject({ method: 'POST', url, payload, headers });
  assert.equal(response.statusCode, 200, response.body);
  return { route: response.headers['x-sluice-route'], body: response.json() as unknown };
}

async function metric(sluice: Sluice, name: string): Promise<number> {
  const text = (await sluice.app.inject('/metrics')).body;
  const lines = text.split('\n').filter((line) => line.startsWith(name));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('one server', () => {
  let sim: Simulator;
  let sluice: Sluice;
  before(async () => {
    sim = await startSimulator({ port: 0, seed: 3, latency: { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 } });
    const backends = [
      {
        name: 'sim',
        dialect: 'openai',
        replicas: [{ url: sim.url }],
        models: [{ name: 'sim-chat', upstream: 'sim-small' }],
      },
    ];
    sluice = await startTestSluice({ config: { backends, cache: { models: CACHED } } });
  });
  after(async () => {
    await sluice.close();
    await sim.close();
  });

  test('a second identical prediction is answered from the cache with an equal body', async () => {
    const payload = { instances: [{ text: 'I need to reschedule my appointment' }, 'Where is my refund?'] };
    const first = await post(sluice, '/v1/models/triage-small:predict', payload);
    const second = await post(sluice, '/v1/models/triage-small:predict', payload);
    assert.equal(first.route, 'direct');
    assert.equal(second.route, 'cache-hit');
    assert.deepEqual(second.body, first.body);
  });

  test('a prediction with one new item runs that item only and keeps the order of the others from the cache', async () => {
    const known = ['Can I get a copy of my records?', 'My invoice is wrong'];
    const alone = await post(sluice, '/v1/models/triage-small:predict', { instances: ['Cancel my visit please'] });
    await post(sluice, '/v1/models/triage-small:predict', { instances: known });
    const mixed = await post(sluice, '/v1/models/triage-small:predict', {
      instances: [known[1], 'Cancel my visit please', known[0]],
    });
    assert.equal(mixed.route, 'cache-hit'); // every item was asked before, in other requests
    const fresh = await post(sluice, '/v1/models/triage-small:predict', {
      instances: [known[0], 'A brand new question?'],
    });
    assert.equal(fresh.route, 'cache-partial');
    const predictions = (mixed.body as { predictions: unknown[] }).predictions;
    assert.deepEqual(predictions[1], (alone.body as { predictions: unknown[] }).predictions[0]);
  });

  test('embeddings are cached per input, and Cache-Control no-store bypasses the cache', async () => {
    const payload = { model: 'embed', input: ['When will my lab results be ready?', 'Do you take my insurance?'] };
    const first = await post(sluice, '/v1/embeddings', payload);
    const hit = await post(sluice, '/v1/embeddings', payload);
    assert.equal(hit.route, 'cache-hit');
    assert.deepEqual(hit.body, first.body);
    const bypass = await post(sluice, '/v1/embeddings', payload, { 'cache-control': 'no-store' });
    assert.equal(bypass.route, 'direct');
    assert.deepEqual(bypass.body, first.body);
  });

  test('a remote chat at temperature 0 is sent upstream once; a sampled one every time unless x-sluice-cache allows', async () => {
    const chat = (temperature?: number) => ({
      model: 'sim-chat',
      messages: [{ role: 'user', content: `hello at ${temperature ?? 'default'}` }],
      max_tokens: 8,
      ...(temperature === undefined ? {} : { temperature }),
    });
    const before = sim.stats().completed;
    const first = await post(sluice, '/v1/chat/completions', chat(0));
    const second = await post(sluice, '/v1/chat/completions', chat(0));
    assert.equal(second.route, 'cache-hit');
    assert.deepEqual(second.body, first.body);
    assert.equal(sim.stats().completed - before, 1);
    await post(sluice, '/v1/chat/completions', chat());
    assert.equal((await post(sluice, '/v1/chat/completions', chat())).route, 'direct');
    const allow = { 'x-sluice-cache': 'allow' };
    await post(sluice, '/v1/chat/completions', chat(1), allow);
    assert.equal((await post(sluice, '/v1/chat/completions', chat(1), allow)).route, 'cache-hit');
    assert.equal(
      (await post(sluice, '/v1/chat/completions', chat(0), { 'cache-control': 'no-store' })).route,
      'direct',
    );
    assert.ok((await metric(sluice, 'sluice_cache_hits_total{model="sim-chat"}')) >= 2);
  });

  test('a bad x-sluice-cache header is a 400 naming it', async () => {
    const response = await sluice.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'embed', input: 'hi' },
      headers: { 'x-sluice-cache': 'please' },
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /x-sluice-cache must be/);
  });
});

describe('replicas on one Redis', () => {
  let redis: RedisForTests;
  before(async () => {
    redis = await redisForTests();
  });
  after(() => redis.stop());

  test('two sluice servers on one Redis share a hit', async () => {
    const config = { state: { redis_url: redis.url }, cache: { redis_prefix: redis.prefix(), models: CACHED } };
    const [a, b] = await Promise.all([startTestSluice({ config }), startTestSluice({ config })]);
    try {
      const payload = { instances: ['Is the clinic open on Sunday?'] };
      const first = await post(a, '/v1/models/triage-small:predict', payload);
      const second = await post(b, '/v1/models/triage-small:predict', payload);
      assert.equal(first.route, 'direct');
      assert.equal(second.route, 'cache-hit');
      assert.deepEqual(second.body, first.body);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('with Redis unreachable every request is answered, the cache skipped and the failures counted', async () => {
    const config = { state: { redis_url: 'redis://127.0.0.1:1' }, cache: { models: CACHED } };
    const sluice = await startTestSluice({ config });
    try {
      const payload = { instances: ['Is the clinic open on Monday?'] };
      assert.equal((await post(sluice, '/v1/models/triage-small:predict', payload)).route, 'direct');
      assert.equal((await post(sluice, '/v1/models/triage-small:predict', payload)).route, 'direct');
      assert.ok((await metric(sluice, 'sluice_cache_backend_errors_total')) >= 2);
    } finally {
      await sluice.close();
    }
  });
});
