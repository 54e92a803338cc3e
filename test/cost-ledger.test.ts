/**
 * The cost ledger end to end: two tenants, each with its key, call a local model (through
 * the per-item cache) and a remote model in front of `sluice sim`, streamed and not;
 * GET /admin/usage then returns each tenant's exact items, tokens and cost per model, a
 * cache hit at no cost, and the sums reach the state store in batches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startSimulator, type Simulator } from '../src/offline/sim/sim-server.ts';
import { openSqliteStore } from '../src/state/sqlite-store.ts';
import type { Store } from '../src/state/store.ts';
import { testKey } from './support/keys.ts';
import { startTestSluice } from './support/server.ts';

const FAST = { prefillMs: 1, prefillPerTokenMs: 0, decodeMs: 1 };
const PRICE = { input_per_million_tokens: 2, output_per_million_tokens: 8, currency: 'USD' };
const acme = testKey({ scopes: ['infer'] });
const beta = testKey({ scopes: ['infer'] });
const admin = testKey({ scopes: ['admin', 'metrics'] });

let sim: Simulator;
let sluice: Sluice;
let store: Store;

before(async () => {
  sim = await startSimulator({ port: 0, seed: 5, latency: FAST });
  store = openSqliteStore(':memory:');
  sluice = await startTestSluice({
    store,
    config: {
      auth: { enabled: true },
      tenants: [
        { name: 'acme', keys: [acme.entry] },
        { name: 'beta', keys: [beta.entry] },
        { name: 'ops', keys: [admin.entry] },
      ],
      backends: [
        {
          name: 'sim',
          dialect: 'openai',
          replicas: [{ url: sim.url }],
          models: [{ name: 'chat', upstream: 'sim-small', price: PRICE }],
        },
      ],
      cache: { models: { 'triage-small': { ttl_s: 600 } } },
      ledger: { flush_interval_ms: 50 },
    },
  });
});

after(async () => {
  await sluice.close();
  await sim.close();
});

async function predict(key: typeof acme, instances: string[]): Promise<string | undefined> {
  const response = await sluice.app.inject({
    method: 'POST',
    url: '/v1/models/triage-small:predict',
    headers: key.bearer,
    payload: { instances },
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.headers['x-sluice-route'] as string | undefined;
}

interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
}

async function chat(key: typeof acme, stream: boolean): Promise<Usage> {
  const response = await sluice.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: key.bearer,
    payload: {
      model: 'chat',
      messages: [{ role: 'user', content: `what does it cost to ${stream ? 'stream' : 'answer'}?` }],
      max_tokens: 12,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    },
  });
  assert.equal(response.statusCode, 200, response.body);
  if (!stream) return (response.json() as { usage: Usage }).usage;
  const chunks = response.body
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)) as { usage?: Usage | null });
  const usage = chunks.find((chunk) => chunk.usage)?.usage;
  assert.ok(usage, 'the stream reported its usage');
  return usage;
}

async function usage(query: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const response = await sluice.app.inject({ url: `/admin/usage${query}`, headers: admin.bearer });
  return { statusCode: response.statusCode, body: response.json() as Record<string, unknown> };
}

type Row = Record<string, string | number>;

describe('the cost ledger', () => {
  test('GET /admin/usage returns each tenant’s exact items, tokens and cost per model, cache hits at no cost', async () => {
    const { per_item: perItem, unit } = sluice.models.resolve('triage-small').spec.cost;
    assert.equal(await predict(acme, ['chest pain', 'a cough', 'a rash']), 'direct');
    assert.equal(await predict(acme, ['chest pain', 'a cough', 'a rash']), 'cache-hit');
    assert.equal(await predict(acme, ['chest pain', 'a cough', 'a broken arm']), 'cache-partial');
    // Beta's entries are its own (the cache is per tenant): its items run and cost.
    assert.equal(await predict(beta, ['chest pain', 'a cough']), 'direct');
    const acmeChat = await chat(acme, false);
    const betaChat = await chat(beta, true);
    const cost = (used: Usage) => (used.prompt_tokens * 2 + used.completion_tokens * 8) / 1e6;

    const expected: Row[] = [
      chatRow('acme', acmeChat, cost(acmeChat)),
      localRow('acme', unit, { requests: 3, items: 9, cost: 4 * perItem, cache_hits: 1 }),
      chatRow('beta', betaChat, cost(betaChat)),
      localRow('beta', unit, { requests: 1, items: 2, cost: 2 * perItem, cache_hits: 0 }),
    ];
    let rows: Row[] = [];
    const deadline = Date.now() + 5000;
    do {
      // A stream is charged on a later turn of the event loop, which inject() alone never reaches.
      await new Promise((resolve) => setTimeout(resolve, 10));
      const answer = await usage('?group_by=tenant,model');
      assert.equal(answer.statusCode, 200);
      rows = answer.body['usage'] as Row[];
    } while (rows.reduce((sum, row) => sum + Number(row['requests']), 0) < 6 && Date.now() < deadline);
    assert.equal(rows.length, 4, JSON.stringify(rows));
    rows.forEach((row, index) => assertRow(row, expected[index] as Row));

    // Written to the store in batches, off the requests: the same sums, once an interval has passed.
    const stored = async () =>
      (await store.queryUsage({ groupBy: [] })).reduce((sum, total) => sum + total.requests, 0);
    const storedBy = Date.now() + 5000;
    while ((await stored()) < 6 && Date.now() < storedBy) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await stored(), 6);
    const again = await usage('?group_by=tenant,model');
    (again.body['usage'] as Row[]).forEach((row, index) => assertRow(row, expected[index] as Row));
  });

  test('GET /admin/usage filters by tenant, key, model and days, and groups by key, version and day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const byKey = await usage(`?tenant=acme&model=triage-small&from=${today}&to=${today}&group_by=key,version,day`);
    assert.equal(byKey.statusCode, 200);
    const [row] = byKey.body['usage'] as Row[];
    assert.equal(row?.['key'], acme.id);
    assert.equal(row?.['version'], sluice.models.resolve('triage-small').spec.version);
    assert.equal(row?.['day'], today);
    assert.equal(row?.['items'], 9);
    const none = await usage(`?key=${beta.id}&model=triage-small&to=2000-01-01`);
    assert.deepEqual(none.body['usage'], []);
  });

  test('GET /admin/usage refuses a bad parameter with 400, naming it', async () => {
    const cases: Array<[string, string]> = [
      ['?group_by=colour', 'group_by'],
      ['?group_by=tenant,tenant', 'group_by'],
      ['?from=2026-02-30', 'from'],
      ['?to=yesterday', 'to'],
      ['?from=2026-03-02&to=2026-03-01', 'to'],
      ['?tenant=', 'tenant'],
      ['?limit=5', 'limit'],
    ];
    for (const [query, field] of cases) {
      const response = await sluice.app.inject({ url: `/admin/usage${query}`, headers: admin.bearer });
      assert.equal(response.statusCode, 400, query);
      assert.equal(response.headers['x-sluice-error-code'], 'ERR_ADMIN_INVALID', query);
      assert.match(response.body, new RegExp(`${field}:`), query);
    }
  });

  test('the cost and tokens are in the metrics per tenant and model', async () => {
    const text = (await sluice.app.inject({ url: '/metrics', headers: admin.bearer })).body;
    assert.match(text, /sluice_cost_total\{tenant="acme",model="chat",unit="USD"\} \d/);
    assert.match(text, /sluice_usage_tokens_total\{tenant="beta",model="chat",direction="output"\} [1-9]/);
    assert.match(text, /sluice_usage_cache_hits_total\{tenant="acme",model="triage-small"\} 1/);
  });
});

function chatRow(tenant: string, used: Usage, cost: number): Row {
  const tokens = { input_tokens: used.prompt_tokens, output_tokens: used.completion_tokens };
  return { tenant, model: 'chat', unit: 'USD', requests: 1, items: 0, ...tokens, cost, cache_hits: 0 };
}

function localRow(tenant: string, unit: string, sums: Row): Row {
  return { tenant, model: 'triage-small', unit, input_tokens: 0, output_tokens: 0, ...sums };
}

/** Every field as expected; the cost to a billionth of its unit (it is kept in whole billionths). */
function assertRow(row: Row, expected: Row): void {
  const { cost, ...rest } = row;
  const { cost: expectedCost, ...expectedRest } = expected;
  assert.deepEqual(rest, expectedRest);
  assert.equal(
    Math.round(Number(cost) * 1e9),
    Math.round(Number(expectedCost) * 1e9),
    `cost of ${JSON.stringify(row)}`,
  );
}
