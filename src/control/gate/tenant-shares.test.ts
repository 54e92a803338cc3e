import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { RATE_WINDOW_MS, TENANT_ACTIVE_MS, TenantShares } from './tenant-shares.ts';

const a = { name: 'a', weight: 1 };
const b = { name: 'b', weight: 1 };
const c = { name: 'c', weight: 2 };

function holding(shares: TenantShares, tenant: { name: string; weight: number }, count: number, limit: number): void {
  for (let request = 0; request < count; request += 1) {
    shares.arrive(tenant, limit);
    shares.acquired(tenant);
  }
}

/** One rate window in which each tenant sends the given number of requests (none take a permit). */
function window(
  clock: FakeClock,
  shares: TenantShares,
  sends: ReadonlyArray<readonly [{ name: string; weight: number }, number]>,
): void {
  for (const [tenant, count] of sends) for (let request = 0; request < count; request += 1) shares.arrive(tenant, 100);
  clock.advance(RATE_WINDOW_MS);
}

describe('TenantShares', () => {
  it('a tenant with no other active is alone, however much it holds or sends', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    window(clock, shares, [[a, 1000]]);
    holding(shares, a, 50, 10);
    assert.equal(shares.arrive(a, 10), 'alone');
  });

  it('a tenant sending under half of the mean rate for its weight is light; tenants sending alike are heavy', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    window(clock, shares, [
      [a, 1000],
      [b, 100],
    ]);
    assert.equal(shares.arrive(b, 100), 'light', 'b sends a tenth of a: under half of the mean (550)');
    assert.equal(shares.arrive(a, 100), 'heavy');
    window(clock, shares, [
      [a, 1000],
      [b, 900],
    ]);
    window(clock, shares, [
      [a, 1000],
      [b, 900],
    ]);
    assert.equal(shares.arrive(b, 100), 'heavy', 'b now sends nearly as much as a');
    const stats = shares.stats(100);
    assert.deepEqual([stats['a']?.light, stats['b']?.light], [false, false]);
    assert.ok(
      Math.abs((stats['a']?.arrivalsPerS ?? 0) - 4000) < 10,
      `a sends 1000 a window of 250 ms: ${stats['a']?.arrivalsPerS}`,
    );
    assert.ok((stats['b']?.arrivalsPerS ?? 0) > 2000, "b's smoothed rate has risen past half of a's");
  });

  it('a heavy tenant stops at its weighted share of the limit while another is active; a light one does not', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    window(clock, shares, [
      [a, 1000],
      [b, 10],
    ]);
    holding(shares, a, 5, 10);
    assert.equal(shares.arrive(a, 10), 'at_share', '5 of a limit of 10 split two ways');
    shares.released(a);
    assert.equal(shares.arrive(a, 10), 'heavy');
    holding(shares, b, 8, 10);
    assert.equal(shares.arrive(b, 10), 'light', 'the light tenant may take any free permit');
  });

  it('weighs rates and shares', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    window(clock, shares, [
      [a, 300],
      [c, 500],
    ]);
    assert.equal(shares.arrive(c, 9), 'heavy', "c sends 250 a weight against a's 300");
    holding(shares, c, 6, 9);
    assert.equal(shares.arrive(c, 9), 'at_share', 'c may hold ⌊9 · 2/3⌋ = 6');
    assert.deepEqual(shares.stats(9)['c']?.share, 6);
    assert.deepEqual(shares.stats(9)['a']?.share, 3);
  });

  it('a new tenant is heavy until its first window closes: a flood that has just begun gets no leeway', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    window(clock, shares, [[a, 100]]);
    assert.equal(shares.arrive(b, 100), 'heavy');
  });

  it('a tenant that holds nothing stops counting once quiet for the active window; one holding permits stays', () => {
    const clock = new FakeClock();
    const shares = new TenantShares(clock);
    shares.arrive(b, 4);
    holding(shares, a, 2, 4);
    assert.equal(shares.arrive(a, 4), 'at_share');
    clock.advance(TENANT_ACTIVE_MS + 1);
    assert.equal(shares.arrive(a, 4), 'alone');
    assert.equal(shares.stats(4)['b']?.active, false);
    holding(shares, b, 1, 4);
    clock.advance(10 * TENANT_ACTIVE_MS);
    assert.equal(shares.arrive(a, 4), 'at_share', 'b holds a permit, however long ago it arrived');
    shares.released(b);
    shares.released(b);
    assert.equal(shares.stats(4)['b']?.inflight, 0, 'releases never go below zero');
    assert.equal(shares.arrive(a, 4), 'alone');
  });
});
