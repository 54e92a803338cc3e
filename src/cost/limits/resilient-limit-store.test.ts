import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../../core/errors.ts';
import { LimitsSchema } from './limits-config.ts';
import { planChecks } from './limit-plan.ts';
import type { CounterCheck, LimitStore, ReserveVerdict } from './limit-store.ts';
import { MemoryLimitStore } from './memory-limit-store.ts';
import { ResilientLimitStore } from './resilient-limit-store.ts';

/** A shared store that is down until `up` is set. */
class FlakyStore implements LimitStore {
  up = false;
  private readonly inner = new MemoryLimitStore();
  reserve(checks: readonly CounterCheck[]): Promise<ReserveVerdict> {
    return this.up ? this.inner.reserve(checks) : Promise.reject(new Error('connection refused'));
  }
  settle(): Promise<void> {
    return this.up ? Promise.resolve() : Promise.reject(new Error('connection refused'));
  }
  ping(): Promise<void> {
    return this.up ? Promise.resolve() : Promise.reject(new Error('connection refused'));
  }
  async close(): Promise<void> {}
}

const NOW = Date.parse('2026-12-07T18:00:30Z');
const checksFor = (limits: Record<string, unknown>) =>
  planChecks([{ kind: 'tenant', id: 'acme', limits: LimitsSchema.parse(limits) }], { tokens: 0, costNanos: {} }, NOW);

function resilient(shared: FlakyStore, clock = { now: NOW }) {
  const counted = { failures: [] as string[], local: 0, warned: 0, recovered: 0 };
  const log = { warn: () => counted.warned++, info: () => counted.recovered++ };
  const store = new ResilientLimitStore(
    shared,
    { onFailure: (operation) => counted.failures.push(operation), onLocal: () => counted.local++, log },
    new MemoryLimitStore(() => clock.now),
    () => clock.now,
  );
  return { store, counted };
}

describe('the limits store through an outage', () => {
  test('a fail_closed limit refuses with 503 ERR_LIMITS_UNAVAILABLE naming it, and the failure is counted once logged', async () => {
    const { store, counted } = resilient(new FlakyStore());
    const error = await store.reserve(checksFor({ requests_per_minute: 10 })).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'ERR_LIMITS_UNAVAILABLE');
    assert.equal(error.status, 503);
    assert.match(error.message, /tenant "acme"'s requests_per_minute is fail_closed/);
    await store.reserve(checksFor({ requests_per_minute: 10 })).catch(() => {});
    assert.deepEqual(counted.failures, ['reserve', 'reserve']);
    assert.equal(counted.warned, 1);
  });

  test('a fail_open limit is counted in this process against its share of the limit', async () => {
    const { store, counted } = resilient(new FlakyStore());
    const checks = checksFor({ requests_per_minute: 10, on_store_failure: 'fail_open', fail_open_share: 0.3 });
    const admitted = [];
    for (let index = 0; index < 5; index++) admitted.push((await store.reserve(checks)).verdict.admitted);
    assert.deepEqual(admitted, [true, true, true, false, false]);
    assert.equal(counted.local, 5);
  });

  test('while failing, readiness pings the store at most once a second and sees it come back', async () => {
    const shared = new FlakyStore();
    const clock = { now: NOW };
    const { store, counted } = resilient(shared, clock);
    await store.reserve(checksFor({ requests_per_minute: 10 })).catch(() => {});
    assert.equal(store.unavailable(), true);
    shared.up = true;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(store.unavailable(), true, 'no second ping within the second');
    clock.now += 1000;
    store.unavailable();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(store.unavailable(), false);
    assert.equal(counted.recovered, 1);
    assert.equal((await store.reserve(checksFor({ requests_per_minute: 10 }))).verdict.admitted, true);
  });
});
