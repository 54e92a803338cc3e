import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LimitsSchema, type LimitsConfig } from './limits-config.ts';
import { planChecks, refusal, settlement, softWarnings, warningText, type LimitScope } from './limit-plan.ts';

const NOW = Date.parse('2026-12-07T18:03:30.000Z');
const scope = (kind: LimitScope['kind'], id: string, limits: Partial<LimitsConfig>): LimitScope => ({
  kind,
  id,
  limits: LimitsSchema.parse(limits),
});
const acme = scope('tenant', 'acme', {
  requests_per_minute: 100,
  tokens_per_minute: 1000,
  spend_per_day: 2,
  spend_per_month: 30,
  spend_unit: 'USD',
});
const usd = (tokens: number, dollars: number) => ({ tokens, costNanos: { USD: dollars * 1e9 } });

describe('limit plans', () => {
  test('a request reserves one request, its estimated tokens and its cost in the budget unit, each in its window', () => {
    const checks = planChecks([acme], usd(300, 0.5), NOW);
    assert.deepEqual(
      checks.map(({ key, amount, limit, expiresAtMs }) => ({ key, amount, limit, expiresAtMs })),
      [
        {
          key: `tenant:acme:requests_per_minute:${Date.parse('2026-12-07T18:03:00Z')}`,
          amount: 1,
          limit: 100,
          expiresAtMs: Date.parse('2026-12-07T18:04:00Z'),
        },
        {
          key: `tenant:acme:tokens_per_minute:${Date.parse('2026-12-07T18:03:00Z')}`,
          amount: 300,
          limit: 1000,
          expiresAtMs: Date.parse('2026-12-07T18:04:00Z'),
        },
        {
          key: `tenant:acme:spend_per_day:USD:${Date.parse('2026-12-07T00:00:00Z')}`,
          amount: 5e8,
          limit: 2e9,
          expiresAtMs: Date.parse('2026-12-08T00:00:00Z'),
        },
        {
          key: `tenant:acme:spend_per_month:USD:${Date.parse('2026-12-01T00:00:00Z')}`,
          amount: 5e8,
          limit: 3e10,
          expiresAtMs: Date.parse('2027-01-01T00:00:00Z'),
        },
      ],
    );
  });

  test('a cost in another unit does not count against a budget, and a request without tokens reserves none', () => {
    const checks = planChecks([acme], { tokens: 0, costNanos: { 'compute-units': 7e9 } }, NOW);
    assert.deepEqual(
      checks.map((check) => check.name),
      ['requests_per_minute'],
    );
  });

  test('the tenant and the key each get their own counters', () => {
    const key = scope('key', 'k123456789', { requests_per_minute: 5 });
    const checks = planChecks([acme, key], usd(1, 0), NOW);
    assert.deepEqual(
      checks.map((check) => `${check.scope.kind}:${check.name}`),
      [
        'tenant:requests_per_minute',
        'tenant:tokens_per_minute',
        'tenant:spend_per_day',
        'tenant:spend_per_month',
        'key:requests_per_minute',
      ],
    );
  });

  test('a rate limit refused is a 429 ERR_RATE_LIMITED naming the limit, with Retry-After at the minute end', () => {
    const [requests] = planChecks([acme], usd(1, 0), NOW);
    const error = refusal(requests!, NOW);
    assert.equal(error.code, 'ERR_RATE_LIMITED');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 30_000);
    assert.equal(error.message, 'tenant "acme" is over its requests_per_minute limit of 100; it resets in 30 s');
  });

  test('a budget refused is a 429 ERR_BUDGET_EXCEEDED in its unit, with Retry-After at the UTC day end', () => {
    const day = planChecks([acme], usd(1, 0.5), NOW).find((check) => check.name === 'spend_per_day')!;
    const error = refusal(day, NOW);
    assert.equal(error.code, 'ERR_BUDGET_EXCEEDED');
    assert.equal(error.retryAfterMs, Date.parse('2026-12-08T00:00:00Z') - NOW);
    assert.match(error.message, /^tenant "acme" is over its spend_per_day budget of 2 USD; it resets in 21390 s$/);
  });

  test('a request whose estimate alone is over a limit says so', () => {
    const tokens = planChecks([acme], usd(5000, 0), NOW).find((check) => check.name === 'tokens_per_minute')!;
    assert.match(refusal(tokens, NOW).message, /this request alone \(5000\) exceeds it/);
  });

  test('a limit warns from its soft ratio on, with the share used', () => {
    const checks = planChecks([acme], usd(1, 0), NOW);
    assert.deepEqual(softWarnings(checks, [79, 1, 0, 0]), []);
    const warnings = softWarnings(checks, [80, 1, 0, 0]);
    assert.equal(warningText(warnings), 'tenant=acme; limit=requests_per_minute; used=80%');
  });

  test('settling corrects tokens and spend to what was used, and keeps the request counted', () => {
    const checks = planChecks([acme], usd(300, 0.5), NOW);
    assert.deepEqual(
      settlement(checks, usd(120, 0.25)).map(({ delta }) => delta),
      [-180, -2.5e8, -2.5e8],
    );
    assert.deepEqual(settlement(checks, usd(300, 0.5)), []);
    assert.deepEqual(
      settlement(checks, { tokens: 0, costNanos: {} }).map(({ delta }) => delta),
      [-300, -5e8, -5e8],
    );
  });
});

describe('limits in the configuration', () => {
  test('a budget without its unit is refused, naming spend_unit', () => {
    const parsed = LimitsSchema.safeParse({ spend_per_day: 5 });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error?.issues.map((issue) => issue.path.join('.')),
      ['spend_unit'],
    );
  });

  test('limits default to a soft ratio of 0.8, fail_closed, and half of each limit when failing open', () => {
    assert.deepEqual(LimitsSchema.parse({ requests_per_minute: 10 }), {
      requests_per_minute: 10,
      soft_ratio: 0.8,
      on_store_failure: 'fail_closed',
      fail_open_share: 0.5,
    });
  });
});
