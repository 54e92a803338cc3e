import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRoom, retryAfterMs, RETRY_AFTER_MAX_MS, RETRY_AFTER_UNKNOWN_MS, type RoomPlan } from './room-plan.ts';
import type { TenantLoad } from './fair-level.ts';

/** Tenants and their queued requests, oldest first, as row counts: requests are named `<tenant><index>`. */
function loads(tenants: Record<string, { weight?: number; requests: number[] }>): Map<string, TenantLoad<string>> {
  const map = new Map<string, TenantLoad<string>>();
  for (const [tenant, { weight = 1, requests }] of Object.entries(tenants)) {
    const named = requests.map((rows, index) => ({ request: `${tenant}${index}`, rows }));
    map.set(tenant, {
      rows: requests.reduce((sum, rows) => sum + rows, 0),
      weight,
      newestFirst: () => [...named].reverse(),
    });
  }
  return map;
}

const queued = (tenants: Map<string, TenantLoad<string>>): number =>
  [...tenants.values()].reduce((sum, load) => sum + load.rows, 0);

function plan(
  arrival: { tenant: string; weight?: number; rows?: number },
  tenants: Map<string, TenantLoad<string>>,
  max: number,
): RoomPlan<string> {
  return planRoom(
    { tenant: arrival.tenant, weight: arrival.weight ?? 1, rows: arrival.rows ?? 1 },
    queued(tenants),
    max,
    tenants,
  );
}

describe('planRoom', () => {
  it('admits as is while the level has room, or when it is unbounded', () => {
    const tenants = loads({ a: { requests: [1, 1, 1] } });
    assert.deepEqual(plan({ tenant: 'b' }, tenants, 4), { admit: true, shed: [] });
    assert.deepEqual(plan({ tenant: 'a', rows: 100 }, tenants, 0), { admit: true, shed: [] });
  });

  it('sheds the heaviest tenant’s newest request for a lighter tenant', () => {
    const tenants = loads({ a: { requests: [1, 1, 1] }, b: { requests: [1] } });
    assert.deepEqual(plan({ tenant: 'c' }, tenants, 4), { admit: true, shed: ['a2'] });
    assert.deepEqual(plan({ tenant: 'b' }, tenants, 4), { admit: true, shed: ['a2'] }, 'b would hold 2 < a’s 3');
  });

  it('refuses the arrival when its tenant would hold as much as the heaviest, or is the heaviest', () => {
    const tenants = loads({ a: { requests: [1, 1] }, b: { requests: [1, 1] } });
    assert.deepEqual(plan({ tenant: 'a' }, tenants, 4), { admit: false });
    assert.deepEqual(plan({ tenant: 'b' }, tenants, 4), { admit: false });
    const uneven = loads({ a: { requests: [1, 1] }, b: { requests: [1] } });
    assert.deepEqual(plan({ tenant: 'b' }, uneven, 3), { admit: false }, 'b would hold 2, no less than a’s 2');
  });

  it('sheds as many requests as the arrival needs, re-weighing tenants after each, or none at all', () => {
    const tenants = loads({ a: { requests: [1, 1, 1, 1, 1] }, b: { requests: [1, 1, 1, 1] } });
    assert.deepEqual(plan({ tenant: 'c', rows: 3 }, tenants, 9), { admit: true, shed: ['a4', 'a3', 'b3'] });
    assert.deepEqual(
      plan({ tenant: 'c', rows: 4 }, tenants, 9),
      { admit: false },
      'after one shed c would hold as much as the heaviest',
    );
  });

  it('sheds a whole multi-row request, even when fewer rows would do', () => {
    const tenants = loads({ a: { requests: [1, 5] } });
    assert.deepEqual(plan({ tenant: 'b' }, tenants, 6), { admit: true, shed: ['a1'] });
  });

  it('weighs shares by weight: a heavier weight may hold more rows before it is shed', () => {
    const tenants = loads({ big: { weight: 4, requests: [1, 1, 1, 1, 1, 1] }, small: { weight: 1, requests: [1] } });
    assert.deepEqual(plan({ tenant: 'small' }, tenants, 7), { admit: false }, 'small would hold 2/1 > big’s 6/4');
    assert.deepEqual(
      plan({ tenant: 'new', weight: 1 }, tenants, 7),
      { admit: true, shed: ['big5'] },
      'new would hold 1/1 < 6/4',
    );
  });

  it('refuses a request larger than the whole level', () => {
    assert.deepEqual(plan({ tenant: 'a', rows: 5 }, loads({}), 4), { admit: false });
  });
});

describe('retryAfterMs', () => {
  it('is the time the rows ahead take to drain at the current rate', () => {
    assert.equal(retryAfterMs(50, 100), 500);
    assert.equal(retryAfterMs(8, 400), 20);
    assert.equal(retryAfterMs(1, 3), 334, 'whole milliseconds, rounded up');
  });

  it('is at least 1 ms and at most 60 s', () => {
    assert.equal(retryAfterMs(0, 100), 1);
    assert.equal(retryAfterMs(1, 1e9), 1);
    assert.equal(retryAfterMs(1e9, 1), RETRY_AFTER_MAX_MS);
  });

  it('falls back to a second while no drain rate is known', () => {
    assert.equal(retryAfterMs(10, undefined), RETRY_AFTER_UNKNOWN_MS);
    assert.equal(retryAfterMs(10, 0), RETRY_AFTER_UNKNOWN_MS);
  });
});
