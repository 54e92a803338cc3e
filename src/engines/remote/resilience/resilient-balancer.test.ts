import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../core/clock.ts';
import { createRng } from '../../../core/seeded-rng.ts';
import { ResilientBalancer } from './resilient-balancer.ts';

/** Sends `requests` one after another; `fails(index)` decides each outcome. */
function drive(
  balancer: ResilientBalancer,
  clock: FakeClock,
  requests: number,
  fails: (index: number) => boolean,
): number[] {
  const counts = [0, 0, 0, 0];
  for (let request = 0; request < requests; request += 1) {
    const choice = balancer.pick();
    if (choice === undefined) continue;
    counts[choice.index] = (counts[choice.index] ?? 0) + 1;
    clock.advance(10);
    choice.done({ ok: !fails(choice.index), latencyMs: 10 });
  }
  return counts;
}

function setup(breakerFailures = 100): { balancer: ResilientBalancer; clock: FakeClock } {
  const clock = new FakeClock();
  const balancer = new ResilientBalancer({
    weights: [1, 1, 1, 1],
    clock,
    random: createRng(5).next,
    ejection: { consecutiveFailures: 3, baseEjectionMs: 5_000 },
    breaker: { consecutiveFailures: breakerFailures, minRequests: 1_000, openMs: 2_000 },
  });
  return { balancer, clock };
}

describe('ResilientBalancer', () => {
  it('avoids an ejected replica and returns to it after the ejection', () => {
    const { balancer, clock } = setup();
    drive(balancer, clock, 200, (index) => index === 2);
    const stats = balancer.stats();
    assert.equal(stats.ejectedNow, 1);
    assert.equal(stats.replicas[2]?.failures, 3);
    assert.equal(stats.replicas[2]?.ejections, 1);
    const ejectedUntil = stats.replicas[2]?.ejectedUntilMs ?? 0;
    assert.ok(ejectedUntil > clock.now());
    const during = drive(balancer, clock, 100, () => false);
    assert.equal(during[2], 0);
    clock.advance(ejectedUntil - clock.now());
    const after = drive(balancer, clock, 400, () => false);
    assert.ok((after[2] ?? 0) > 0, 'back in rotation');
  });

  it('avoids a replica whose breaker is open, probes it once half-open, and closes on success', () => {
    const { balancer, clock } = setup(2);
    drive(balancer, clock, 100, (index) => index === 1);
    assert.equal(balancer.stats().replicas[1]?.breaker, 'open');
    assert.equal(balancer.stats().ejectedNow, 0, 'the breaker opened first');
    assert.equal(drive(balancer, clock, 100, () => false)[1], 0);
    clock.advance(2_000);
    assert.equal(balancer.stats().replicas[1]?.breaker, 'half-open');
    // Hold picks open: the half-open replica gets at most the one probe.
    const held = Array.from({ length: 40 }, () => balancer.pick());
    assert.equal(held.filter((choice) => choice?.index === 1).length, 1);
    for (const choice of held) choice?.done({ ok: true, latencyMs: 10 });
    assert.equal(balancer.stats().replicas[1]?.breaker, 'closed');
    assert.ok((drive(balancer, clock, 400, () => false)[1] ?? 0) > 0);
  });

  it('honours exclude, and reports undefined when nothing is left', () => {
    const { balancer, clock } = setup(1);
    for (let request = 0; request < 50; request += 1) {
      const choice = balancer.pick(new Set([0, 1]));
      assert.ok(choice !== undefined && choice.index >= 2);
      choice.done({ ok: true, latencyMs: 5 });
    }
    drive(balancer, clock, 50, () => true);
    assert.ok(balancer.stats().replicas.every((replica) => replica.breaker === 'open'));
    assert.equal(balancer.pick(), undefined);
  });

  it('reports load, pending and picks per replica', () => {
    const { balancer } = setup();
    const choice = balancer.pick();
    assert.ok(choice !== undefined);
    const replica = balancer.stats().replicas[choice.index];
    assert.equal(replica?.pending, 1);
    assert.equal(replica?.picks, 1);
    assert.equal(replica?.load, 200, 'initial cost 100 ms x (1 pending + 1)');
    choice.done({ ok: true, latencyMs: 30 });
    assert.equal(balancer.stats().replicas[choice.index]?.load, 30);
  });
});
