/**
 * The semantic cache end to end: a remote chat model in front of `sluice sim`, its prompts
 * embedded by the default `embed` model, two tenants with their keys; then two sluice
 * servers on one real Redis sharing a semantic hit. The threshold here (0.9) is the
 * test's, low enough for `embed` to match a rewording; the default is stricter (docs/cost.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { testKey, type TestKey } from './support/keys.ts';
import { redisForTests, type RedisForTests } from './support/redis.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const acme = testKey({ scopes: ['infer'] });
const globex = testKey({ scopes: ['infer'] });
const ops = testKey({ scopes: ['metrics'] });
const PRICE = { input_per_million_tokens: 2, output_per_million_tokens: 8, currency: 'USD' };
const SEMANTIC = { 'sim-chat': { ttl_s: 60, semantic: { embedding_model: 'embed', min_similarity: 0.9 } } };

function configFor(sim: Simulator, extra: Record<string, unknown> = {}) {
  return {
    auth: { enabled: true },
    tenants: [
      { name: 'acme', keys: [acme.entry] },
      { name: 'globex', keys: [globex.entry] },
      { name: 'ops', keys: [ops.entry] },
    ],
    backends: [
      {
        name: 'sim',
        dialect: 'openai',
        replicas: [{ url: sim.url }],
        models: [{ name: 'sim-chat', upstream: 'sim-small', price: PRICE }],
      },
    ],
    cache: { models: SEMANTIC },
    ...extra,
  };
}

async function chat(sluice: Sluice, key: TestKey, content: string, extra: object = {}, headers = {}) {
  const payload = { model: 'sim-chat', messages: [{ role: 'user', content }], temperature: 0, max_tokens: 8, ...extra };
  const response = await sluice.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload,
    headers: { ...key.bearer, ...headers },
  });
  assert.equal(response.statusCode, 200, response.body);
  return { route: response.headers['x-sluice-route'], body: response.json() as unknown };
}

async function metric(sluice: Sluice, name: string): Promise<number> {
  const text = (await sluice.app.inject({ url: '/metrics', headers: ops.bearer })).body;
  const lines = text.split('\n').filter((line) => line.startsWith(name));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('one server in front of the simulator', () => {
  let sim: Simulator;
  let sluice: Sluice;
  before(async () => {
    sim = await startSimulator({ port: 0, seed: 3, latency: FAST });
    sluice = await startTestSluice({ config: configFor(sim) });
  });
  after(async () => {
    await sluice.close();
    await sim.close();
  });

  test('a rewording is answered semantic-hit with the first answer and no upstream call, at the embedding’s cost', async () => {
    const first = await chat(sluice, acme, 'How do I reset my password?');
    const sent = sim.stats().completed;
    const reworded = await chat(sluice, acme, 'How can I reset my password?');
    assert.equal(first.route, 'direct');
    assert.equal(reworded.route, 'semantic-hit');
    assert.deepEqual(reworded.body, first.body);
    assert.equal(sim.stats().completed, sent);
    assert.equal(await metric(sluice, 'sluice_cache_semantic_hits_total{model="sim-chat"}'), 1);
    assert.equal(await metric(sluice, 'sluice_cache_semantic_similarity_count{model="sim-chat"}'), 1);
    assert.equal(await metric(sluice, 'sluice_usage_cache_hits_total{tenant="acme",model="sim-chat"}'), 1);
    // Each prompt was embedded once, the miss's and the hit's: the tenant pays the embedding model for both.
    const { per_item: perItem, unit } = sluice.models.resolve('embed').spec.cost;
    assert.equal(await metric(sluice, 'sluice_usage_requests_total{tenant="acme",model="embed"}'), 2);
    assert.equal(await metric(sluice, 'sluice_usage_items_total{tenant="acme",model="embed"}'), 2);
    assert.equal(
      await metric(sluice, `sluice_cost_total{tenant="acme",model="embed",unit="${unit ?? 'compute-units'}"}`),
      2 * perItem,
    );
  });

  test("another tenant's identical prompt is not answered from the first tenant's entries", async () => {
    await chat(sluice, acme, 'When does the clinic open on Saturday?');
    const sent = sim.stats().completed;
    const other = await chat(sluice, globex, 'When does the clinic open on Saturday?');
    assert.equal(other.route, 'direct');
    assert.equal(sim.stats().completed, sent + 1);
  });

  test('a different max_tokens is not a hit', async () => {
    await chat(sluice, acme, 'Can I get a copy of my records?');
    const longer = await chat(sluice, acme, 'Could I get a copy of my records?', { max_tokens: 9 });
    assert.equal(longer.route, 'direct');
    assert.equal((await chat(sluice, acme, 'Could I get a copy of my records?')).route, 'semantic-hit');
  });

  test('Cache-Control no-store neither answers from nor adds to the semantic cache', async () => {
    const noStore = { 'cache-control': 'no-store' };
    assert.equal((await chat(sluice, acme, 'Do you take Aetna insurance?', {}, noStore)).route, 'direct');
    assert.equal((await chat(sluice, acme, 'Do you accept Aetna insurance?')).route, 'direct');
    assert.equal((await chat(sluice, acme, 'Do you take Aetna insurance?', {}, noStore)).route, 'direct');
    assert.equal((await chat(sluice, acme, 'Do you take Aetna insurance?')).route, 'semantic-hit');
  });

  test('a remote embedding model’s run is charged its tokens at its price', async () => {
    const embedPrice = { input_per_million_tokens: 100, output_per_million_tokens: 0, currency: 'USD' };
    const remote = await startTestSluice({
      config: configFor(sim, {
        backends: [
          {
            name: 'sim',
            dialect: 'openai',
            replicas: [{ url: sim.url }],
            models: [
              { name: 'sim-chat', upstream: 'sim-small', price: PRICE },
              { name: 'sim-embed', upstream: 'sim-small', price: embedPrice },
            ],
          },
        ],
        cache: { models: { 'sim-chat': { ttl_s: 60, semantic: { embedding_model: 'sim-embed' } } } },
      }),
    });
    try {
      await chat(remote, acme, 'Where do I find my lab results?');
      const input = 'sluice_usage_tokens_total{tenant="acme",model="sim-embed",direction="input"}';
      const deadline = Date.now() + 5000;
      while ((await metric(remote, input)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const tokens = await metric(remote, input);
      assert.ok(tokens > 0, 'the embedding’s prompt tokens are counted');
      assert.equal(await metric(remote, 'sluice_usage_requests_total{tenant="acme",model="sim-embed"}'), 1);
      const cost = await metric(remote, 'sluice_cost_total{tenant="acme",model="sim-embed",unit="USD"}');
      assert.ok(Math.abs(cost - (tokens * 100) / 1e6) < 1e-9, `${tokens} tokens at 100 a million cost ${cost}`);
    } finally {
      await remote.close();
    }
  });

  test('a stream is never answered from the semantic cache', async () => {
    await chat(sluice, acme, 'Is the flu shot available yet?');
    const response = await sluice.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: acme.bearer,
      payload: {
        model: 'sim-chat',
        messages: [{ role: 'user', content: 'Is the flu shot available now?' }],
        temperature: 0,
        max_tokens: 8,
        stream: true,
      },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-sluice-route'], 'direct');
  });
});

describe('replicas on one Redis', () => {
  let redis: RedisForTests;
  let sim: Simulator;
  before(async () => {
    redis = await redisForTests();
    sim = await startSimulator({ port: 0, seed: 3, latency: FAST });
  });
  after(async () => {
    await sim.close();
    await redis.stop();
  });

  test("one server's answer is a semantic hit on another server on the same Redis", async () => {
    const config = configFor(sim, {
      state: { redis_url: redis.url },
      cache: { redis_prefix: redis.prefix(), models: SEMANTIC },
    });
    const [a, b] = await Promise.all([startTestSluice({ config }), startTestSluice({ config })]);
    try {
      const first = await chat(a, acme, 'How do I update my home address?');
      const sent = sim.stats().completed;
      const second = await chat(b, acme, 'How can I update my home address?');
      assert.equal(second.route, 'semantic-hit');
      assert.deepEqual(second.body, first.body);
      assert.equal(sim.stats().completed, sent);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('with Redis unreachable every chat is answered, as a miss', async () => {
    const config = configFor(sim, { state: { redis_url: 'redis://127.0.0.1:1' } });
    const sluice = await startTestSluice({ config });
    try {
      assert.equal((await chat(sluice, acme, 'How do I pay my bill online?')).route, 'direct');
      assert.equal((await chat(sluice, acme, 'How can I pay my bill online?')).route, 'direct');
      assert.ok((await metric(sluice, 'sluice_cache_backend_errors_total{operation="semantic-lookup"}')) >= 2);
    } finally {
      await sluice.close();
    }
  });
});
