import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../batching/clock.ts';
import { TenantShares, TENANT_ACTIVE_MS } from './tenant-shares.ts';

const a = { name: 'a', weight: 1 };
const b = { name: 'b', weight: 1 };
const c = { name: 'c', weight: 2 };

function holding(shares: TenantShares, tenant: { name: string; weight: number }, count: number, limit: number): void {
  for (let request = 0; request < count; request += 1) {
    shares.arrive(tenant, limit);
    shares.acquired(tenant);
  }
}

describe('TenantShares', () => {
  it('a tenant with no other active is alone, however much it holds', () => {
    const shares = new TenantShares(new FakeClock());
    holding(shares, a, 50, 10);
    assert.equal(shares.arrive(a, 10), 'alone');
  });

  it('stands at its share of the limit, below or above its fair share of the load in flight', () => {
    const shares = new TenantShares(new FakeClock());
    shares.arrive(b, 10);
    holding(shares, a, 3, 10);
    assert.equal(shares.arrive(a, 10), 'above_fair_load', 'a holds all 3 in flight, its fair part is 1.5');
    assert.equal(shares.arrive(b, 10), 'below_fair_load');
    holding(shares, a, 2, 10);
    assert.equal(shares.arrive(a, 10), 'at_share', '5 of a limit of 10 split two ways');
    shares.released(a);
    assert.equal(shares.arrive(a, 10), 'above_fair_load');
  });

  it('weighs the shares', () => {
    const shares = new TenantShares(new FakeClock());
    shares.arrive(a, 9);
    holding(shares, c, 5, 9);
    assert.equal(shares.arrive(c, 9), 'above_fair_load', 'c may hold ⌊9 · 2/3⌋ = 6');
    holding(shares, c, 1, 9);
    assert.equal(shares.arrive(c, 9), 'at_share');
    assert.deepEqual(shares.stats(9), { a: { inflight: 0, share: 3, active: true }, c: { inflight: 6, share: 6, active: true } });
  });

  it('a tenant that holds nothing stops counting once it has been quiet for the active window', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    shares.arrive(b, 4);
    holding(shares, a, 2, 4);
    assert.equal(shares.arrive(a, 4), 'at_share');
    clock.advance(TENANT_ACTIVE_MS + 1);
    assert.equal(shares.arrive(a, 4), 'alone');
    assert.deepEqual(shares.stats(4)['b'], { inflight: 0, share: 0, active: false });
  });

  it('a tenant holding permits stays active however long ago it arrived, and releases never go below zero', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    holding(shares, b, 1, 4);
    clock.advance(10 * TENANT_ACTIVE_MS);
    holding(shares, a, 2, 4);
    assert.equal(shares.arrive(a, 4), 'at_share');
    shares.released(b);
    shares.released(b);
    assert.equal(shares.stats(4)['b']?.inflight, 0);
    assert.equal(shares.arrive(a, 4), 'alone');
  });
});
