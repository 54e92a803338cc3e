import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { ReplicaGates, type GateSettings } from './replica-gates.ts';

const HOSTS = ['a:1', 'b:2'];
const FAIL = { ok: false, detail: 'GET /v1/models answered 500' };

function gates(settings: Partial<GateSettings> = {}): { gates: ReplicaGates; clock: FakeClock } {
  const clock = new FakeClock();
  const all: GateSettings = {
    health: { unhealthyThreshold: 1, healthyThreshold: 1 },
    retryAfterMaxMs: 60_000,
    concurrency: { initialLimit: 1, minLimit: 1, maxLimit: 1, wait: { maxWaitMs: 0, maxWaiting: 1 } },
    clock,
    ...settings,
  };
  return { gates: new ReplicaGates(HOSTS, all), clock };
}

describe('ReplicaGates', () => {
  it('keeps out a replica that is unhealthy, cooling down or at its limit, and says which', () => {
    const { gates: g, clock } = gates({ health: { unhealthyThreshold: 1, healthyThreshold: 1 } });
    assert.deepEqual([...g.excluded(new Set())], []);
    g.recordProbe(0, FAIL);
    assert.equal(g.state(0), 'unhealthy');
    assert.deepEqual([...g.excluded(new Set([1]))], [1, 0]);
    g.recordProbe(0, { ok: true });
    g.coolDown(0, 2_000);
    assert.equal(g.state(0), 'cooling-down');
    clock.advance(2_000);
    const permit = g.acquire(0);
    assert.equal(g.state(0), 'at-limit');
    permit.release({ rttMs: 5 });
    assert.equal(g.state(0), 'open');
  });

  it('counts replicas passed over only for real picks', () => {
    const { gates: g } = gates();
    g.coolDown(1, 1_000);
    g.excluded(new Set());
    assert.deepEqual(g.stats(1).passedOver, { unhealthy: 0, coolingDown: 0, atLimit: 0 });
    g.excluded(new Set(), true);
    g.excluded(new Set([1]), true);
    assert.deepEqual(
      g.stats(1).passedOver,
      { unhealthy: 0, coolingDown: 1, atLimit: 0 },
      'a replica already tried is not passed over',
    );
  });

  it('with every gate off, every replica is open and permits cost nothing', () => {
    const { gates: g } = gates({ health: undefined, retryAfterMaxMs: undefined, concurrency: undefined });
    g.coolDown(0, 5_000);
    for (let held = 0; held < 100; held += 1) g.acquire(0);
    assert.equal(g.state(0), 'open');
    assert.deepEqual(g.stats(0), {
      state: 'open',
      health: undefined,
      retryAfter: undefined,
      concurrency: undefined,
      passedOver: { unhealthy: 0, coolingDown: 0, atLimit: 0 },
    });
  });

  it('refuses with 503 naming each replica when all fail their health check', () => {
    const { gates: g } = gates();
    g.recordProbe(0, FAIL);
    g.recordProbe(1, { ok: false, detail: 'GET /v1/models timed out after 2000 ms' });
    const refusal = g.refusal('llm');
    assert.equal(refusal.code, 'ERR_UPSTREAM_NO_REPLICA');
    assert.equal(refusal.status, 503);
    assert.match(
      refusal.message,
      /backend "llm" has no healthy replica: .*a:1: GET \/v1\/models answered 500; b:2: GET \/v1\/models timed out/,
    );
  });

  it('refuses with 429 and the soonest Retry-After when every live replica is cooling down', () => {
    const { gates: g, clock } = gates();
    g.coolDown(0, 30_000);
    g.coolDown(1, 20_000);
    clock.advance(5_000);
    assert.equal(g.allCoolingDownFor(), 15_000);
    const refusal = g.refusal('llm');
    assert.equal(refusal.code, 'ERR_UPSTREAM_RATE_LIMITED');
    assert.equal(refusal.retryAfterMs, 15_000);
    g.recordProbe(1, FAIL);
    assert.equal(g.refusal('llm').retryAfterMs, 25_000, 'an unhealthy replica does not count as coming back sooner');
    assert.equal(g.allCoolingDownFor(), 25_000);
  });

  it('refuses with 429 ERR_UPSTREAM_CONCURRENCY_LIMIT when live replicas are full or cooling down', () => {
    const { gates: g } = gates();
    g.acquire(0);
    g.coolDown(1, 300);
    assert.equal(g.allCoolingDownFor(), undefined);
    const refusal = g.refusal('llm');
    assert.equal(refusal.code, 'ERR_UPSTREAM_CONCURRENCY_LIMIT');
    assert.equal(refusal.status, 429);
    assert.equal(refusal.retryAfterMs, 300, 'the cooling replica is back before a slot is expected to free');
    assert.match(refusal.message, /a:1: 1 of 1/);
    const full = gates();
    full.gates.acquire(0);
    full.gates.acquire(1);
    assert.equal(
      full.gates.refusal('llm').retryAfterMs,
      1_000,
      'before any latency is known, a slot is guessed to free within a second',
    );
  });

  it('blames ejection or breakers when every gate is open', () => {
    const { gates: g } = gates();
    g.recordProbe(1, FAIL);
    const refusal = g.refusal('llm');
    assert.equal(refusal.code, 'ERR_UPSTREAM_NO_REPLICA');
    assert.match(refusal.message, /\(ejected or circuit open\); 1 of 2 replicas fail their health check/);
  });
});
