/**
 * Rate limits and budgets end to end, on the local triage-small model (1 compute-unit an
 * item): a budget is never overshot by 200 concurrent requests, in one server or in two
 * servers on one Redis; soft limits warn; hard limits answer 429 with the limit named and
 * Retry-After at the window's end; a cache hit settles to nothing; and with Redis stopped
 * mid-run a fail_closed limit refuses with 503 (and readiness says why) while a fail_open
 * one is enforced on this process's allowance alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { testKey, type TestKey } from './support/keys.ts';
import { redisForTests, type RedisForTests } from './support/redis.ts';
import { startTestSluice } from './support/server.ts';

const ops = testKey();

function config(tenants: Record<string, { key: TestKey; limits: Record<string, unknown> }>, extra = {}) {
  return {
    auth: { enabled: true },
    tenants: [
      ...Object.entries(tenants).map(([name, { key, limits }]) => ({ name, keys: [key.entry], limits })),
      { name: 'ops', keys: [ops.entry] },
    ],
    ...extra,
  };
}

const budget = (units: number, more = {}) => ({ spend_per_day: units, spend_unit: 'compute-units', ...more });

async function predict(sluice: Sluice, key: TestKey, text: string) {
  return sluice.app.inject({
    method: 'POST',
    url: '/v1/models/triage-small:predict',
    headers: key.bearer,
    payload: { instances: [text] },
  });
}

async function metric(sluice: Sluice, name: string): Promise<number> {
  const text = (await sluice.app.inject({ url: '/metrics', headers: ops.bearer })).body;
  const lines = text.split('\n').filter((line) => line.startsWith(name));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

function statuses(responses: ReadonlyArray<{ statusCode: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { statusCode } of responses) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
  return counts;
}

describe('budgets in one server', () => {
  test('triage-small costs 1 compute-unit an item, which these tests count on', async () => {
    const sluice = await startTestSluice();
    try {
      assert.deepEqual(sluice.models.resolve('triage-small').spec.cost, { per_item: 1, unit: 'compute-units' });
    } finally {
      await sluice.close();
    }
  });

  test('200 concurrent requests against a budget of 50 items: exactly 50 answered, 150 refused naming the budget', async () => {
    const acme = testKey({ scopes: ['infer'] });
    const sluice = await startTestSluice({ config: config({ acme: { key: acme, limits: budget(50) } }) });
    try {
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) => predict(sluice, acme, `is the clinic open on day ${index}?`)),
      );
      assert.deepEqual(statuses(responses), { 200: 50, 429: 150 });
      const refused = responses.find((response) => response.statusCode === 429)!;
      assert.equal(refused.headers['x-sluice-error-code'], 'ERR_BUDGET_EXCEEDED');
      assert.match(refused.json().error, /tenant "acme" is over its spend_per_day budget of 50 compute-units/);
      const untilMidnight = 86_400_000 - (Date.now() % 86_400_000);
      assert.ok(Math.abs(Number(refused.headers['retry-after']) - untilMidnight / 1000) <= 2);
      assert.equal(await metric(sluice, 'sluice_limit_refusals_total{limit="spend_per_day",scope="tenant"}'), 150);
    } finally {
      await sluice.close();
    }
  });

  test('past its soft ratio a tenant gets x-sluice-budget-warning on every answer, and the warnings are counted', async () => {
    const acme = testKey({ scopes: ['infer'] });
    const sluice = await startTestSluice({
      config: config({ acme: { key: acme, limits: budget(10, { soft_ratio: 0.5 }) } }),
    });
    try {
      const warnings: Array<string | undefined> = [];
      for (let index = 0; index < 6; index++) {
        const response = await predict(sluice, acme, `question ${index}`);
        assert.equal(response.statusCode, 200, response.body);
        warnings.push(response.headers['x-sluice-budget-warning'] as string | undefined);
      }
      assert.deepEqual(warnings, [
        undefined,
        undefined,
        undefined,
        undefined,
        'tenant=acme; limit=spend_per_day; used=50%',
        'tenant=acme; limit=spend_per_day; used=60%',
      ]);
      assert.equal(await metric(sluice, 'sluice_limit_warnings_total{limit="spend_per_day",scope="tenant"}'), 2);
    } finally {
      await sluice.close();
    }
  });

  test('a key over its requests per minute gets 429 ERR_RATE_LIMITED with Retry-After at the minute end', async () => {
    const acme = testKey({ scopes: ['infer'] });
    const minute = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
    const acmeWithLimits = { ...acme, entry: { ...acme.entry, limits: { requests_per_minute: 3 } } };
    const sluice = await startTestSluice({
      config: config({ acme: { key: acmeWithLimits, limits: {} } }),
      wallClock: () => minute + 15_000,
    });
    try {
      for (let index = 0; index < 3; index++) assert.equal((await predict(sluice, acme, `q${index}`)).statusCode, 200);
      const refused = await predict(sluice, acme, 'one too many');
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.headers['x-sluice-error-code'], 'ERR_RATE_LIMITED');
      assert.equal(refused.headers['retry-after'], '45');
      assert.equal(
        refused.json().error,
        `key "${acme.id}" is over its requests_per_minute limit of 3; it resets in 45 s`,
      );
    } finally {
      await sluice.close();
    }
  });

  test('a cache hit reserves its estimate and settles to nothing, so it does not use the budget', async () => {
    const acme = testKey({ scopes: ['infer'] });
    const sluice = await startTestSluice({
      config: config(
        { acme: { key: acme, limits: budget(3) } },
        { cache: { models: { 'triage-small': { ttl_s: 600 } } } },
      ),
    });
    try {
      for (let index = 0; index < 5; index++)
        assert.equal((await predict(sluice, acme, 'the same question')).statusCode, 200);
      assert.equal((await predict(sluice, acme, 'second question')).statusCode, 200);
      assert.equal((await predict(sluice, acme, 'third question')).statusCode, 200);
      assert.equal((await predict(sluice, acme, 'fourth question')).statusCode, 429);
    } finally {
      await sluice.close();
    }
  });
});

describe('budgets across replicas on one Redis', () => {
  let redis: RedisForTests;
  before(async () => {
    redis = await redisForTests();
  });
  after(() => redis.stop());

  test('two servers on one Redis answer exactly 50 of 202 requests against a budget of 50, 200 of them at once', async () => {
    const acme = testKey({ scopes: ['infer'] });
    const shared = config(
      { acme: { key: acme, limits: budget(50) } },
      { state: { redis_url: redis.url }, limits: { redis_prefix: redis.prefix(), redis_timeout_ms: 5_000 } },
    );
    const [a, b] = await Promise.all([startTestSluice({ config: shared }), startTestSluice({ config: shared })]);
    try {
      // One each first: both connected and warm, so the burst is a race between the two.
      assert.equal((await predict(a, acme, 'warm a')).statusCode, 200);
      assert.equal((await predict(b, acme, 'warm b')).statusCode, 200);
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) => predict(index % 2 === 0 ? a : b, acme, `day ${index}?`)),
      );
      assert.deepEqual(statuses(responses), { 200: 48, 429: 152 });
      const answered = (parity: number) =>
        responses.filter((response, index) => index % 2 === parity && response.statusCode === 200).length;
      assert.ok(answered(0) > 0 && answered(1) > 0, `both servers answered some: ${answered(0)} and ${answered(1)}`);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('Redis unreachable from the start', () => {
  test('fail_open limits answer within this process’s share, and readiness stays ready saying why', async () => {
    const acme = testKey({ scopes: ['infer'] });
    const limits = budget(4, { on_store_failure: 'fail_open', fail_open_share: 0.5 });
    const sluice = await startTestSluice({
      config: config({ acme: { key: acme, limits } }, { state: { redis_url: 'redis://127.0.0.1:1' } }),
    });
    try {
      const codes = [];
      for (let index = 0; index < 3; index++) codes.push((await predict(sluice, acme, `q${index}`)).statusCode);
      assert.deepEqual(codes, [200, 200, 429]);
      const ready = await sluice.app.inject('/v2/health/ready');
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), {
        ready: true,
        reason: 'limits store (Redis) unreachable; fail_open limits counted in each process alone',
      });
    } finally {
      await sluice.close();
    }
  });
});

describe('Redis stopped mid-run', () => {
  let redis: RedisForTests;
  let sluice: Sluice;
  const open = testKey({ scopes: ['infer'] });
  const closed = testKey({ scopes: ['infer'] });

  before(async () => {
    // A throwaway server this test may stop, even where REDIS_URL names a shared one.
    const fromEnv = process.env['REDIS_URL'];
    delete process.env['REDIS_URL'];
    try {
      redis = await redisForTests();
    } finally {
      if (fromEnv !== undefined) process.env['REDIS_URL'] = fromEnv;
    }
    sluice = await startTestSluice({
      config: config(
        {
          open: { key: open, limits: budget(20, { on_store_failure: 'fail_open', fail_open_share: 0.25 }) },
          closed: { key: closed, limits: budget(20) },
        },
        { state: { redis_url: redis.url }, limits: { redis_prefix: redis.prefix() } },
      ),
    });
  });
  after(async () => {
    await sluice.close();
    await redis.stop();
  });

  test('fail_closed refuses with 503 and readiness says why; fail_open allows this process its share; nothing crashes', async () => {
    assert.equal((await predict(sluice, open, 'before')).statusCode, 200);
    assert.equal((await predict(sluice, closed, 'before')).statusCode, 200);
    await redis.stop();

    const refused = await predict(sluice, closed, 'during');
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['x-sluice-error-code'], 'ERR_LIMITS_UNAVAILABLE');
    assert.deepEqual((await sluice.app.inject('/v2/health/ready')).json(), {
      ready: false,
      reason: 'limits store (Redis) unreachable and a limit is fail_closed',
    });

    // fail_open: a quarter of 20 items, counted in this process alone.
    const during = [];
    for (let index = 0; index < 7; index++) during.push((await predict(sluice, open, `during ${index}`)).statusCode);
    assert.deepEqual(during, [200, 200, 200, 200, 200, 429, 429]);
    assert.ok((await metric(sluice, 'sluice_limit_store_errors_total')) >= 8);
    assert.equal(await metric(sluice, 'sluice_limit_local_reservations_total'), 7);
  });
});
